// `stackfire collapse [OPTIONS] [FILE|-]`: `perf script` text to folded
// stacks, a drop-in for FlameGraph's stackcollapse-perf.pl (same options,
// same output bytes; see collapse/perf_script.h for the few deliberate
// differences).
#include <cstdio>
#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collapse/parallel_collapse.h"
#include "collapse/perf_script.h"
#include "src/cli/command_output.h"
#include "src/cli/command_input.h"
#include "src/cli/commands.h"
#include "src/cli/export_output.h"
#include "src/io/input_reader.h"
#include "stackfire/profile.h"

namespace stackfire::cli {
namespace {

struct CollapseArgs {
  std::string input = "-";
  std::string output;
  std::string format;
  bool pid = false;
  bool tid = false;
  bool kernel = false;
  bool jit = false;
  bool all = false;
  bool addrs = false;
  std::string event_filter;
  int threads = 0;
  std::string from, to;  // time slice, see PerfScriptOptions
};

void PrintWarning(std::string_view message) {
  std::fprintf(stderr, "stackfire: warning: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

// Input text quoted for a terminal: control bytes and quotes escaped.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

void ReportStats(const collapse::PerfScriptStats& stats, const std::string& name) {
  if (stats.unparsable_lines > 0) {
    PrintWarning(absl::StrFormat("%d unparsable line%s ignored in %s (first at line %d: %s)",
                                 stats.unparsable_lines, stats.unparsable_lines == 1 ? "" : "s",
                                 name, stats.first_unparsable_line,
                                 Quote(stats.first_unparsable_text)));
  }
  if (stats.event_defaulted && stats.filtered_samples > 0) {
    std::string others;
    for (const auto& [event, count] : stats.events) {
      if (event == stats.event) continue;
      absl::StrAppend(&others, others.empty() ? "" : ", ", event, " (", count, ")");
    }
    PrintWarning(absl::StrCat(name, " holds samples of several events; kept '", stats.event,
                              "', the first, and skipped ", stats.filtered_samples,
                              " samples of: ", others,
                              ". Choose the event with --event-filter EVENT"));
  }
}

int ReportNoStacks(const collapse::PerfScriptStats& stats, const CollapseArgs& args,
                   const std::string& name, io::InputFormat sniffed) {
  std::string hint;
  if (stats.lines == 0) {
    hint = "the input is empty; make it with `perf record -g ...` then `perf script > FILE`";
  } else if (!args.event_filter.empty() && !stats.events.empty()) {
    std::string seen;
    for (const auto& [event, count] : stats.events) {
      absl::StrAppend(&seen, seen.empty() ? "" : ", ", event);
    }
    hint = absl::StrCat("no sample is of event '", args.event_filter,
                        "'; the input has: ", seen);
  } else if (stats.unparsable_lines > 0) {
    hint = WrongTextHint(sniffed, "collapse", args.input);
    if (hint.empty()) {
      hint =
          "this does not look like `perf script` output (an event line such as "
          "\"comm 123 [000] 1.5: 250000 cpu-clock:\" followed by indented frames)";
    }
  } else {
    hint = "the input has no event line such as \"comm 123 [000] 1.5: 250000 cpu-clock:\"";
  }
  PrintError(absl::StrCat("no stacks found in ", name), hint);
  return 1;
}

int RunCollapse(const CollapseArgs& args) {
  absl::StatusOr<OutputFormat> format =
      ResolveOutputFormat(args.format, args.output, OutputFormat::kFolded);
  if (!format.ok()) {
    PrintError(std::string(format.status().message()));
    return 2;
  }
  io::InputFormat sniffed = io::InputFormat::kText;
  std::unique_ptr<io::InputReader> reader = OpenTextInput(
      args.input, "collapse", "check the path; give '-' or no file to read stdin", &sniffed);
  if (reader == nullptr) return 1;
  collapse::PerfScriptOptions options;
  options.include_pid = args.pid;
  options.include_tid = args.tid;
  options.annotate_kernel = args.kernel || args.all;
  options.annotate_jit = args.jit || args.all;
  options.include_addrs = args.addrs;
  options.event_filter = args.event_filter;
  for (auto [flag, text, bound] : {std::tuple{"--from", &args.from, &options.from},
                                   std::tuple{"--to", &args.to, &options.to}}) {
    if (text->empty()) continue;
    *bound = collapse::ParseTimeBound(*text);
    if (!*bound) {
      PrintError(absl::StrCat(flag, " '", *text, "' is not a time"),
                 "give seconds from the first sample (2.5) or a perf script timestamp "
                 "(@84721.042)");
      return 2;
    }
  }
  const bool sliced = options.from || options.to;
  collapse::CollapseSource source;
  if (!PerfScriptSource(reader.get(), &source)) return 1;
  collapse::ParallelOptions parallel;
  parallel.threads = args.threads;
  Profile profile;
  collapse::PerfScriptStats stats;
  // A relative time counts from the first sample: the input is read in
  // order then.
  absl::Status status =
      sliced ? collapse::CollapsePerfScriptInOrder(source, options, &profile, &stats, nullptr)
             : collapse::CollapsePerfScriptParallel(source, options, parallel, &profile, &stats);
  if (!status.ok()) {
    PrintError(std::string(status.message()), "no output was written; fix or re-create the input");
    return 1;
  }
  const std::string& name = reader->name();
  ReportStats(stats, name);
  if (sliced && profile.empty() && stats.untimed_samples > 0 && stats.outside_samples == 0) {
    PrintError(absl::StrCat("--from/--to: the samples of ", name, " have no times"),
               "record the input with times: perf script prints them by default (-F ...,time)");
    return 1;
  }
  if (sliced && profile.empty() && stats.outside_samples > 0) {
    PrintError(absl::StrFormat("no samples of %s between --from and --to: its samples span "
                               "%.6f to %.6f (%.3f s)",
                               name, stats.first_time_ns / 1e9, stats.last_time_ns / 1e9,
                               (stats.last_time_ns - stats.first_time_ns) / 1e9),
               "give seconds from the first sample, or @TIME on the input's clock");
    return 1;
  }
  if (profile.empty()) return ReportNoStacks(stats, args, name, sniffed);
  if (*format != OutputFormat::kFolded) {
    ExportRequest request;
    request.format = *format;
    request.output = args.output;
    request.meta.event = stats.event;
    request.name = name;
    request.per_thread = args.tid;
    return WriteExport(profile, request);
  }

  absl::StatusOr<CommandOutput> out = CommandOutput::Open(args.output);
  if (out.ok()) {
    WriteFolded(profile, out->stream());
    if (absl::Status s = out->Finish("the folded stacks"); !s.ok()) out = s;
  }
  if (!out.ok()) {
    PrintError(std::string(out.status().message()),
               "check that its folder exists and is writable");
    return 1;
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterCollapse(CLI::App& app) {
  auto args = std::make_shared<CollapseArgs>();
  CLI::App* sub = app.add_subcommand(
      "collapse",
      "Fold `perf script` output into folded stacks, one \"root;...;leaf count\" line per "
      "distinct stack (a faster stackcollapse-perf.pl with the same options and output)");
  sub->add_option("FILE", args->input,
                  "The `perf script` output to read, plain or gzip-compressed; '-' or nothing "
                  "reads stdin");
  sub->add_option("-o,--output", args->output,
                  "Write the folded stacks (or the --format) to this file instead of stdout");
  sub->add_option("--format", args->format, FormatFlagHelp(OutputFormat::kFolded))
      ->check(CLI::IsMember({"folded", "pprof", "speedscope"}))
      ->type_name("FORMAT");
  sub->add_flag("--pid", args->pid,
                "Name the root frame \"comm-PID\" instead of \"comm\" (needs pid and tid in the "
                "input: perf script -F comm,pid,tid,...)");
  sub->add_flag("--tid", args->tid,
                "Name the root frame \"comm-PID/TID\": one tower per thread (same input need "
                "as --pid); with --format speedscope, one profile per thread");
  sub->add_flag("--kernel", args->kernel, "Mark kernel frames with a \"_[k]\" suffix");
  sub->add_flag("--jit", args->jit,
                "Mark JIT-compiled frames (from /tmp/perf-PID.map) with a \"_[j]\" suffix");
  sub->add_flag("--all", args->all, "Both --kernel and --jit");
  sub->add_flag("--addrs", args->addrs,
                "Keep the address of frames without a symbol: \"[module <addr>]\" instead of "
                "\"[module]\"");
  sub->add_option("--event-filter", args->event_filter,
                  "Keep only samples of this event (e.g. cycles, cpu-clock); by default, the "
                  "first event type in the input")
      ->type_name("EVENT");
  sub->add_option("--from", args->from,
                  "Keep only samples from this time on: seconds from the first sample (2.5), "
                  "or @SECONDS on the input's clock (@84721.042, as perf script prints it)")
      ->type_name("TIME");
  sub->add_option("--to", args->to,
                  "Keep only samples before this time (same forms as --from)")
      ->type_name("TIME");
  sub->add_option("-j,--threads", args->threads,
                  "Worker threads (default: one per CPU, at most 8, for a file; one for a pipe or "
                  "compressed input); the output does not "
                  "depend on it")
      ->check(CLI::Range(0, 256));
  return {sub, [args] { return RunCollapse(*args); }};
}

}  // namespace stackfire::cli
