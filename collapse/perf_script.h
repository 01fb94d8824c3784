// `perf script` text to folded stacks: a streaming, byte-exact reimplementation
// of FlameGraph's stackcollapse-perf.pl.
//
// Contract: for every input, the profile printed with WriteFolded is what
// stackcollapse-perf.pl prints with the same options, at the revision that
// weighs each sample by its period and still counts the last sample when the
// input does not end with a blank line. Deliberate differences, all on input
// the script mishandles:
//   - "\r\n" line ends are read as "\n" (the script would keep the '\r');
//   - samples printed without call graphs, one frame on the event line, are
//     one-frame stacks (the script prints nothing); for these, an event
//     matches the filter when the names agree before their first ':'
//     ("cycles:u" is "cycles");
//   - stack weights are doubles: sums are exact up to 2^53;
//   - a line longer than options.max_line_bytes (4 MiB) is skipped as
//     unparsable, so that memory stays bounded on binary input.
// The script's --inline, --context and --srcline are not supported.
//
// Memory grows with the number of distinct stacks (held in the Profile), not
// with the input: Feed() takes the input in pieces of any size.
//
// Not thread-safe; one collapser per input.
#ifndef STACKFIRE_COLLAPSE_PERF_SCRIPT_H_
#define STACKFIRE_COLLAPSE_PERF_SCRIPT_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collapse/perf_script_line.h"
#include "collapse/reversed_stack.h"
#include "collapse/stack_line_scan.h"
#include "stackfire/profile.h"

namespace stackfire::collapse {

struct PerfScriptOptions {
  bool include_pid = false;      // --pid: "comm-PID" as the root frame
  bool include_tid = false;      // --tid: "comm-PID/TID" (wins over include_pid)
  bool annotate_kernel = false;  // --kernel: "_[k]" after kernel frames
  bool annotate_jit = false;     // --jit: "_[j]" after JIT frames (/tmp/perf-PID.map)
  bool include_addrs = false;    // --addrs: "[module <addr>]" for unknown symbols
  // --event-filter: keep only samples of this event. Empty: the first event
  // type in the input, like the script.
  std::string event_filter;
  // A longer line (a binary file has no newlines) is counted unparsable and
  // skipped, so that memory stays bounded.
  size_t max_line_bytes = 4 << 20;
  // Stack lines of the common form take a single-pass scanner
  // (stack_line_scan.h); off, every line takes the general path. The result
  // is the same: tests compare the two.
  bool fast_paths = true;
  // Weigh each sample by its period, as the script does; false counts
  // samples (what `stackfire diff`'s significance tests need).
  bool weigh_by_period = true;
};

struct PerfScriptStats {
  uint64_t lines = 0;
  uint64_t samples = 0;              // stacks added to the profile
  uint64_t single_line_samples = 0;  // of which had their frame on the event line
  // Lines that are neither comments, blank, event lines nor stack lines.
  uint64_t unparsable_lines = 0;
  uint64_t first_unparsable_line = 0;     // 1-based; 0 when none
  std::string first_unparsable_text;      // at most kMaxQuotedLine bytes of it
  // The event kept, and whether it was chosen as the first one seen.
  std::string event;
  bool event_defaulted = false;
  // Every event type seen on event lines, with how many event lines named it,
  // in first-seen order.
  std::vector<std::pair<std::string, uint64_t>> events;
  uint64_t filtered_samples = 0;  // event lines skipped by the event filter

  static constexpr size_t kMaxQuotedLine = 160;
};

class PerfScriptCollapser {
 public:
  explicit PerfScriptCollapser(PerfScriptOptions options);

  // Consumes the next piece of the input; pieces may split lines anywhere.
  void Feed(std::string_view data);
  // Ends the input: reads a last line without '\n' and counts a sample that
  // no blank line ended. Call once, after the last Feed().
  void Finish();

  const Profile& profile() const { return profile_; }
  Profile TakeProfile() { return std::move(profile_); }

  // Adds stacks to `*shared` instead of this collapser's own profile, holding
  // `*mu` meanwhile: several collapsers on several threads then keep one
  // copy of each distinct stack between them. Call before the first Feed().
  void ShareProfile(Profile* shared, std::mutex* mu) {
    shared_ = shared;
    shared_mu_ = mu;
  }
  const PerfScriptStats& stats() const { return stats_; }
  // Returns the counts so far and starts new ones; the event filter (given,
  // or chosen from the first event) stays.
  PerfScriptStats TakeStats();

 private:
  // Skips a line longer than max_line_bytes, else OnLine().
  void OnCompleteLine(std::string_view line);
  void OnLine(std::string_view line);
  void OnEventLine(std::string_view line, const EventHead& head);
  void OnIndentedLine(std::string_view line);
  void OnScannedStackLine(const ScannedStackLine& s);
  // Applies the event filter; false when the event line must be skipped.
  bool AcceptEvent(std::string_view event, bool single_line);
  void StartSample(const EventHead& head, std::string_view period);
  void AddFrames(const StackLine& frame);
  void EndSample();
  void CountEvent(std::string_view event);
  void CountUnparsable(std::string_view line);

  // Longer stack lines take the general path.
  static constexpr size_t kFastLineLimit = 4096;

  PerfScriptOptions options_;
  bool plain_names_ = false;  // frame names need no suffix (no --kernel, --jit)
  Profile profile_;
  Profile* shared_ = nullptr;
  std::mutex* shared_mu_ = nullptr;
  PerfScriptStats stats_;

  std::string partial_;  // an unfinished line carried to the next Feed()
  bool skipping_ = false;  // inside a line longer than max_line_bytes
  // Keeps `data` (the start of a line) for the next Feed(), unless the line
  // is now too long.
  void Carry(std::string_view data);

  // The sample being read. Frames arrive leaf first; each stack line's frames
  // go in front of the stack so far, and the process name last.
  bool in_sample_ = false;
  std::string pname_;
  double weight_ = 1;
  FrameContext frame_ctx_;
  ReversedStack stack_;
  std::string group_;    // the frames of one stack line, when cleaned up
  std::string scratch_;
};

// Convenience for whole inputs in memory (tests, small files).
Profile CollapsePerfScript(std::string_view text, const PerfScriptOptions& options,
                           PerfScriptStats* stats = nullptr);

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_PERF_SCRIPT_H_
