// `stackfire report [FILE.folded|-] [--top N] [--by self|total] [--grep RE]`:
// the hottest functions of a folded profile as a terminal table.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "collapse/folded.h"
#include "collapse/report.h"
#include "src/cli/commands.h"
#include "src/cli/report_output.h"

namespace stackfire::cli {
namespace {

struct ReportState {
  std::string file = "-";
  int top = 20;
  std::string by = "self";
  std::string grep;
  std::string color = "auto";
};

int RunReport(const ReportState& st) {
  ReportOptions opts;
  if (st.top < 0) {
    PrintError("--top " + std::to_string(st.top) + " is negative",
               "give the number of rows to print, or 0 for all of them");
    return 2;
  }
  opts.top = static_cast<size_t>(st.top);
  if (!ParseReportSortKey(st.by, &opts.by)) {
    PrintError("--by: '" + st.by + "' is not self or total");
    return 2;
  }
  ColorMode color = ColorMode::kAuto;
  if (!ParseColorMode(st.color, &color)) {
    PrintError("--color: '" + st.color + "' is not auto, always or never");
    return 2;
  }
  opts.grep = st.grep;

  FoldedInput input;
  absl::Status s;
  const std::string source = st.file == "-" ? "<stdin>" : st.file;
  if (st.file == "-") {
    s = ReadFolded(std::cin, source, &input);
  } else {
    std::ifstream in(st.file, std::ios::binary);
    if (!in) {
      PrintError("cannot open " + st.file + ": " + std::strerror(errno),
                 "pass a folded file (from `stackfire collapse` or `stackfire record -o "
                 "FILE.folded`) or '-' for stdin");
      return 1;
    }
    s = ReadFolded(in, st.file, &input);
  }
  if (!s.ok()) {
    PrintError(std::string(s.message()));
    return 1;
  }
  if (input.bad_lines > 0) {
    std::fprintf(stderr, "stackfire: warning: %s\n", input.BadLinesMessage().c_str());
  }
  Profile profile = ToProfile(input);
  if (profile.empty() || profile.total() <= 0) {
    PrintError("no samples in " + source + " (" + std::to_string(input.lines) + " lines read)",
               "the input must be folded stacks, one \"frame;frame;frame COUNT\" per line; "
               "make them with `stackfire collapse`");
    return 1;
  }
  s = PrintReport(profile, opts, stdout, color);
  if (!s.ok()) {
    if (absl::IsInvalidArgument(s)) {
      PrintError(std::string(s.message()),
                 "--grep takes an ECMAScript regular expression, e.g. --grep '^std::' or "
                 "--grep 'malloc|free'");
      return 2;
    }
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
  cmd->add_option("--top", st->top, "Print the N hottest rows; 0 prints all")
      ->capture_default_str();
  cmd->add_option("--by", st->by, "Sort key: self or total")->capture_default_str();
  cmd->add_option("--grep", st->grep,
                  "Only rows whose function name matches this ECMAScript regular expression");
  cmd->add_option("--color", st->color,
                  "Colour: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
      ->capture_default_str();
  cmd->add_option("file", st->file, "Folded stacks file; '-' or none reads stdin");
  return {cmd, [st] { return RunReport(*st); }};
}

}  // namespace stackfire::cli
