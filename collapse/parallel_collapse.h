// Collapses one `perf script` input on several threads, with exactly the
// result of one PerfScriptCollapser reading it from start to end.
//
// Why it is exact: the script's state is empty after a blank line (the sample
// has ended; nothing carries over but the event filter). The input is cut
// into segments of a few MiB that each end with a blank line ("\n\n"); each
// worker thread folds the segments it takes, and all of them add their
// stacks to the one output Profile (under a lock: samples are rare next to
// lines). The event filter, when not given, is the first event in the input:
// segments are folded in order on the calling thread until it is known, and
// only then handed to the workers. Counts and the first unparsable line are
// merged in input order, so line numbers are those of the whole input. An
// input without blank lines is one segment.
//
// Memory: one copy of each distinct stack (the output profile), and segments
// in flight: at most 2 x threads of them for a streamed source; for a mapped
// one, the pages of each segment are released as it is read.
#ifndef STACKFIRE_COLLAPSE_PARALLEL_COLLAPSE_H_
#define STACKFIRE_COLLAPSE_PARALLEL_COLLAPSE_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collapse/perf_script.h"
#include "stackfire/profile.h"

namespace stackfire::collapse {

struct CollapseSource {
  // The whole input, when it is in memory at once (a mapped file)...
  std::optional<std::string_view> whole;
  // ...otherwise its pieces in order, then an empty piece.
  std::function<absl::StatusOr<std::string_view>()> next;
  // Optional: told that bytes [begin, end) of `whole` are done with (so that
  // a mapped file's pages can leave the resident set).
  std::function<void(size_t begin, size_t end)> release;
};

struct ParallelOptions {
  // 0: one per CPU, at most 8, for an input in memory; one for a stream.
  int threads = 0;
  size_t segment_bytes = 1 << 20;      // a segment ends at the first blank line past this
};

// Folds the input into *profile (which may already hold stacks) and fills
// *stats. Fails only when the source fails.
absl::Status CollapsePerfScriptParallel(const CollapseSource& source,
                                        const PerfScriptOptions& options,
                                        const ParallelOptions& parallel, Profile* profile,
                                        PerfScriptStats* stats);

// Adds `segment`'s counts, which follow `total`'s in the input, to `total`.
void MergeStats(const PerfScriptStats& segment, PerfScriptStats* total);

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_PARALLEL_COLLAPSE_H_
