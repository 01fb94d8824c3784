#include "render/flamegraph.h"

#include <algorithm>
#include <cmath>
#include <istream>
#include <ostream>

#include "render/palette.h"
#include "render/svg_format.h"
#include "render/xml_escape.h"

namespace stackfire::render {

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
    out.push_back(StackWeight{e.stack, e.weight, e.weight, ' ', {}});
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
