// The heatmap of a flame graph with a Timeline (stackfire/timeline.h): a
// strip of time buckets above the frames, each cell coloured by its number
// of samples, from which the SVG's script selects a time range and redraws
// the frames for that range only.
//
// Buckets: the recording's length cut into at most kMaxBuckets cells of a
// round size (10 ms, 20 ms, 50 ms, 100 ms, ... 1 s, 2 s, 5 s, 10 s, 30 s,
// 1 min, ...), so a short recording gets sub-second cells. Each sample
// counts 1 in its bucket, and 1 for the frame its stack ends in (the
// deepest frame of its stack that the layout kept: the frames that minwidth
// pruned give their samples to their parent). A frame's count in a range is
// then the sum of the counts of the frames in its subtree.
//
// The data goes into the frame table (svg_script.h) as "time":
//   {"t0": S, "wall": S, "step": S, "n": N, "total": [count per bucket],
//    "cells": [[frame, count, frame, count, ...] per bucket]}
// t0 is the recording's start in seconds on its clock (CLOCK_MONOTONIC for
// `stackfire record`, the perf clock for perf script text), wall its start
// in seconds since the epoch (0 when unknown); bucket b covers
// [b*step, (b+1)*step) seconds from t0.
//
// Not with a differential graph, --reverse or --flamechart (no heatmap).
#ifndef STACKFIRE_RENDER_HEATMAP_H_
#define STACKFIRE_RENDER_HEATMAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "render/layout.h"
#include "render/render_options.h"

namespace stackfire::render {

inline constexpr int kMaxBuckets = 200;
// The strip's height in the SVG, axis line included.
inline constexpr double kHeatmapHeight = 44;

struct Heatmap {
  double t0 = 0;
  double wall = 0;
  double step = 1;  // seconds
  int n = 0;
  std::vector<uint32_t> total;
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> cells;  // (frame, count)
};

// True when the SVG of this layout with these options gets a heatmap.
bool HasHeatmap(const Layout& layout, const RenderOptions& o);

// nullopt when !HasHeatmap.
std::optional<Heatmap> BuildHeatmap(const Layout& layout, const RenderOptions& o);

// ,"time":{...} for the frame table.
void AppendHeatmapJson(const Heatmap& h, std::string* s);

// The strip at top y: cells with their tooltips (readable without
// scripts), the axis, and the controls the script uses (#heat, #heatsel,
// #rangeinfo, #resetrange).
void AppendHeatmapSvg(const Heatmap& h, double y, const RenderOptions& o, double xpad,
                      std::string* s);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_HEATMAP_H_
