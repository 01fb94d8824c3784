// WriteSvg: the SVG text of a Layout. See svg_script.h for the layout of the
// document that the embedded script relies on.
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "render/flamegraph.h"
#include "render/palette.h"
#include "render/svg_format.h"
#include "render/svg_script.h"
#include "render/utf8.h"

namespace stackfire::render {
namespace {

std::string_view StripAnnotation(std::string_view name) {
  if (name.size() >= 4 && name[name.size() - 4] == '_' && name[name.size() - 3] == '[' &&
      name.back() == ']') {
    char c = name[name.size() - 2];
    if (c == 'k' || c == 'w' || c == 'i' || c == 'j') return name.substr(0, name.size() - 4);
  }
  return name;
}

// flamegraph.pl's label: as many characters as fit at fontsize*fontwidth
// each, the last two replaced by ".." when cut; nothing under 3 characters.
void AppendLabel(std::string_view name, double width_px, const RenderOptions& o,
                 std::string* out) {
  long chars = static_cast<long>(width_px / (o.fontsize * o.fontwidth));
  if (chars < 3) return;
  std::string clean = SanitizeUtf8(name);
  size_t pos = 0, count = 0, cut = std::string::npos;
  while (pos < clean.size()) {
    if (count == static_cast<size_t>(chars - 2)) cut = pos;
    NextCodePoint(clean, &pos);
    ++count;
    if (count > static_cast<size_t>(chars)) break;
  }
  if (count > static_cast<size_t>(chars)) {
    AppendXmlEscaped(std::string_view(clean).substr(0, cut), out);
    out->append("..");
  } else {
    AppendXmlEscaped(clean, out);
  }
}

}  // namespace

absl::Status WriteSvg(const Layout& layout, const RenderOptions& o, std::ostream& os) {
  SvgGeometry g = GeometryFor(layout, o);
  absl::StatusOr<Palette> palette = ParsePalette(o.colors);
  if (!palette.ok()) return palette.status();
  absl::StatusOr<Background> bg = BackgroundFor(o.bgcolors, o.colors);
  if (!bg.ok()) return bg.status();

  std::string s;
  s.reserve(4096 + layout.frames.size() * 160);
  AppendSvgHeader(g, o, &s);
  s += "<defs>\n<linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
       "<stop stop-color=\"" + bg->top + "\" offset=\"5%\"/><stop stop-color=\"" + bg->bottom +
       "\" offset=\"95%\"/></linearGradient>\n";
  s += "<clipPath id=\"clip\"><rect x=\"" + Num(g.xpad) + "\" y=\"0\" width=\"" +
       Num(o.width - 2 * g.xpad) + "\" height=\"" + Num(g.image_height) + "\"/></clipPath>\n";
  s += "</defs>\n";
  AppendStyle(o, &s);
  s += "<script type=\"text/ecmascript\"><![CDATA[";
  s += kFlameGraphScript;
  s += "]]></script>\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + Num(o.width) + "\" height=\"" + Num(g.image_height) +
       "\" fill=\"url(#background)\"/>\n";
  AppendControls(g, o, &s);

  const double wpt = g.width_per_time;
  const double frame_h = o.height - 1;  // framepad = 1
  // The frames are drawn in count units: x and width are counts, and the
  // group's transform maps them to pixels. Zooming changes that transform.
  // Each frame is one empty <rect>: its tooltip text (name and counts) is its
  // data-t attribute, which the script shows on hover in one shared <title>.
  // A <title> child per frame (flamegraph.pl's way) doubles the element
  // count, and parsing and styling those elements was about 60 % of the
  // page's load time in Chromium (bench/RESULTS-render.md). An attribute
  // rather than one JSON table of names: it adds no node, each frame keeps
  // its own text (readers need no second format), and the one escaping that
  // holds for every other attribute holds here (tab, LF and CR included).
  // A table would be smaller (names repeat) but needs JSON escaping inside
  // XML escaping, for a parse-time gain the trace puts well below the titles'.
  // Differential graphs are mostly white (unchanged frames): white is the
  // group's fill and those frames leave theirs out.
  s += "<g id=\"frames\" clip-path=\"url(#clip)\"><g id=\"zoom\" transform=\"matrix(" +
       Num(wpt) + " 0 0 1 " + Num(g.xpad) + " 0)\"" +
       (layout.differential ? " fill=\"#ffffff\"" : "") + ">\n";
  std::string labels;
  absl::flat_hash_map<absl::string_view, std::string> color_cache;
  const double removed_width = layout.total * 1e-7;
  for (size_t i = 0; i < layout.frames.size(); ++i) {
    const Frame& f = layout.frames[i];
    double y1 = FrameY(g, o, f.depth);
    std::string_view name = StripAnnotation(f.name);
    std::string color;
    if (f.depth > 0 && f.name == "--") {
      color = "#a0a0a0";
    } else if (f.depth > 0 && f.name == "-") {
      color = "#c8c8c8";
    } else if (layout.differential) {
      color = DiffColor(f.removed ? -f.before : f.self_delta, layout.max_delta, o.negate).Hex();
    } else if (o.consistent_palette && o.palette_map != nullptr) {
      std::string key(f.name);
      auto it = o.palette_map->find(key);
      if (it == o.palette_map->end()) {
        it = o.palette_map->emplace(key, FrameColor(*palette, f.name, o.hash).Css()).first;
      }
      color = CssColorToHex(it->second);
    } else {
      // Names repeat across frames; colour each one once.
      auto [it, inserted] =
          color_cache.try_emplace(absl::string_view(f.name.data(), f.name.size()));
      if (inserted) it->second = FrameColor(*palette, f.name, o.hash).Hex();
      color = it->second;
    }
    s += "<rect x=\"";
    s += Num(f.start);
    s += "\" y=\"";
    s += Num(y1);
    s += "\" width=\"";
    s += Num(f.removed ? removed_width : f.width());
    s += "\" height=\"";
    s += Num(frame_h);
    if (!(layout.differential && color == "#ffffff")) {
      s += "\" fill=\"";
      s += color;
    }
    if (f.removed) s += "\" class=\"rm";
    s += "\" data-t=\"";
    AppendTitle(layout, f, i == 0 ? std::string_view("all") : name, o, &s);
    s += "\"/>\n";

    double width_px = (i == 0 ? layout.total : f.width()) * wpt;
    if (!f.removed && width_px >= 3 * o.fontsize * o.fontwidth) {
      size_t mark = labels.size();
      labels += "<text x=\"";
      labels += Fixed(g.xpad + f.start * wpt + 3, 2);
      labels += "\" y=\"";
      labels += Num(3 + y1 + frame_h / 2);
      labels += "\">";
      size_t before = labels.size();
      AppendLabel(i == 0 ? std::string_view("all") : name, width_px, o, &labels);
      if (labels.size() == before) {
        labels.resize(mark);
      } else {
        labels += "</text>\n";
      }
    }
  }
  s += "</g></g>\n<g id=\"labels\">\n";
  s += labels;
  s += "</g>\n</svg>\n";
  os.write(s.data(), static_cast<std::streamsize>(s.size()));
  if (!os) return absl::DataLossError("cannot write the SVG (disk full or closed pipe?)");
  return absl::OkStatus();
}

}  // namespace stackfire::render
