// The differential flame graph that colours only significant changes
// (`stackfire diff` without --raw).
//
// Every frame of the graph (a call path: a node of the merged tree, before
// pruning by --minwidth, so that the result does not depend on the picture's
// size) gets two tests, of its self and its total samples (significance.h),
// adjusted together with Benjamini-Hochberg. A frame is red or blue only
// when its SELF change is significant, so that the function that changed is
// coloured and its callers, whose totals change with it, stay white; the
// saturation is the size of the change (after minus BEFORE scaled to AFTER),
// relative to the largest significant one. Frames that exist only in BEFORE
// stay as dashed markers, blue when their total loss is significant. Every
// tooltip gives before, after (samples and % of the side's total), the delta
// as a % of AFTER's total, the p-value, the q-value and the verdict, for the
// frame's total and for its self samples.
//
// Geometry is the same as WriteDiffFlameGraph's (widths follow AFTER).
#ifndef STACKFIRE_RENDER_SIGNIFICANT_DIFF_H_
#define STACKFIRE_RENDER_SIGNIFICANT_DIFF_H_

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "render/flamegraph.h"
#include "render/layout.h"
#include "render/significance.h"

namespace stackfire::render {

// The whole tree (minwidth 0) with the tests of every frame. With one run
// per side only the tests that take part in the correction are kept (a
// graph of 50,000 stacks has ~180,000 frames, most too thin to test);
// Get() makes any frame's ItemChange on demand. `runs` must outlive it.
class FrameTests {
 public:
  FrameTests(FrameTests&&) = default;
  FrameTests& operator=(FrameTests&&) = default;

  const Layout& layout() const { return layout_; }
  size_t size() const { return layout_.frames.size(); }
  // Counts, shares, p (computed now if needed), q and verdict of frame i.
  // Not thread-safe (it fills caches).
  ItemChange Get(size_t frame) const;
  size_t significant_self() const { return significant_self_; }
  size_t significant_total() const { return significant_total_; }

 private:
  friend absl::StatusOr<FrameTests> TestFrames(const DiffRuns&, const RenderOptions&,
                                               const SignificanceOptions&);
  FrameTests() = default;
  Layout layout_;  // frames' `before` are raw BEFORE weights
  // Several runs: every frame's tests.
  std::vector<ItemChange> all_;
  // One run per side: self AFTER weight per frame (self BEFORE is that minus
  // self_delta), and the tests that took part, by frame.
  std::vector<double> self_after_;
  absl::flat_hash_map<uint32_t, Change> self_tested_, total_tested_;
  size_t significant_self_ = 0, significant_total_ = 0;
  double after_total_ = 0;  // raw AFTER weight (the root's width may include --total)
  std::unique_ptr<ChangeMaker> maker_;  // Get() is const but fills its caches
};

// Layout options come from `options` (reverse, flamechart, chain, total);
// its minwidth is ignored.
absl::StatusOr<FrameTests> TestFrames(const DiffRuns& runs, const RenderOptions& options,
                                      const SignificanceOptions& sig);

// "p = 0.0123", "p = 3.1e-07", "p < 1e-300".
std::string FormatP(const char* name, double p);

// The SVG. Fails like WriteDiffFlameGraph (kInvalidArgument when AFTER has
// no samples); *tests, when given, receives the frame tests.
absl::Status WriteSignificantDiffFlameGraph(const DiffRuns& runs, RenderOptions options,
                                            const SignificanceOptions& sig, std::ostream& out,
                                            std::optional<FrameTests>* tests = nullptr);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_SIGNIFICANT_DIFF_H_
