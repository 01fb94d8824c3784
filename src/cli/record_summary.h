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
// summary's counts and the flame graph's subtitle.
std::string CountsLine(const record::CounterValues& c);

// "\r" and the progress line, overwriting the previous one (a terminal).
void PrintProgress(double elapsed_s, const record::Counters& counters);

// Why sampling stopped, as the summary says it: "interrupted",
// "duration reached", ...
const char* StopReasonText(record::StopReason reason);

// The summary lines after the outputs were written: written lists them,
// finish_s is the time from stop to now.
void PrintSummary(const record::RecordResult& result, const std::string& counts,
                  const std::vector<std::string>& written, double finish_s, bool duration_given);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_RECORD_SUMMARY_H_
