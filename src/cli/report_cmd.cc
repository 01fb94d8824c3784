// `stackfire report [FILE.folded|-] [--top N] [--by self|total] [--grep RE]`:
// the hottest functions of a folded profile as a terminal table.
#include <cstdio>
#include <memory>
#include <string>

#include "collapse/folded.h"
#include "render/report.h"
#include "src/cli/command_input.h"
#include "src/cli/commands.h"
#include "src/cli/render_flags.h"
#include "src/cli/report_output.h"

namespace stackfire::cli {
namespace {

struct ReportState {
  std::string file = "-";
  ReportFlags report;
  std::string color = "auto";
};

int RunReport(const ReportState& st) {
  std::string hint;
  absl::StatusOr<render::ReportOptions> opts = ValidateReportFlags(st.report, &hint);
  if (!opts.ok()) {
    PrintError(std::string(opts.status().message()), hint);
    return 2;
  }
  ColorMode color = ColorMode::kAuto;
  if (!ParseColorMode(st.color, &color)) {
    PrintError("--color: '" + st.color + "' is not auto, always or never");
    return 2;
  }

  collapse::FoldedInput input;
  const std::string source = st.file == "-" ? "<stdin>" : st.file;
  io::InputFormat sniffed = io::InputFormat::kText;
  if (!ReadFoldedArg(st.file, "report",
                     "pass a folded file (from `stackfire collapse` or `stackfire record -o "
                     "FILE.folded`) or '-' for stdin",
                     &input, /*allow_two_columns=*/true, &sniffed)) {
    return 1;
  }
  if (input.bad_lines > 0) {
    std::fprintf(stderr, "stackfire: warning: %s\n", input.BadLinesMessage().c_str());
  }
  Profile profile = collapse::ToProfile(input);
  if (profile.empty() || profile.total() <= 0) {
    std::string hint = WrongTextHint(sniffed, "report", st.file);
    PrintError("no samples in " + source + " (" + std::to_string(input.lines) + " lines read)",
               !hint.empty() ? hint
                             : "the input must be folded stacks, one \"frame;frame;frame COUNT\" "
                               "per line; make them with `stackfire collapse`");
    return 1;
  }
  absl::Status s = PrintReport(profile, *opts, stdout, color);
  if (!s.ok()) {
    PrintError(std::string(s.message()), "check that stdout is writable");
    return 1;
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterReport(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Print the hottest functions of a folded profile as a table: self samples (the function\n"
      "is the leaf) and total samples (the function is anywhere on the stack, counted once\n"
      "per stack even when it recurses), with percentages of all samples.");
  auto st = std::make_shared<ReportState>();
  AddReportFlags(cmd, &st->report);
  cmd->add_option("--color", st->color,
                  "Colour: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
      ->capture_default_str();
  cmd->add_option("file", st->file, "Folded stacks file; '-' or none reads stdin");
  return {cmd, [st] { return RunReport(*st); }};
}

}  // namespace stackfire::cli
