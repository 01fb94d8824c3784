// The hot-function table of a profile: for every function name, its self
// samples (stacks where it is the leaf) and its total samples (stacks that
// contain it anywhere), as `perf report --stdio --no-children` and py-spy's
// top view print them.
//
// Contract:
//   - A stack is split at ';' (Profile's folded convention); the last frame
//     is the leaf. Empty frame names (";;" or a trailing ';') are skipped.
//   - Total counts a stack once per function even when the function appears
//     in it several times (recursion), so total <= the profile's total and
//     total >= self for every row.
//   - Percentages are of the whole profile, also when --grep hides rows.
//   - Rows sort by the key descending, then by the other key descending,
//     then by name bytewise, so the output is deterministic.
//   - Wall-clock profiles (`record --off-cpu`): a stack ending in the
//     "[off-cpu]" marker (stackfire/profile.h) is off-CPU time. The marker is
//     not a function: such a stack's self time goes to the frame before it.
//     Each row also splits its total into on-CPU and off-CPU time, and
//     FormatReport prints those two columns when the profile has off-CPU
//     stacks.
//   - Function names are untrusted: FormatReport writes control bytes as
//     \xNN (\t, \x1b...) so a name cannot move the cursor or recolour the
//     terminal. Everything else (UTF-8 included) is kept.
// Pure code: terminal detection (isatty, TIOCGWINSZ, NO_COLOR) is the
// caller's job (src/cli/report_output.h); it passes the outcome in
// ReportOptions::color and ::width. A view of the profile beside the flame
// graph, so it lives in render/, not with the model and parsers in
// collapse/.
#ifndef STACKFIRE_RENDER_REPORT_H_
#define STACKFIRE_RENDER_REPORT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/profile.h"

namespace stackfire::render {

enum class ReportSortKey { kSelf, kTotal };

struct ReportOptions {
  size_t top = 20;  // rows to print after filtering; 0 prints every row
  ReportSortKey by = ReportSortKey::kSelf;
  std::string grep;    // RE2 regex searched in each name; empty keeps all
  bool color = false;  // ANSI colours (bold header, hot percentages)
  size_t width = 0;    // terminal columns to fit names in; 0 never truncates
};

struct ReportRow {
  std::string name;
  double self = 0;
  double total = 0;
  double off_cpu = 0;  // the part of total in off-CPU stacks
};

struct ReportTable {
  std::vector<ReportRow> rows;  // sorted, filtered and cut to options.top
  double samples = 0;           // the profile's total weight
  double off_cpu = 0;           // of which in off-CPU stacks (wall-clock profiles)
  size_t functions = 0;         // distinct function names in the profile
  size_t matched = 0;           // names that passed --grep (before --top)
};

// Parses "self" or "total".
bool ParseReportSortKey(std::string_view text, ReportSortKey* key);

// Builds the table. Fails with kInvalidArgument when options.grep is not a
// valid regular expression.
absl::StatusOr<ReportTable> BuildReport(const Profile& profile, const ReportOptions& options);

// Renders the table as text: a summary line, a header and one line per row,
// each ending in '\n'. Only color and width are read from options, plus
// by/top/grep for the summary line.
std::string FormatReport(const ReportTable& table, const ReportOptions& options);

// Untrusted text made safe for a terminal: C0 and C1 control characters and
// invalid UTF-8 become visible escapes (\xNN, \uNNNN, \t); the rest, UTF-8
// included, is kept. FormatReport uses it for names; record for file paths.
std::string EscapeForTerminal(std::string_view text);

// Fits name into at most `columns` display columns (UTF-8 code points), with
// "..." in the middle so both the start (namespace, class) and the end (the
// method and its arguments) stay visible. Returns name unchanged if it fits.
std::string TruncateMiddle(std::string_view name, size_t columns);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_REPORT_H_
