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
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "render/flamegraph.h"
#include "render/layout.h"
#include "render/significance.h"

namespace stackfire::render {

// The whole tree (minwidth 0) with the tests of every frame.
struct FrameTests {
  Layout layout;                     // frames in pre-order, none pruned
  std::vector<ItemChange> changes;   // one per frame
  size_t significant_self = 0;       // frames whose self change is significant
  size_t significant_total = 0;
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
                                            FrameTests* tests = nullptr);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_SIGNIFICANT_DIFF_H_
