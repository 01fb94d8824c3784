// Prints the hot-function table (render/report.h) on a stdio stream, fitted
// to the terminal: colour and name truncation only when the stream is a
// terminal, never when it is a pipe or a file. `stackfire report` uses it and
// so can `stackfire record --report` at the end of a recording.
//
// Terminal rules:
//   - colour: ColorMode::kAuto colours when isatty(fileno(out)) and the
//     NO_COLOR environment variable is unset or empty (https://no-color.org);
//     kAlways and kNever force it either way;
//   - width: on a terminal, $COLUMNS when it is a positive number, else the
//     TIOCGWINSZ window size, else 80; names are cut in the middle to fit.
//     Off a terminal names are printed in full.
#ifndef STACKFIRE_SRC_CLI_REPORT_OUTPUT_H_
#define STACKFIRE_SRC_CLI_REPORT_OUTPUT_H_

#include <cstdio>
#include <string_view>

#include "absl/status/status.h"
#include "render/report.h"
#include "stackfire/profile.h"

namespace stackfire::cli {

enum class ColorMode { kAuto, kAlways, kNever };

// Parses "auto", "always" or "never".
bool ParseColorMode(std::string_view text, ColorMode* mode);

// Sets options->color and options->width for output on `out`.
void FitToTerminal(FILE* out, ColorMode mode, render::ReportOptions* options);

// Builds and prints the table for profile. Fails with kInvalidArgument on a
// bad options.grep and kDataLoss when writing fails.
absl::Status PrintReport(const Profile& profile, const render::ReportOptions& options, FILE* out,
                         ColorMode color = ColorMode::kAuto);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_REPORT_OUTPUT_H_
