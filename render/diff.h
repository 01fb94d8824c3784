// Differential profiles: two folded profiles joined stack by stack, as
// difffolded.pl does, and drawn as a red/blue differential flame graph.
//
// MakeDiff follows difffolded.pl: every line is read as "STACK COUNT" (the
// count after the last blank), counts of repeated stacks are summed,
// --strip-hex rewrites 0x[0-9a-fA-F]+ to "0x...", and --normalize scales
// BEFORE to AFTER's total with int(before * total_after / total_before).
// WriteDiffFolded prints "STACK BEFORE AFTER" lines sorted bytewise, which
// is difffolded.pl's output after `LC_ALL=C sort`.
//
// WriteDiffFlameGraph draws widths from AFTER (like flamegraph.pl on that
// output); a frame's colour is its own (self) change, red when it grew and
// blue when it shrank, saturated at the largest change of any stack
// (flamegraph.pl's scale); --negate swaps the hues. Better than the
// reference, frames that exist only in BEFORE stay visible as thin dashed
// blue "removed" markers at the place they would sort, and every tooltip
// gives before, after, the delta, the delta as a percentage of the frame's
// own BEFORE count, and of the total.
#ifndef STACKFIRE_RENDER_DIFF_H_
#define STACKFIRE_RENDER_DIFF_H_

#include <deque>
#include <iosfwd>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "collapse/folded.h"
#include "render/flamegraph.h"
#include "render/layout.h"

namespace stackfire::render {

struct DiffOptions {
  bool normalize = false;  // -n
  bool strip_hex = false;  // -s
};

// Entries point into the FoldedInputs they were made from (or into the
// profile's own storage for rewritten stacks): keep those inputs alive.
class DiffProfile {
 public:
  struct Entry {
    std::string_view stack;
    double before = 0;
    double after = 0;
  };
  // `stack` must outlive the profile. Returns the stack's index in entries().
  size_t Add(std::string_view stack, double before, double after);
  // Copies `stack` into the profile first.
  size_t AddCopy(std::string stack, double before, double after);
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<Entry>& mutable_entries() { return entries_; }
  double before_total() const;
  double after_total() const;

 private:
  std::vector<Entry> entries_;
  absl::flat_hash_map<absl::string_view, size_t> index_;
  std::deque<std::string> storage_;
};

// difffolded.pl -s: every 0x[0-9a-fA-F]+ becomes "0x...".
std::string StripHex(std::string_view stack);

// Joins BEFORE and AFTER (single-column folded input, read with
// allow_two_columns = false).
DiffProfile MakeDiff(const collapse::FoldedInput& before, const collapse::FoldedInput& after,
                     const DiffOptions& options);

// difffolded.pl's "STACK BEFORE AFTER" lines, sorted bytewise.
void WriteDiffFolded(const DiffProfile& diff, std::ostream& out);

std::vector<StackWeight> StacksOf(const DiffProfile& diff);

// The differential SVG (options.diff_details is forced on). The default
// title is "Differential Flame Graph (red: grew, blue: shrank)".
absl::Status WriteDiffFlameGraph(const DiffProfile& diff, RenderOptions options,
                                 std::ostream& out);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_DIFF_H_
