// `stackfire diff [OPTIONS] BEFORE AFTER` or `BEFORE... -- AFTER...`: the
// differential flame graph of two profiles (or two sets of runs), coloured
// where the change is larger than noise (render/significant_diff.h), or as
// difffolded.pl | flamegraph.pl colour it (--raw); --report prints the
// changed functions instead, --fail-if-regressed makes it a CI gate.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collapse/folded.h"
#include "render/diff.h"
#include "render/diff_report.h"
#include "render/significance.h"
#include "render/significant_diff.h"
#include "src/cli/command_input.h"
#include "src/cli/command_output.h"
#include "src/cli/commands.h"
#include "src/cli/diff_inputs.h"
#include "src/cli/render_flags.h"
#include "src/cli/report_output.h"

namespace stackfire::cli {
namespace {

struct DiffState {
  render::RenderOptions opts;
  render::DiffOptions diff;
  render::SignificanceOptions sig;
  bool folded = false;
  bool raw = false;
  bool report = false;
  std::string format = "text";
  double fail_pct = -1;  // --fail-if-regressed; < 0: off
  std::string grep;
  std::string color = "auto";
  std::string sample_type;
  int top = 20;
  std::vector<std::string> files;  // BEFORE AFTER, or the BEFORE files when `--` was given
  const std::optional<std::vector<std::string>>* after = nullptr;  // the files after `--`
  std::string output;
};

int Usage(const std::string& message, const std::string& hint) {
  PrintError(message, hint);
  return 2;
}

int RunDiff(const DiffState& st) {
  if (absl::Status s = render::ValidateOptions(st.opts); !s.ok()) {
    return Usage(std::string(s.message()), "see `stackfire diff --help` for the accepted values");
  }
  if (!(st.sig.alpha > 0 && st.sig.alpha < 1)) {
    return Usage("--alpha must be between 0 and 1 (e.g. 0.05)", "");
  }
  if (st.format != "text" && st.format != "json") {
    return Usage("--format: '" + st.format + "' is not text or json", "");
  }
  if (st.format == "json" && !st.report) {
    return Usage("--format json goes with --report", "the graph itself is an SVG");
  }
  if (st.top < 0) return Usage("--top must be 0 (all) or more", "");
  ColorMode color = ColorMode::kAuto;
  if (!ParseColorMode(st.color, &color)) {
    return Usage("--report-color: '" + st.color + "' is not auto, always or never", "");
  }
  const bool tests = !st.raw || st.report || st.fail_pct >= 0;
  if (st.raw && (st.report || st.fail_pct >= 0)) {
    return Usage("--raw draws today's colours without tests; --report and --fail-if-regressed "
                 "need the tests",
                 "leave out --raw");
  }
  if (st.folded && (st.report || !st.sig.before_units.empty())) {
    return Usage("--folded prints difffolded.pl's lines; it takes no --report or units", "");
  }

  std::vector<std::string> before_files, after_files;
  if (!st.after->has_value()) {
    if (st.files.size() != 2) {
      return Usage("give BEFORE and AFTER, or several runs as BEFORE... -- AFTER...",
                   "e.g. `stackfire diff base1.folded base2.folded -- new1.folded new2.folded`");
    }
    before_files = {st.files[0]};
    after_files = {st.files[1]};
  } else {
    before_files = st.files;
    after_files = **st.after;
    if (before_files.empty() || after_files.empty()) {
      return Usage("give at least one profile on each side of --",
                   "stackfire diff BEFORE... -- AFTER...");
    }
  }
  size_t stdin_uses = 0;
  for (const auto* side : {&before_files, &after_files}) {
    for (const std::string& f : *side) stdin_uses += f == "-";
  }
  if (stdin_uses > 1) {
    return Usage("only one input can be stdin ('-')", "pass the others as files");
  }
  if (st.folded && (before_files.size() > 1 || after_files.size() > 1)) {
    return Usage("--folded compares one BEFORE with one AFTER", "");
  }

  DiffInputOptions in_opts;
  in_opts.sample_type = st.sample_type;
  in_opts.weigh_by_period = st.raw || st.folded;  // difffolded.pl's numbers
  std::vector<DiffInput> inputs(before_files.size() + after_files.size());
  std::vector<const DiffInput*> all;
  std::vector<const collapse::FoldedInput*> before, after;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool is_before = i < before_files.size();
    const std::string& path =
        is_before ? before_files[i] : after_files[i - before_files.size()];
    io::InputFormat sniffed = io::InputFormat::kText;
    absl::StatusOr<DiffInput> in = LoadDiffInput(path, in_opts, &sniffed);
    if (!in.ok() && path.size() > 1 && path[0] == '-') {
      PrintError(std::string(in.status().message()),
                 "options go before --: everything after it is a file");
      return 2;
    }
    if (!in.ok() && (sniffed == io::InputFormat::kPerfData || sniffed == io::InputFormat::kElf)) {
      PrintError(std::string(in.status().message()), BinaryInputHint(sniffed, "diff", path));
      return 1;
    }
    if (!in.ok()) {
      PrintError(std::string(in.status().message()),
                 absl::IsNotFound(in.status()) && in.status().message().find("sample type") !=
                                                      std::string_view::npos
                     ? "choose one with --sample-type"
                     : "pass folded stacks (`stackfire collapse`, `stackfire record -o "
                       "X.folded`), `perf script` output or a pprof profile (.pb.gz)");
      return 1;
    }
    inputs[i] = std::move(*in);
    if (inputs[i].folded.bad_lines > 0) {
      std::fprintf(stderr, "stackfire: warning: %s\n", inputs[i].folded.BadLinesMessage().c_str());
    }
    all.push_back(&inputs[i]);
    (is_before ? before : after).push_back(&inputs[i].folded);
  }
  if (absl::Status s = CheckSampleTypes(all); !s.ok()) {
    PrintError(std::string(s.message()),
               "choose a pprof profile's sample type with --sample-type (e.g. samples)");
    return 1;
  }

