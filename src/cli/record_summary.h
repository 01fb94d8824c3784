// What `stackfire record` prints about a recording on stderr: the progress
// line while it runs, and the summary when it stops (counts, what was
// written, the files' problems, the unwinder check, throttling, suspension,
// why there are no samples).
#ifndef STACKFIRE_SRC_CLI_RECORD_SUMMARY_H_
#define STACKFIRE_SRC_CLI_RECORD_SUMMARY_H_

#include <string>
#include <vector>

#include "src/record/pipeline.h"
#include "src/record/session.h"

namespace stackfire::cli {

// "N samples, N lost, N unwind failures (P%)[, N truncated (P%)]": the
// summary's counts and the flame graph's subtitle. Off-CPU recordings add
// "N switch-outs (N without a stack)" after the samples; the percentages
// are of every stack unwound (samples and switch-outs).
std::string CountsLine(const record::CounterValues& c);

// "on-CPU 1.23 s, off-CPU 4.56 s": what an off-CPU recording measured, in
// the subtitle and the summary.
std::string WallLine(const record::WallTotals& wall);

// "\r" and the progress line, overwriting the previous one (a terminal).
void PrintProgress(double elapsed_s, const record::Counters& counters);

// Why sampling stopped, as the summary says it: "interrupted",
// "duration reached", ...
const char* StopReasonText(record::StopReason reason);

// The summary lines after the outputs were written: written lists them,
// finish_s is the time from stop to now. dwarf_stack_bytes is the size of
// each sample's stack copy (0 without --call-graph dwarf): when many stacks
// ran past it, the summary says how to record them whole.
void PrintSummary(const record::RecordResult& result, const std::string& counts,
                  const std::vector<std::string>& written, double finish_s, bool duration_given,
                  uint32_t dwarf_stack_bytes);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_RECORD_SUMMARY_H_
