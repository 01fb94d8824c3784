// `stackfire render [OPTIONS] [FILE...|-] > flame.svg`: folded stacks to an
// interactive SVG, a drop-in for flamegraph.pl (same options and defaults).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collapse/folded.h"
#include "collapse/parallel_collapse.h"
#include "collapse/perf_script.h"
#include "src/io/folded_input.h"
#include "stackfire/timeline.h"
#include "render/flamegraph.h"
#include "src/cli/command_output.h"
#include "src/cli/commands.h"
#include "src/cli/export_output.h"
#include "export/export_profile.h"
#include "export/speedscope.h"
#include "src/cli/command_input.h"
#include "src/cli/render_flags.h"

namespace stackfire::cli {
namespace {

struct RenderState {
  render::RenderOptions opts;
  std::vector<std::string> files;
  std::string output;
  std::string format;
};

// --countname says what the weights measure; pprof and speedscope want a
// type and a unit.
exporter::FoldedMeta MetaFromCountname(const std::string& countname) {
  exporter::FoldedMeta meta;
  if (countname == "ns" || countname == "nanoseconds") meta.event = "cpu-clock";
  return meta;
}

// The hint for an input without stack counts.
std::string NoStacksHint(const std::string& wrong_text_hint) {
  if (!wrong_text_hint.empty()) return wrong_text_hint;
  return "the input must be folded stacks, one \"frame;frame;frame COUNT\" per line; "
         "make them with `stackfire collapse`";
}

int ExportFolded(const collapse::FoldedInput& input, const RenderState& st, OutputFormat format,
                 const std::string& wrong_text_hint) {
  if (input.differential) {
    PrintError("differential (two-column) input cannot be exported to pprof or speedscope",
               "export each profile on its own, then compare them in pprof with -diff_base");
    return 1;
  }
  Profile profile;
  for (const collapse::FoldedRecord& r : input.records) profile.Add(r.stack, r.count);
  if (profile.empty()) {
    PrintError("no stack counts found in the input (" + std::to_string(input.lines) +
                   " lines read)",
               NoStacksHint(wrong_text_hint));
    return 1;
  }
  ExportRequest request;
  request.format = format;
  request.output = st.output;
  request.meta = MetaFromCountname(st.opts.countname);
  request.name = st.files.size() == 1 && st.files[0] != "-" ? st.files[0] : "stackfire profile";
  exporter::ExportProfile model = exporter::FromFolded(profile, request.meta);
  request.per_thread = exporter::RootedAtThreads(model);
  return WriteExport(profile, request);
}

int RenderPerfScript(std::unique_ptr<io::InputReader> reader, const RenderState& st) {
  collapse::CollapseSource source;
  if (!PerfScriptSource(reader.get(), &source)) return 1;
  collapse::PerfScriptOptions options;
  options.collect_timeline = true;
  Profile profile;
  collapse::PerfScriptStats stats;
  Timeline timeline;
  if (absl::Status s =
          collapse::CollapsePerfScriptInOrder(source, options, &profile, &stats, &timeline);
      !s.ok()) {
    PrintError(std::string(s.message()), "no output was written; fix or re-create the input");
    return 1;
  }
  if (profile.empty()) {
    PrintError(absl::StrCat("no stacks found in ", reader->name()),
               "the input has no event line such as \"comm 123 [000] 1.5: 250000 cpu-clock:\"");
    return 1;
  }
  render::RenderOptions opts = st.opts;
  // Samples without a time (perf script -F without time) leave no heatmap.
  if (timeline.samples.size() == stats.samples) opts.timeline = &timeline;
  absl::StatusOr<CommandOutput> out = CommandOutput::Open(st.output);
  if (!out.ok()) {
    PrintError(std::string(out.status().message()),
               "check that the directory exists and is writable");
    return 1;
  }
  if (absl::Status s = RenderWithPalette(profile, opts, out->stream()); !s.ok()) {
    PrintError(std::string(s.message()));
    return 1;
  }
  if (absl::Status fs = out->Finish("the SVG"); !fs.ok()) {
    PrintError(std::string(fs.message()), "check free disk space and the output path");
    return 1;
  }
  return 0;
}

int RunRender(const RenderState& st) {
  absl::StatusOr<OutputFormat> format =
      ResolveOutputFormat(st.format, st.output, OutputFormat::kSvg);
  if (!format.ok()) {
    PrintError(std::string(format.status().message()));
    return 2;
  }
  if (absl::Status s = render::ValidateOptions(st.opts); !s.ok()) {
    PrintError(std::string(s.message()), "see `stackfire render --help` for the accepted values");
    return 2;
  }
  collapse::FoldedInput input;
  std::vector<std::string> files = st.files;
  if (files.empty()) files.push_back("-");
  std::string wrong_text_hint;  // for "no stack counts": why, when the input tells
  if (files.size() == 1 && *format == OutputFormat::kSvg) {
    // `perf script` text carries each sample's time: it is folded here (as
    // `stackfire collapse` does, with its defaults) and drawn with a heatmap.
    io::InputFormat sniffed = io::InputFormat::kText;
    std::unique_ptr<io::InputReader> reader = OpenTextInput(
        files[0], "render", "pass a folded file (from `stackfire collapse`) or '-' for stdin",
        &sniffed);
    if (reader == nullptr) return 1;
    if (sniffed == io::InputFormat::kPerfScript) return RenderPerfScript(std::move(reader), st);
    if (absl::Status s = io::ReadFoldedInput(std::move(reader), &input, true); !s.ok()) {
      PrintError(std::string(s.message()), "no output was written; fix or re-create the input");
      return 1;
    }
    wrong_text_hint = WrongTextHint(sniffed, "render", files[0]);
    files.clear();
  }
  for (const std::string& f : files) {
    io::InputFormat sniffed = io::InputFormat::kText;
    if (!ReadFoldedArg(f, "render",
                       "pass a folded file (from `stackfire collapse`) or '-' for stdin", &input,
                       /*allow_two_columns=*/true, &sniffed)) {
      return 1;
    }
    if (wrong_text_hint.empty()) wrong_text_hint = WrongTextHint(sniffed, "render", f);
  }
  if (input.bad_lines > 0) {
    std::fprintf(stderr, "stackfire: warning: %s\n", input.BadLinesMessage().c_str());
  }
  if (*format != OutputFormat::kSvg) return ExportFolded(input, st, *format, wrong_text_hint);
  double total = input.total();
  if (st.opts.countname == "samples" && total < 100) {
    std::fprintf(stderr, "stackfire: warning: stack count is low (%s). Did something go wrong?\n",
                 FormatWeight(total).c_str());
  }

  absl::StatusOr<CommandOutput> out = CommandOutput::Open(st.output);
  if (!out.ok()) {
    PrintError(std::string(out.status().message()),
               "check that the directory exists and is writable");
    return 1;
  }
  absl::Status s = RenderWithPalette(input, st.opts, out->stream());
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kInvalidArgument) {
      // flamegraph.pl's error picture was written: keep it, as it does.
      if (absl::Status fs = out->Finish("the SVG"); !fs.ok()) {
        PrintError(std::string(fs.message()), "check free disk space and the output path");
        return 1;
      }
      PrintError("no stack counts found in the input (" + std::to_string(input.lines) +
                     " lines read)",
                 NoStacksHint(wrong_text_hint));
    } else {
      PrintError(std::string(s.message()));
    }
    return 1;
  }
  if (absl::Status fs = out->Finish("the SVG"); !fs.ok()) {
    PrintError(std::string(fs.message()), "check free disk space and the output path");
    return 1;
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterRender(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "render",
      "Draw folded stacks as an interactive SVG flame graph (drop-in for flamegraph.pl).\n"
      "Colours are deterministic: the same name gets the same colour in every graph.");
  auto st = std::make_shared<RenderState>();
  AddRenderFlags(cmd, &st->opts);
  cmd->add_option("-o,--output", st->output,
                  "Write the SVG (or the --format) to FILE instead of stdout");
  cmd->add_option("--format", st->format,
                  FormatFlagHelp(OutputFormat::kSvg) +
                      ". pprof and speedscope convert the folded input instead of drawing it; "
                      "--countname ns marks the weights as CPU nanoseconds")
      ->check(CLI::IsMember({"svg", "pprof", "speedscope"}))
      ->type_name("FORMAT");
  cmd->add_option("files", st->files, "Folded stack files; '-' or none reads stdin");
  return {cmd, [st] { return RunRender(*st); }};
}

}  // namespace stackfire::cli
