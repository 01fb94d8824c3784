// The view options on a CLI11 (sub)command: flamegraph.pl's, shared by
// `render`, `diff` and `record` (which passes them through to the
// renderer), and the report table's, shared by `report` and `record
// --report`.
#ifndef STACKFIRE_SRC_CLI_RENDER_FLAGS_H_
#define STACKFIRE_SRC_CLI_RENDER_FLAGS_H_

#include <iosfwd>
#include <string>
#include <string_view>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "render/report.h"
#include "render/flamegraph.h"

namespace stackfire::cli {

// Registers --title --subtitle --width --height --minwidth --fonttype
// --fontsize --fontwidth --countname --nametype --colors --bgcolors --hash
// --cp --reverse --inverted --flamechart --negate --factor --notes --total,
// with flamegraph.pl's defaults, writing into *opts (which must outlive app).
void AddRenderFlags(CLI::App* app, render::RenderOptions* opts);

// --top, --by and --grep of the report table.
struct ReportFlags {
  int top = 20;
  std::string by = "self";
  std::string grep;
};

// Registers --top, --by and --grep writing into *flags (which must outlive
// app).
void AddReportFlags(CLI::App* app, ReportFlags* flags);

// Checks the values: --top not negative, --by self or total, --grep a
// valid RE2 expression. On failure, kInvalidArgument (a usage error) with
// the message, and *hint says what to do (or is left empty).
absl::StatusOr<render::ReportOptions> ValidateReportFlags(const ReportFlags& flags,
                                                          std::string* hint);

// Draws `input` to `out` honouring --cp: palette.map in the current
// directory is read first and written back afterwards, as flamegraph.pl does.
absl::Status RenderWithPalette(const collapse::FoldedInput& input, render::RenderOptions opts,
                               std::ostream& out);
// The same for a recorded profile (what `record` draws).
absl::Status RenderWithPalette(const Profile& profile, render::RenderOptions opts,
                               std::ostream& out);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_RENDER_FLAGS_H_
