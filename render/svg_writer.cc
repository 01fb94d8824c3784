// WriteSvg: the SVG text of a Layout. See svg_script.h for the layout of the
// document that the embedded script relies on.
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "collapse/utf8.h"
#include "export/json_escape.h"
#include "render/flamegraph.h"
#include "render/palette.h"
#include "render/svg_format.h"
#include "render/svg_script.h"
#include "render/xml_escape.h"

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

// A string of the frame table: XML-sanitized as every other text of the SVG
// (forbidden characters become U+FFFD, as in the labels), then a JSON literal
// that is plain XML character data.
void AppendTableString(std::string_view s, std::string* out) {
  // Most strings (every tooltip, most names) are printable ASCII that needs
  // no escape: copied as they are, the result is the same.
  bool plain = true;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&') {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
    return;
  }
  exporter::AppendJsonString(SanitizeUtf8(s), out, exporter::JsonFlavor::kInMarkup);
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
    collapse::NextCodePoint(clean, &pos);
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

// The "wall" palette: frames most of whose time lies under "[off-cpu]"
// leaves (stackfire/profile.h). Frames come in pre-order, so children come
// after their parent and each sums into its parent from the back.
std::vector<bool> MostlyOffCpu(const Layout& layout) {
  std::vector<double> off(layout.frames.size(), 0);
  std::vector<bool> out(layout.frames.size(), false);
  for (size_t i = layout.frames.size(); i-- > 1;) {
    const Frame& f = layout.frames[i];
    if (f.name == kOffCpuFrame) off[i] = f.width();
    out[i] = f.width() > 0 && off[i] > 0.5 * f.width();
    off[f.parent] += off[i];
  }
  return out;
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
  // Frames are drawn in count units: x and width are counts, and the #zoom
  // group's transform maps them to pixels; zooming changes that transform.
  //
  // One <path> per fill colour draws all the frames of that colour, one
  // rectangle subpath each, instead of one element per frame: each element
  // costs the browser about 30 us to parse, style, lay out and paint, which
  // was most of the load time of a large graph (bench/RESULTS-render.md).
  // Colours are few: a palette colour is a function of one hashed value
  // (at most 231 for "hot"), a diff colour one of 421 shades.
  //
  // What the script needs per frame (depth, start, width, name, tooltip) is
  // one JSON document in <metadata id="sfdata">, columns of equal length in
  // frame order (pre-order), names listed once. Hover, click and search work
  // from it (the frame under the pointer comes from its coordinates), and so
  // do the test readers. Its strings are escaped to plain XML character data
  // (AppendTableString), so nothing from the input reaches the markup.
  const double y0 = FrameY(g, o, 0);
  const double dy = FrameY(g, o, 1) - y0;
  std::vector<std::string> colors;
  std::vector<std::string> paths;  // d of each colour's path
  absl::flat_hash_map<std::string, size_t> color_index;
  absl::flat_hash_map<absl::string_view, std::string> color_cache;
  absl::flat_hash_map<absl::string_view, size_t> name_index;
  std::string names_json = "[", depth_json = "[", x_json = "[", w_json = "[", name_json = "[",
              color_json = "[", tip_json = "[", removed_json = "[", removed_d;
  std::string labels, tail;
  const double removed_width = layout.total * 1e-7;
  const std::string frame_h_str = Num(frame_h);
  const std::vector<bool> off_cpu =
      *palette == Palette::kWall && !layout.differential ? MostlyOffCpu(layout)
                                                         : std::vector<bool>();
  absl::flat_hash_map<absl::string_view, std::string> off_cpu_cache;
  for (size_t i = 0; i < layout.frames.size(); ++i) {
    const Frame& f = layout.frames[i];
    double y1 = FrameY(g, o, f.depth);
    std::string_view name = i == 0 ? std::string_view("all") : StripAnnotation(f.name);
    std::string color;
    if (f.depth > 0 && f.name == "--") {
      color = "#a0a0a0";
    } else if (f.depth > 0 && f.name == "-") {
      color = "#c8c8c8";
    } else if (layout.differential && o.annotator != nullptr) {
      color = o.annotator->Fill(i);
    } else if (layout.differential) {
      color = DiffColor(f.removed ? -f.before : f.self_delta, layout.max_delta, o.negate).Hex();
    } else if (!off_cpu.empty() && off_cpu[i]) {
      auto [it, inserted] =
          off_cpu_cache.try_emplace(absl::string_view(f.name.data(), f.name.size()));
      if (inserted) it->second = OffCpuColor(f.name, o.hash).Hex();
      color = it->second;
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
    auto [cit, new_color] = color_index.try_emplace(color, colors.size());
    if (new_color) {
      colors.push_back(color);
      paths.emplace_back();
    }
    auto [nit, new_name] =
        name_index.try_emplace(absl::string_view(name.data(), name.size()), name_index.size());
    if (new_name) {
      if (nit->second > 0) names_json += ',';
      AppendTableString(name, &names_json);
    }

    const std::string x = Num(f.start);
    const std::string w = Num(f.removed ? removed_width : f.width());
    std::string& d = f.removed ? removed_d : paths[cit->second];
    d += 'M';
    d += x;
    d += ' ';
    d += Num(y1);
    d += 'h';
    d += w;
    d += 'v';
    d += frame_h_str;
    d += "h-";
    d += w;
    d += 'z';

    const char* sep = i == 0 ? "" : ",";
    depth_json += sep;
    depth_json += std::to_string(f.depth);
    x_json += sep;
    x_json += x;
    w_json += sep;
    w_json += w;
    name_json += sep;
    name_json += std::to_string(nit->second);
    color_json += sep;
    color_json += std::to_string(cit->second);
    tail.clear();
    if (layout.differential && o.annotator != nullptr) {
      o.annotator->AppendTip(i, &tail);
    } else {
      AppendTitleTail(layout, f, o, &tail);
    }
    tip_json += sep;
    AppendTableString(tail, &tip_json);
    if (f.removed) {
      if (removed_json.size() > 1) removed_json += ',';
      removed_json += std::to_string(i);
    }

    double width_px = (i == 0 ? layout.total : f.width()) * wpt;
    if (!f.removed && width_px >= 3 * o.fontsize * o.fontwidth) {
      size_t mark = labels.size();
      labels += "<text x=\"";
      labels += Fixed(g.xpad + f.start * wpt + 3, 2);
      labels += "\" y=\"";
      labels += Num(3 + y1 + frame_h / 2);
      labels += "\">";
      size_t before = labels.size();
      AppendLabel(name, width_px, o, &labels);
      if (labels.size() == before) {
        labels.resize(mark);
      } else {
        labels += "</text>\n";
      }
    }
  }
  s += "<metadata id=\"sfdata\">{\"version\":1,\"y0\":" + Num(y0) + ",\"dy\":" + Num(dy) +
       ",\"fh\":" + frame_h_str + ",\"colors\":[";
  for (size_t c = 0; c < colors.size(); ++c) {
    if (c > 0) s += ',';
    AppendTableString(colors[c], &s);
  }
  s += "],\n\"names\":" + names_json + "],\n\"depth\":" + depth_json + "],\n\"x\":" + x_json +
       "],\n\"w\":" + w_json + "],\n\"name\":" + name_json + "],\n\"color\":" + color_json +
       "],\n\"tip\":" + tip_json + "],\n\"removed\":" + removed_json + "]}</metadata>\n";
  s += "<g id=\"frames\" clip-path=\"url(#clip)\"><g id=\"zoom\" transform=\"matrix(" +
       Num(wpt) + " 0 0 1 " + Num(g.xpad) + " 0)\">\n";
  for (size_t c = 0; c < colors.size(); ++c) {
    if (paths[c].empty()) continue;
    s += "<path fill=\"" + colors[c] + "\" d=\"" + paths[c] + "\"/>\n";
  }
  if (!removed_d.empty()) s += "<path class=\"rm\" d=\"" + removed_d + "\"/>\n";
  s += "</g></g>\n<g id=\"labels\">\n";
  s += labels;
  s += "</g>\n</svg>\n";
  os.write(s.data(), static_cast<std::streamsize>(s.size()));
  if (!os) return absl::DataLossError("cannot write the SVG (disk full or closed pipe?)");
  return absl::OkStatus();
}

}  // namespace stackfire::render
