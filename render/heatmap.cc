// See heatmap.h.
#include "render/heatmap.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "render/svg_format.h"

namespace stackfire::render {
namespace {

double BucketSeconds(double seconds) {
  static constexpr double kSteps[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1,    2,    5,
                                      10,   30,   60,   120, 300, 600, 1800, 3600, 7200};
  for (double step : kSteps) {
    if (seconds / step <= kMaxBuckets) return step;
  }
  return std::ceil(seconds / kMaxBuckets / 3600) * 3600;
}

std::string Seconds(double s) {
  if (s >= 100) return absl::StrFormat("%.0f s", s);
  if (s >= 10) return absl::StrFormat("%.1f s", s);
  return absl::StrFormat("%.2f s", s);
}

// White (no samples) to dark red (the busiest bucket).
std::string HeatColor(uint32_t count, uint32_t max) {
  if (count == 0 || max == 0) return "#f2f2f2";
  const double v = std::sqrt(static_cast<double>(count) / max);
  const int g = static_cast<int>(std::lround(235 - 200 * v));
  const int b = static_cast<int>(std::lround(200 - 180 * v));
  const int r = static_cast<int>(std::lround(255 - 60 * v));
  return absl::StrFormat("#%02x%02x%02x", r, g, b);
}

}  // namespace

bool HasHeatmap(const Layout& layout, const RenderOptions& o) {
  return o.timeline != nullptr && !o.timeline->empty() && !o.timeline_stacks.empty() &&
         !layout.differential && !o.reverse && !o.flamechart && !layout.frames.empty();
}

std::optional<Heatmap> BuildHeatmap(const Layout& layout, const RenderOptions& o) {
  if (!HasHeatmap(layout, o)) return std::nullopt;
  const Timeline& t = *o.timeline;
  // The frame each stack ends in: walk its frames down the layout's tree.
  absl::flat_hash_map<std::pair<uint32_t, absl::string_view>, uint32_t> child;
  child.reserve(layout.frames.size());
  for (uint32_t i = 1; i < layout.frames.size(); ++i) {
    const Frame& f = layout.frames[i];
    child.try_emplace(std::make_pair(f.parent, absl::string_view(f.name.data(), f.name.size())), i);
  }
  std::vector<uint32_t> leaf(o.timeline_stacks.size(), 0);
  std::vector<std::string_view> parts;
  for (size_t e = 0; e < o.timeline_stacks.size(); ++e) {
    SplitFramesInto(o.timeline_stacks[e], &parts);
    uint32_t at = 0;
    for (std::string_view name : parts) {
      auto it = child.find(std::make_pair(at, absl::string_view(name.data(), name.size())));
      if (it == child.end()) break;
      at = it->second;
    }
    leaf[e] = at;
  }
  Heatmap h;
  const int64_t start = t.start_ns;
  // In doubles: times come from text a user (or a fuzzer) wrote, and a
  // difference of two int64 may overflow.
  double end = std::max(static_cast<double>(t.end_ns), static_cast<double>(start) + 1);
  for (const TimedSample& s : t.samples) end = std::max(end, static_cast<double>(s.time_ns) + 1);
  const double seconds = (end - static_cast<double>(start)) / 1e9;
  h.step = BucketSeconds(seconds);
  h.n = std::max(1, static_cast<int>(std::ceil(seconds / h.step - 1e-9)));
  h.t0 = static_cast<double>(start) / 1e9;
  h.wall = static_cast<double>(t.wall_start_ns) / 1e9;
  h.total.assign(static_cast<size_t>(h.n), 0);
  std::vector<absl::flat_hash_map<uint32_t, uint32_t>> counts(static_cast<size_t>(h.n));
  const double step_ns = h.step * 1e9;
  for (const TimedSample& s : t.samples) {
    if (s.stack >= leaf.size()) continue;
    // A sample before the start (a hostile or unsorted input) goes to the
    // first bucket; clamped as a double, so the cast never overflows.
    const double off = static_cast<double>(s.time_ns) - static_cast<double>(start);
    const int b = static_cast<int>(
        std::clamp(std::floor(off / step_ns), 0.0, static_cast<double>(h.n - 1)));
    ++h.total[static_cast<size_t>(b)];
    ++counts[static_cast<size_t>(b)][leaf[s.stack]];
  }
  h.cells.resize(static_cast<size_t>(h.n));
  for (size_t b = 0; b < counts.size(); ++b) {
    h.cells[b].assign(counts[b].begin(), counts[b].end());
    std::sort(h.cells[b].begin(), h.cells[b].end());
  }
  return h;
}

void AppendHeatmapJson(const Heatmap& h, std::string* s) {
  *s += ",\n\"time\":{\"t0\":" + absl::StrFormat("%.9f", h.t0) +
        ",\"wall\":" + absl::StrFormat("%.3f", h.wall) + ",\"step\":" + Num(h.step) +
        ",\"n\":" + std::to_string(h.n) + ",\"total\":[";
  for (int b = 0; b < h.n; ++b) {
    if (b > 0) *s += ',';
    *s += std::to_string(h.total[static_cast<size_t>(b)]);
  }
  *s += "],\"cells\":[";
  for (int b = 0; b < h.n; ++b) {
    if (b > 0) *s += ',';
    *s += '[';
    bool first = true;
    for (const auto& [frame, count] : h.cells[static_cast<size_t>(b)]) {
      if (!first) *s += ',';
      first = false;
      *s += std::to_string(frame);
      *s += ',';
      *s += std::to_string(count);
    }
    *s += ']';
  }
  *s += "]}";
}

void AppendHeatmapSvg(const Heatmap& h, double y, const RenderOptions& o, double xpad,
                      std::string* s) {
  const double width = o.width - 2 * xpad;
  const double cell = width / h.n;
  const double cell_h = 24;
  uint32_t max = 0;
  for (uint32_t c : h.total) max = std::max(max, c);
  *s += "<g id=\"heat\" data-y=\"" + Num(y + 4) + "\" data-h=\"" + Num(cell_h) + "\">\n";
  for (int b = 0; b < h.n; ++b) {
    const uint32_t c = h.total[static_cast<size_t>(b)];
    *s += "<rect x=\"" + Fixed(xpad + b * cell, 2) + "\" y=\"" + Num(y + 4) + "\" width=\"" +
          Fixed(cell, 2) + "\" height=\"" + Num(cell_h) + "\" fill=\"" + HeatColor(c, max) +
          "\"><title>" + Seconds(b * h.step) + " to " + Seconds((b + 1) * h.step) + ": " +
          FormatCount(c) + " samples</title></rect>\n";
  }
  *s += "</g>\n<rect id=\"heatsel\" x=\"0\" y=\"" + Num(y + 2) + "\" width=\"0\" height=\"" +
        Num(cell_h + 4) + "\"/>\n";
  const std::string axis_y = Num(y + cell_h + 16);
  *s += "<text class=\"axis\" x=\"" + Num(xpad) + "\" y=\"" + axis_y + "\">0 s</text>\n";
  *s += "<text class=\"axis\" x=\"" + Num(o.width - xpad) + "\" y=\"" + axis_y +
        "\" text-anchor=\"end\">" + Seconds(h.n * h.step) + "</text>\n";
  uint64_t samples = 0;
  for (uint32_t c : h.total) samples += c;
  *s += "<text id=\"rangeinfo\" x=\"" + Num(std::floor(o.width / 2.0)) + "\" y=\"" + axis_y +
        "\" text-anchor=\"middle\">" + FormatCount(static_cast<double>(samples)) +
        " samples over " + Seconds(h.n * h.step) + " in cells of " + Seconds(h.step) +
        "; drag over the strip to pick a time range</text>\n";
  *s += "<text id=\"resetrange\" x=\"" + Num(xpad + 60) + "\" y=\"" + axis_y +
        "\" class=\"hide\">Reset Range</text>\n";
}

}  // namespace stackfire::render