  bool wall_clock = false;
  render::SignificanceOptions sig = st.sig;
  if (sig.sample_weight == 0) {
    std::vector<const collapse::FoldedInput*> both = before;
    both.insert(both.end(), after.begin(), after.end());
    if (const double w = render::WallClockSampleWeight(both); w > 0) {
      sig.sample_weight = w;
      wall_clock = true;
      if (tests) {
        std::fprintf(stderr,
                     "stackfire: wall-clock profiles (stacks ending in [off-cpu], weights in "
                     "microseconds): the tests count %.0f us as one sample, one clock period "
                     "(give --sample-weight to change it)\n",
                     w);
      }
    }
  }
  absl::StatusOr<render::DiffRuns> runs = render::DiffRuns::Make(before, after, st.diff, sig);
  if (!runs.ok()) return Usage(std::string(runs.status().message()), "");
  if (runs->pooled().entries().empty()) {
    PrintError("no stacks found in the inputs",
               "the inputs must be folded stacks, `perf script` text or pprof profiles");
    return 1;
  }
  if (tests && runs->rounded_weights() && !wall_clock) {
    std::fprintf(stderr,
                 "stackfire: warning: the counts are not whole numbers of samples; the tests "
                 "round them (give --sample-weight if one sample weighs more than 1)\n");
  }

  if (tests && runs->suspect_sample_weight() > 0) {
    std::fprintf(stderr,
                 "stackfire: warning: every count is a multiple of %.0f: if the counts are "
                 "weights (nanoseconds, periods) rather than samples, the tests are far too "
                 "sure; give --sample-weight %.0f (or --sample-type samples for pprof)\n",
                 runs->suspect_sample_weight(), runs->suspect_sample_weight());
  }

  absl::StatusOr<CommandOutput> output = CommandOutput::Open(st.output);
  if (!output.ok()) {
    PrintError(std::string(output.status().message()),
               "check that the directory exists and is writable");
    return 1;
  }
  std::ostream* out = &output->stream();
  auto after_empty = [&] {
    // flamegraph.pl's error picture was written: keep it, as render does.
    if (absl::Status fs = output->Finish(); !fs.ok()) {
      PrintError(std::string(fs.message()), "check free disk space and the output path");
      return 1;
    }
    PrintError("AFTER has no samples, so the graph has no width",
               "swap the files and use --negate to see what BEFORE had");
    return 1;
  };

  std::vector<render::FunctionChange> functions;
  if (st.report || st.fail_pct >= 0) {
    absl::StatusOr<std::vector<render::FunctionChange>> f =
        render::TestFunctions(*runs, sig, st.grep);
    if (!f.ok()) return Usage(std::string(f.status().message()), "--grep takes an RE2 regex");
    functions = std::move(*f);
  }
  std::vector<render::FunctionChange> regressions;
  if (st.fail_pct >= 0) {
    absl::StatusOr<std::vector<render::FunctionChange>> r =
        render::Regressions(functions, st.fail_pct, st.grep);
    if (!r.ok()) return Usage(std::string(r.status().message()), "--grep takes an RE2 regex");
    regressions = std::move(*r);
  }

