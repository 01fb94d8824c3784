// `stackfire diff [-n] [-s] [--folded] BEFORE AFTER`: the differential flame
// graph of two folded profiles (difffolded.pl | flamegraph.pl in one step).
#include <cstdio>
#include <memory>
#include <string>

#include "collapse/folded.h"
#include "render/diff.h"
#include "src/cli/command_output.h"
#include "src/cli/commands.h"
#include "src/cli/command_input.h"
#include "src/cli/render_flags.h"

namespace stackfire::cli {
namespace {

struct DiffState {
  render::RenderOptions opts;
  render::DiffOptions diff;
  bool folded = false;
  std::string before, after, output;
};

bool ReadInput(const std::string& path, collapse::FoldedInput* input) {
  if (!ReadFoldedArg(path, "diff",
                     "pass two folded files (from `stackfire collapse`): BEFORE AFTER", input,
                     /*allow_two_columns=*/false)) {
    return false;
  }
  if (input->bad_lines > 0) {
    std::fprintf(stderr, "stackfire: warning: %s\n", input->BadLinesMessage().c_str());
  }
  return true;
}

int RunDiff(const DiffState& st) {
  if (absl::Status s = render::ValidateOptions(st.opts); !s.ok()) {
    PrintError(std::string(s.message()), "see `stackfire diff --help` for the accepted values");
    return 2;
  }
  if (st.before == "-" && st.after == "-") {
    PrintError("BEFORE and AFTER cannot both be stdin", "pass at least one of them as a file");
    return 2;
  }
  collapse::FoldedInput before, after;
  if (!ReadInput(st.before, &before) || !ReadInput(st.after, &after)) return 1;
  render::DiffProfile diff = render::MakeDiff(before, after, st.diff);
  if (diff.entries().empty()) {
    PrintError("no stacks found in " + st.before + " or " + st.after,
               "the inputs must be folded stacks, one \"frame;frame COUNT\" per line");
    return 1;
  }

  absl::StatusOr<CommandOutput> out = CommandOutput::Open(st.output);
  if (!out.ok()) {
    PrintError(std::string(out.status().message()),
               "check that the directory exists and is writable");
    return 1;
  }
  if (st.folded) {
    render::WriteDiffFolded(diff, out->stream());
  } else {
    absl::Status s = render::WriteDiffFlameGraph(diff, st.opts, out->stream());
    if (!s.ok()) {
      if (s.code() == absl::StatusCode::kInvalidArgument) {
        // The error picture was written: keep it, as render does.
        if (absl::Status fs = out->Finish(); !fs.ok()) {
          PrintError(std::string(fs.message()), "check free disk space and the output path");
          return 1;
        }
        PrintError("AFTER (" + st.after + ") has no samples, so the graph has no width",
                   "swap the files and use --negate to see what BEFORE had");
      } else {
        PrintError(std::string(s.message()));
      }
      return 1;
    }
  }
  if (absl::Status fs = out->Finish(); !fs.ok()) {
    PrintError(std::string(fs.message()), "check free disk space and the output path");
    return 1;
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterDiff(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "Differential flame graph of two folded profiles (difffolded.pl | flamegraph.pl).\n"
      "Widths follow AFTER; red frames grew, blue frames shrank (by their own samples),\n"
      "dashed blue markers are frames that exist only in BEFORE. Tooltips show before,\n"
      "after and the delta, also as a percentage of the frame and of the total.");
  auto st = std::make_shared<DiffState>();
  cmd->add_flag("-n,--normalize", st->diff.normalize,
                "Scale BEFORE's counts to AFTER's total (difffolded.pl -n)");
  cmd->add_flag("-s,--strip-hex", st->diff.strip_hex,
                "Replace hex addresses 0x... so they compare equal (difffolded.pl -s)");
  cmd->add_flag("--folded", st->folded,
                "Print difffolded.pl's \"STACK BEFORE AFTER\" lines (sorted) instead of an SVG");
  cmd->add_option("-o,--output", st->output, "Write to FILE instead of stdout");
  AddRenderFlags(cmd, &st->opts);
  cmd->add_option("BEFORE", st->before, "Folded profile before the change ('-' for stdin)")
      ->required();
  cmd->add_option("AFTER", st->after, "Folded profile after the change ('-' for stdin)")
      ->required();
  return {cmd, [st] { return RunDiff(*st); }};
}

}  // namespace stackfire::cli
