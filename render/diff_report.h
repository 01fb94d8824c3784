// `stackfire diff --report`: the functions whose self or total share changed
// most, as a terminal table or JSON, and the CI gate (--fail-if-regressed).
//
// Rows are functions (frame names, as `stackfire report` counts them: self =
// samples where the function is the leaf, total = samples with it anywhere
// on the stack, once per stack), tested as one family (significance.h).
// Order: rows whose self change is significant first (where the time
// went), then rows whose total change is (their callers), then the rest;
// within each, by the larger of |self delta| and |total delta| (as % of
// AFTER's total), then by name. Names
// are untrusted: the table escapes control bytes (EscapeForTerminal), JSON
// escapes as JSON.
#ifndef STACKFIRE_RENDER_DIFF_REPORT_H_
#define STACKFIRE_RENDER_DIFF_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "render/significance.h"

namespace stackfire::render {

struct DiffReportOptions {
  size_t top = 20;    // rows; 0 = all
  std::string grep;   // RE2, searched in names; empty keeps all
  bool color = false;
  size_t width = 0;   // terminal columns for names; 0 never truncates
  double alpha = 0.05;
};

struct DiffReport {
  std::vector<FunctionChange> rows;  // sorted, filtered, cut to top
  size_t functions = 0;              // in the profiles
  size_t matched = 0;                // after --grep
  size_t significant = 0;            // functions with a significant change (all, not only shown)
  std::string test;                  // "binomial" or "welch"
  size_t before_runs = 0, after_runs = 0;  // files given
  double before_samples = 0, after_samples = 0;
  bool per_unit = false;
  bool pooled = false;  // runs added together (--pool)
};

// Fails with kInvalidArgument on a bad grep.
absl::StatusOr<DiffReport> BuildDiffReport(const DiffRuns& runs,
                                           std::vector<FunctionChange> functions,
                                           const DiffReportOptions& options);

std::string FormatDiffReport(const DiffReport& report, const DiffReportOptions& options);

// The gate: functions (matching `grep` when not empty) whose self or total
// share grew significantly by more than pct % of AFTER's total, largest
// first. Fails with kInvalidArgument on a bad grep.
absl::StatusOr<std::vector<FunctionChange>> Regressions(
    const std::vector<FunctionChange>& functions, double pct, const std::string& grep);

// One line per regression, "regressed: NAME: total 1.00% -> 3.00% (+2.00% of
// total, q = ...)", names escaped for a terminal.
std::string FormatRegressions(const std::vector<FunctionChange>& regressions, double pct);

// The report (and the regressions, when the gate is on) as one JSON object.
std::string DiffReportJson(const DiffReport& report, const std::vector<FunctionChange>* regressions,
                           double pct);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_DIFF_REPORT_H_