  if (st.report) {
    render::DiffReportOptions ro;
    ro.top = static_cast<size_t>(st.top);
    ro.grep = st.grep;
    ro.alpha = st.sig.alpha;
    if (st.output.empty() || st.output == "-") {
      render::ReportOptions fit;
      FitToTerminal(stdout, color, &fit);
      ro.color = fit.color && st.format == "text";
      ro.width = fit.width;
    } else {
      ro.color = color == ColorMode::kAlways;
    }
    absl::StatusOr<render::DiffReport> report =
        render::BuildDiffReport(*runs, std::move(functions), ro);
    if (!report.ok()) {
      return Usage(std::string(report.status().message()), "--grep takes an RE2 regex");
    }
    if (st.format == "json") {
      *out << render::DiffReportJson(*report, st.fail_pct >= 0 ? &regressions : nullptr,
                                     st.fail_pct);
    } else {
      *out << render::FormatDiffReport(*report, ro);
    }
  } else if (st.folded) {
    render::WriteDiffFolded(runs->pooled(), *out);
  } else if (st.raw) {
    if (!render::WriteDiffFlameGraph(runs->pooled(), st.opts, *out).ok()) return after_empty();
  } else {
    absl::Status s = render::WriteSignificantDiffFlameGraph(*runs, st.opts, sig, *out);
    if (absl::IsInvalidArgument(s)) return after_empty();
    if (!s.ok()) {
      PrintError(std::string(s.message()));
      return 1;
    }
  }
  if (absl::Status fs = output->Finish(); !fs.ok()) {
    PrintError(std::string(fs.message()), "check free disk space and the output path");
    return 1;
  }
  if (st.fail_pct >= 0) {
    if (!regressions.empty()) {
      std::fprintf(stderr, "%s", render::FormatRegressions(regressions, st.fail_pct).c_str());
      std::fprintf(stderr,
                   "stackfire: %zu function(s) regressed by more than %g%% of the total "
                   "(significant at false-discovery rate %g)\n",
                   regressions.size(), st.fail_pct, st.sig.alpha);
      return 1;
    }
    std::fprintf(stderr,
                 "stackfire: no function regressed by more than %g%% of the total "
                 "(significant at false-discovery rate %g)\n",
                 st.fail_pct, st.sig.alpha);
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterDiff(CLI::App& app,
                                          const std::optional<std::vector<std::string>>* after) {
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "Differential flame graph of two profiles (folded, perf script or pprof), or of several\n"
      "runs of each (BEFORE... -- AFTER...). Widths follow AFTER; frames whose own samples\n"
      "changed by more than sampling noise (exact binomial test, or Welch's t-test over runs,\n"
      "false-discovery rate --alpha) are red (grew) or blue (shrank), all others white;\n"
      "tooltips give before, after, delta, p and q. --raw colours every change as\n"
      "difffolded.pl | flamegraph.pl do.");
  auto st = std::make_shared<DiffState>();
  st->after = after;
  cmd->add_flag("-n,--normalize", st->diff.normalize,
                "Scale BEFORE's counts to AFTER's total (difffolded.pl -n)");
  cmd->add_flag("-s,--strip-hex", st->diff.strip_hex,
                "Replace hex addresses 0x... so they compare equal (difffolded.pl -s)");
  cmd->add_flag("--folded", st->folded,
                "Print difffolded.pl's \"STACK BEFORE AFTER\" lines (sorted) instead of an SVG");
  cmd->add_flag("--raw", st->raw,
                "Colour every change, significant or not (difffolded.pl | flamegraph.pl)");
  cmd->add_option("--alpha", st->sig.alpha,
                  "False-discovery rate of the tests (Benjamini-Hochberg)")
      ->capture_default_str();
  cmd->add_option("--before-units", st->sig.before_units,
                  "Units of work (e.g. requests) done in each BEFORE run: compare samples per "
                  "unit instead of shares of the total (N, or N,N,... one per run)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--after-units", st->sig.after_units,
                  "Units of work done in each AFTER run (N, or N,N,... one per run)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--pool", st->sig.pool_runs,
                "Several runs per side: add them together and use the one-run binomial test "
                "(more power with 2-4 runs, blind to run-to-run spread)");
  cmd->add_option("--sample-weight", st->sig.sample_weight,
                  "The weight of one sample in the inputs' counts, when they are weights "
                  "(nanoseconds, periods) rather than samples (default 1)");
  cmd->add_option("--sample-type", st->sample_type,
                  "pprof inputs: the sample type to compare (default: samples)");
  cmd->add_flag("--report", st->report,
                "Print the functions whose self or total share changed most, instead of an SVG");
  cmd->add_option("--format", st->format, "--report output: text or json")->capture_default_str();
  cmd->add_option("--top", st->top, "--report: print the N most changed functions; 0 prints all")
      ->capture_default_str();
  cmd->add_option("--grep", st->grep,
                  "--report and --fail-if-regressed: only functions matching this RE2 regex");
  cmd->add_option("--report-color", st->color,
                  "--report: colour the table: auto (a terminal without NO_COLOR), always, never")
      ->capture_default_str();
  cmd->add_option("--fail-if-regressed", st->fail_pct,
                  "Exit with status 1 when a function's self or total share grew significantly "
                  "by more than PCT % of the total; print what regressed");
  cmd->add_option("-o,--output", st->output, "Write to FILE instead of stdout");
  AddRenderFlags(cmd, &st->opts);
  cmd->add_option("FILES", st->files,
                  "BEFORE AFTER, or BEFORE... -- AFTER... for several runs ('-' for stdin); "
                  "options go before --")
      ->required();
  return {cmd, [st] { return RunDiff(*st); }};
}

}  // namespace stackfire::cli
