// Flame-graph geometry, independent of any output format.
//
// BuildLayout reproduces flamegraph.pl's merge and prune exactly: the input
// lines are sorted (or kept in input order for a flame chart), each stack is
// compared with the previous one, frames shared with it stay open and the
// others close, so a frame's start and end are sums of counts ("time").
// Frames narrower than minwidth are pruned with their children.
//
// Frames come out in pre-order (a parent before its children, siblings left
// to right), so a frame's subtree is the contiguous range after it whose
// depth is greater. frames[0] is the root, whose name is empty ("all").
//
// Differences from flamegraph.pl, on purpose (bench/compare_flamegraph.py
// checks everything else against it on random inputs):
//   - a frame's delta (two-column input) sums every line ending in it; perl
//     drops the delta of a line whose last frame is already open (duplicates);
//   - perl keys frames by (name, depth, end time), so a zero-count line can
//     overwrite an earlier frame of the same name and depth; here every
//     frame is kept;
//   - perl re-reads reversed lines (--reverse), so a frame name ending in
//     " <digits>" turns into a count; here the parse happens once;
//   - with keep_removed, a frame whose AFTER count is 0 but BEFORE count is
//     not (it vanished) is kept as a zero-width frame marked `removed`.
// In a file that mixes one- and two-column lines, every frame gets a delta
// (one-column lines count as unchanged); perl leaves the frames of the
// one-column lines uncoloured by delta.
#ifndef STACKFIRE_RENDER_LAYOUT_H_
#define STACKFIRE_RENDER_LAYOUT_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace stackfire::render {

// One input line: a folded stack with its weight (AFTER) and, for
// differential input, its BEFORE weight (equal to after otherwise).
struct StackWeight {
  std::string_view stack;
  double after = 0;
  double before = 0;
  // flamegraph.pl sorts whole lines "STACK<separator>TAIL"; an empty tail
  // stands for the formatted weight (a Profile has no line text).
  char separator = ' ';
  std::string_view tail = {};
  uint32_t id = 0;  // the caller's index of the line, for LayoutOptions::leaf_of
};

struct LayoutOptions {
  bool reverse = false;     // frames of each stack reversed (leaf first)
  bool flamechart = false;  // keep input order, do not sort
  double minwidth = 0.1;    // pixels, or percent of the total when minwidth_percent
  bool minwidth_percent = false;
  double image_width = 1200;
  double xpad = 10;
  double total = 0;             // flamegraph.pl --total: used when larger than the sum
  bool differential = false;    // input has BEFORE weights
  bool keep_removed = false;    // keep frames that exist only in BEFORE
  bool chain = false;           // --colors chain: mark waker frames "_[w]"
  // When set, (*leaf_of)[s.id] becomes the index of the frame that each input
  // line s ends in (0, the root, for an empty stack). Only meaningful with
  // minwidth 0: pruning moves frames. Must have room for every id.
  std::vector<uint32_t>* leaf_of = nullptr;
  // Room to reserve for frames up front (a layout that keeps every frame
  // then never copies them while it grows; reserved pages cost nothing
  // until used).
  size_t reserve_frames = 0;
};

struct Frame {
  std::string_view name;
  uint32_t depth = 0;
  uint32_t parent = 0;
  double start = 0;  // in counts, from the left edge
  double end = 0;
  double before = 0;      // inclusive BEFORE weight (differential input)
  double self_delta = 0;  // sum of AFTER-BEFORE over the lines ending here
  bool removed = false;   // zero AFTER width but a BEFORE weight (keep_removed)

  double width() const { return end - start; }
};

struct Layout {
  std::vector<Frame> frames;
  double total = 0;         // the width of the root, in counts (timemax)
  double before_total = 0;  // the sum of BEFORE weights
  double max_delta = 1;     // flamegraph.pl's colour scale: max |AFTER-BEFORE| of a line, >= 1
  uint32_t max_depth = 0;
  bool differential = false;
  std::deque<std::string> storage;  // owns rewritten stacks (reverse, chain)
};

// Fails with kInvalidArgument when the input has no counts (total is 0).
absl::StatusOr<Layout> BuildLayout(std::vector<StackWeight> input, const LayoutOptions& options);

// Splits a stack as perl's split(";") does: trailing empty fields dropped.
std::vector<std::string_view> SplitFrames(std::string_view stack);
void SplitFramesInto(std::string_view stack, std::vector<std::string_view>* out);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_LAYOUT_H_
