#include "render/flamegraph.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>

#include "render/palette.h"
#include "render/svg_format.h"
#include "render/utf8.h"

namespace stackfire::render {
namespace {

// flamegraph.pl: minwidth matches ^([0-9.]+)%?$.
bool ParseMinwidth(std::string_view text, double* value, bool* percent) {
  *percent = !text.empty() && text.back() == '%';
  if (*percent) text.remove_suffix(1);
  if (text.empty()) return false;
  for (char c : text) {
    if (!(c >= '0' && c <= '9') && c != '.') return false;
  }
  std::string s(text);
  char* end = nullptr;
  *value = std::strtod(s.c_str(), &end);
  return true;  // like perl, "1.2.3" reads as 1.2
}

}  // namespace

absl::Status ValidateOptions(const RenderOptions& o) {
  if (o.width <= 20) return absl::InvalidArgumentError("--width must be more than 20 pixels");
  if (o.width > 1000000) return absl::InvalidArgumentError("--width is too large (max 1000000)");
  if (o.height < 2 || o.height > 10000) {
    return absl::InvalidArgumentError("--height must be between 2 and 10000 pixels");
  }
  if (!(o.fontsize > 0 && o.fontsize < 1000)) {
    return absl::InvalidArgumentError("--fontsize must be a positive number below 1000");
  }
  if (!(o.fontwidth > 0 && o.fontwidth < 100)) {
    return absl::InvalidArgumentError("--fontwidth must be a positive number");
  }
  if (!std::isfinite(o.factor)) return absl::InvalidArgumentError("--factor must be a number");
  if (!(o.total >= 0) || !std::isfinite(o.total)) {
    return absl::InvalidArgumentError("--total must be a non-negative number");
  }
  double mw;
  bool pct;
  if (!ParseMinwidth(o.minwidth, &mw, &pct)) {
    return absl::InvalidArgumentError("--minwidth \"" + o.minwidth +
                                      "\" is invalid: expected pixels (0.1) or a percentage (1%)");
  }
  absl::StatusOr<Palette> p = ParsePalette(o.colors);
  if (!p.ok()) return p.status();
  absl::StatusOr<Background> bg = BackgroundFor(o.bgcolors, o.colors);
  if (!bg.ok()) return bg.status();
  return absl::OkStatus();
}

absl::StatusOr<Layout> LayoutFor(std::vector<StackWeight> stacks, bool differential,
                                 const RenderOptions& o) {
  LayoutOptions lo;
  lo.reverse = o.reverse;
  lo.flamechart = o.flamechart;
  if (!ParseMinwidth(o.minwidth, &lo.minwidth, &lo.minwidth_percent)) {
    return absl::InvalidArgumentError("invalid --minwidth");
  }
  lo.image_width = o.width;
  lo.total = o.total;
  lo.differential = differential;
  lo.keep_removed = differential && o.diff_details;
  lo.chain = o.colors == "chain";
  return BuildLayout(std::move(stacks), lo);
}

absl::Status WriteFlameGraph(std::vector<StackWeight> stacks, bool differential,
                             const RenderOptions& o, std::ostream& out) {
  if (absl::Status s = ValidateOptions(o); !s.ok()) return s;
  absl::StatusOr<Layout> layout = LayoutFor(std::move(stacks), differential, o);
  if (!layout.ok()) {
    WriteErrorSvg(o, "ERROR: No valid input provided to stackfire.", out);
    return layout.status();
  }
  return WriteSvg(*layout, o, out);
}

std::vector<StackWeight> StacksOf(const Profile& profile) {
  std::vector<StackWeight> out;
  out.reserve(profile.size());
  for (const Profile::Entry& e : profile.entries()) {
    out.push_back(StackWeight{e.stack, e.weight, e.weight, ' '});
  }
  return out;
}

std::vector<StackWeight> StacksOf(const collapse::FoldedInput& input) {
  std::vector<StackWeight> out;
  out.reserve(input.records.size());
  for (const collapse::FoldedRecord& r : input.records) {
    out.push_back(StackWeight{r.stack, r.count, r.before, r.separator, r.tail});
  }
  return out;
}

absl::Status WriteFlameGraph(const Profile& profile, const RenderOptions& options,
                             std::ostream& out) {
  return WriteFlameGraph(StacksOf(profile), false, options, out);
}

absl::Status WriteFlameGraph(const collapse::FoldedInput& input, const RenderOptions& options,
                             std::ostream& out) {
  return WriteFlameGraph(StacksOf(input), input.differential, options, out);
}

void WriteErrorSvg(const RenderOptions& o, std::string_view message, std::ostream& out) {
  double h = o.fontsize * 5;
  std::string s = "<?xml version=\"1.0\" standalone=\"no\"?>\n<svg version=\"1.1\" width=\"" +
                  Num(o.width) + "\" height=\"" + Num(h) + "\" viewBox=\"0 0 " + Num(o.width) +
                  " " + Num(h) + "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  s += "<text x=\"" + Num(std::floor(o.width / 2.0)) + "\" y=\"" + Num(o.fontsize * 2) +
       "\" style=\"font-family:Verdana,sans-serif;font-size:" + Num(o.fontsize) +
       "px;text-anchor:middle\">" + XmlEscape(message) + "</text>\n</svg>\n";
  out << s;
}

PaletteMap ReadPaletteMap(std::istream& in) {
  PaletteMap map;
  std::string line;
  while (std::getline(in, line)) {
    size_t p = line.find("->");
    if (p == std::string::npos) continue;
    map[line.substr(0, p)] = line.substr(p + 2);
  }
  return map;
}

void WritePaletteMap(const PaletteMap& map, std::ostream& out) {
  std::vector<const std::pair<const std::string, std::string>*> entries;
  for (const auto& e : map) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* e : entries) out << e->first << "->" << e->second << "\n";
}

}  // namespace stackfire::render
