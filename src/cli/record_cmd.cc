// `stackfire record`: the flags, the hints and the printing around one
// record::RecordSession (src/record/session.h), which samples, unwinds,
// symbolizes and weighs; this file validates the flags into a RecordConfig,
// resolves the outputs (record_output.h), runs the session with a progress
// line, writes the outputs the moment sampling stops, and prints the
// summary (record_summary.h).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/match.h"
#include "render/flamegraph.h"
#include "render/report.h"
#include "src/cli/commands.h"
#include "src/cli/record_output.h"
#include "src/cli/record_summary.h"
#include "src/cli/record_write.h"
#include "src/cli/render_flags.h"
#include "src/cli/report_output.h"
#include "src/record/record_config.h"
#include "src/record/session.h"
#include "stackfire/hint.h"
#include "stackfire/profile.h"

namespace stackfire::cli {
namespace {

struct RecordFlags {
  record::RecordRequest request;  // -p, --, -F, -d, -e, --call-graph, -m, --unwinder, ...
  std::string format;
  bool report = false;
  int top = 20;
  std::string by = "self";
  std::string grep;
  bool quiet = false;
  double every = 0;        // --every: rolling outputs, one set per interval
  bool overwrite = false;  // --every: replace existing files
  render::RenderOptions render;
  // Given on the command line: --off-cpu keeps them instead of its own.
  bool colors_given = false;
  bool countname_given = false;
};

volatile sig_atomic_t g_stop_signal = 0;
// The first stop signal ends the recording and writes what was collected;
// a second one (the user insists: something is stuck) exits at once.
void OnStopSignal(int sig) {
  if (g_stop_signal != 0) {
    static constexpr char kMsg[] = "stackfire: second stop signal: exiting without writing\n";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
    ::_exit(128 + sig);
  }
  g_stop_signal = sig;
}

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

int Usage(std::string_view message, std::string_view hint = {}) {
  PrintError(message, hint);
  return 2;
}

int Fail(const absl::Status& status, std::string_view hint = {}) {
  PrintError(Msg(status), hint.empty() ? HintOf(status) : std::string(hint));
  return 1;
}

// Fails before sampling starts rather than after a long recording.
absl::Status CheckOutputWritable(const std::string& path) {
  struct stat st;
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("output ", path, " is a directory"));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write the output file ", path));
  }
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
  return absl::OkStatus();
}

// --every: "%n" in an output name becomes the interval's number.
std::string IntervalPath(std::string_view pattern, int number) {
  return absl::StrReplaceAll(absl::string_view(pattern.data(), pattern.size()),
                             {{"%n", absl::StrFormat("%04d", number)}});
}

// --every without --overwrite: the first existing file a pattern would
// write (NAME with "%n" as any number), or "" when none. Checked before
// sampling: an hour of intervals must not end on a clash.
std::string ExistingIntervalFile(const std::string& pattern) {
  const size_t slash = pattern.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : pattern.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? pattern : pattern.substr(slash + 1);
  const size_t at = base.find("%n");
  if (at == std::string::npos) return "";
  const std::string prefix = base.substr(0, at), suffix = base.substr(at + 2);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() + suffix.size() || !absl::StartsWith(name, prefix) ||
        !absl::EndsWith(name, suffix)) {
      continue;
    }
    const std::string middle =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (std::all_of(middle.begin(), middle.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return entry.path().string();
    }
  }
  return "";
}

// Writes one interval's outputs; false when one could not be written.
bool WriteInterval(const std::vector<RecordOutput>& patterns, int number, RecordData data,
                   bool overwrite, bool quiet, WrittenOutputs* written) {
  std::vector<RecordOutput> outputs;
  for (RecordOutput o : patterns) {
    o.path = IntervalPath(o.path, number);
    struct stat st;
    if (!overwrite && ::stat(o.path.c_str(), &st) == 0) {
      PrintError(absl::StrCat(o.path, " exists; interval ", number, " was not written"),
                 "give --overwrite to replace existing files, or another -o pattern");
      written->not_written = true;
      continue;
    }
    outputs.push_back(std::move(o));
  }
  const size_t before = written->paths.size();
  const bool ok = WriteRecordOutputs(outputs, data, written);
  if (!quiet) {
    for (size_t i = before; i < written->paths.size(); ++i) {
      std::fprintf(stderr, "stackfire: interval %d: %.0f samples -> %s\n", number,
                   data.profile->total(), written->paths[i].c_str());
    }
  }
  return ok;
}

int RunRecord(RecordFlags& flags) {
  // Usage errors first: nothing has been started yet.
  if (flags.request.outputs.empty()) flags.request.outputs.push_back("flame.svg");
  auto config = record::RecordConfig::Create(flags.request);
  if (!config.ok()) return Usage(Msg(config.status()), HintOf(config.status()));
  auto outputs = ResolveRecordOutputs(flags.request.outputs, flags.format, flags.report);
  if (!outputs.ok()) return Usage(Msg(outputs.status()));
  bool svg = false;
  for (const RecordOutput& o : *outputs) svg = svg || o.format == OutputFormat::kSvg;
  if (svg) {
    if (absl::Status st = render::ValidateOptions(flags.render); !st.ok()) {
      return Usage(Msg(st));
    }
  }
  render::ReportOptions report;
  if (flags.report) {
    std::string hint;
    auto validated = ValidateReportFlags(ReportFlags{flags.top, flags.by, flags.grep}, &hint);
    if (!validated.ok()) return Usage(Msg(validated.status()), hint);
    report = *validated;
  }
  if (flags.every < 0 || (flags.every > 0 && flags.every < 0.5)) {
    return Usage(absl::StrCat("--every ", flags.every, " is too short"),
                 "give the length of an interval in seconds, at least 0.5");
  }
  bool perf_script = false;
  for (const RecordOutput& o : *outputs) {
    perf_script = perf_script || o.format == OutputFormat::kPerfScript;
    // The timeline holds clock samples; a wall-clock profile's off-CPU spans
    // are not moments, and one can cross an interval's end.
    if (flags.request.off_cpu && (flags.every > 0 || o.format == OutputFormat::kPerfScript)) {
      return Usage(flags.every > 0 ? "--every does not take --off-cpu yet"
                                   : absl::StrCat("--off-cpu cannot write ", o.path,
                                                  ": perf script text has no off-CPU spans"),
                   "record the wall-clock profile of the whole run to svg, folded, pprof or "
                   "speedscope");
    }
    if (flags.every <= 0) continue;
    if (o.to_stdout() || o.path.find("%n") == std::string::npos) {
      return Usage(absl::StrCat("--every: -o ", o.path, " has no %n"),
                   "name the outputs with %n, the interval's number: -o 'flame-%n.svg'");
    }
    if (IsExportFormat(o.format)) {
      return Usage(absl::StrCat("--every writes svg, folded or perf-script outputs, not ",
                                FormatName(o.format)),
                   "record the whole run to pprof or speedscope without --every");
    }
    if (!flags.overwrite) {
      if (std::string existing = ExistingIntervalFile(o.path); !existing.empty()) {
        return Fail(absl::AlreadyExistsError(absl::StrCat(
                        existing, " exists and -o ", o.path, " would write over such files")),
                    "give --overwrite to replace them, or another -o pattern");
      }
    }
  }
  for (const RecordOutput& o : *outputs) {
    if (o.to_stdout()) continue;
    const std::string path = flags.every > 0 ? IntervalPath(o.path, 1) : o.path;
    if (absl::Status st = CheckOutputWritable(path); !st.ok()) {
      return Fail(st, "choose another path with -o, or fix the directory's permissions");
    }
  }
  for (const std::string& warning : config->warnings) {
    std::fprintf(stderr, "stackfire: warning: %s\n", warning.c_str());
  }

  // From here on a stop signal ends the recording instead of the process, even
  // while the events are being set up: whatever was collected is written.
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);

  record::SessionOptions options;
  options.export_model = NeedsExportModel(*outputs);
  // stdout carries the profile or the table: the command's output goes to
  // stderr then.
  options.command_stdout_to_stderr = flags.report;
  for (const RecordOutput& o : *outputs) {
    options.command_stdout_to_stderr = options.command_stdout_to_stderr || o.to_stdout();
  }
  options.download_progress = !flags.quiet;
  options.stop_signal = &g_stop_signal;
  for (const RecordOutput& o : *outputs) {
    // speedscope's time-order view: the samples one by one, in time order.
    options.time_ordered_export =
        options.time_ordered_export || o.format == OutputFormat::kSpeedscope;
  }
  // perf script text names each frame's module and address.
  options.export_model = options.export_model || perf_script;
  const std::string run_name =
      config->launches() ? absl::StrCat("stackfire record -- ", absl::StrJoin(config->command, " "))
                         : absl::StrCat("stackfire record -p ", flags.request.pids);
  WrittenOutputs written;
  bool intervals_ok = true;
  if (flags.every > 0) {
    options.every_s = flags.every;
    options.interval_perf_script_event = perf_script ? config->event_name : "";
    options.on_interval = [&](int number, record::FoldedSlice slice) {
      RecordData data;
      data.profile = &slice.profile;
      data.per_thread = flags.request.per_thread;
      data.name = run_name;
      data.render = flags.render;
      data.render.timeline = &slice.timeline;
      data.counts = absl::StrFormat("interval %d, %.0f samples", number, slice.profile.total());
      data.render.subtitle = data.render.subtitle.empty()
                                 ? data.counts
                                 : data.render.subtitle + " (" + data.counts + ")";
      data.perf_script = &slice.perf_script;
      const bool ok =
          WriteInterval(*outputs, number, data, flags.overwrite, flags.quiet, &written);
      intervals_ok = ok && intervals_ok;
    };
  }
  std::vector<std::string> notes;
  auto session = record::RecordSession::Start(*config, options, &notes);
  for (const std::string& note : notes) {
    if (!flags.quiet) std::fprintf(stderr, "stackfire: %s\n", note.c_str());
  }
  if (!session.ok()) return Fail(session.status());
  if (!flags.quiet) {
    // As py-spy does: the user (or a script waiting for this line) knows
    // that the events are on.
    const std::string switches =
        !config->off_cpu             ? ""
        : config->off_cpu_stack_hz == 0
            ? " and at every switch off CPU"
            : absl::StrCat(" and at switches off CPU (all timed, stacks at up to ",
                           config->off_cpu_stack_hz, " Hz)");
    std::fprintf(stderr, "stackfire: sampling at %d Hz%s%s; Ctrl-C to stop\n",
                 static_cast<int>(config->attr.frequency_hz), switches.c_str(),
                 config->duration_s > 0 ? absl::StrFormat(" for %g s", config->duration_s).c_str()
                                        : "");
  }
  const bool progress = !flags.quiet && ::isatty(STDERR_FILENO);
  (*session)->Run(&g_stop_signal, progress ? record::RecordSession::Progress(PrintProgress)
                                           : record::RecordSession::Progress());
  if (progress) std::fprintf(stderr, "\r\033[K");
  // The handler stays while the profile is finished and written: a signal
  // after the first exits at once. Outputs are written whole or not at all
  // (io::AtomicFile), so that leaves no half-written file, at most a
  // NAME.stackfire-tmp-PID-N beside it.
  record::RecordResult result = (*session)->Finish();

  RecordData data;
  data.profile = &result.profile;
  data.per_thread = flags.request.per_thread;
  data.name = run_name;
  data.render = flags.render;
  data.render.timeline = &result.timeline;
  data.recorded = &result.recorded;
  data.begin = 0;
  data.end = result.recorded.timeline.size();
  data.event = config->event_name;
  // Formatted once: the same line is the SVG's subtitle and the summary's.
  data.counts = CountsLine(result.counters);
  std::string measured = data.counts;
  if (result.wall) {
    // Wall clock: on-CPU frames in the warm colours, off-CPU ones in cool
    // colours (render/palette.h), counts in microseconds.
    measured = absl::StrCat("Wall clock: ", WallLine(*result.wall), "; ", data.counts);
    if (!flags.colors_given) data.render.colors = "wall";
    if (!flags.countname_given) data.render.countname = "us";
  }
  data.render.subtitle =
      data.render.subtitle.empty() ? measured : data.render.subtitle + " (" + measured + ")";
  if (result.model) data.model = &*result.model;
  const bool empty = result.profile.empty();
  if (flags.every > 0) {
    // The interval the stop cut short, unless it had only begun.
    const int64_t stop_ns = result.timeline.end_ns;
    const size_t total = result.recorded.timeline.size();
    if (result.rolled_samples < total || stop_ns - result.interval_start_ns > 200'000'000 ||
        result.intervals == 0) {
      record::FoldedSlice slice =
          record::FoldSlice(result.recorded, result.rolled_samples, total);
      slice.timeline.start_ns = result.interval_start_ns;
      slice.timeline.end_ns = std::max(stop_ns, result.interval_start_ns);
      slice.timeline.wall_start_ns =
          result.start_wall_ns + (result.interval_start_ns - result.timeline.start_ns);
      const int number = result.intervals + 1;
      RecordData last = data;
      last.profile = &slice.profile;
      last.render.timeline = &slice.timeline;
      last.begin = result.rolled_samples;
      last.end = total;
      last.counts = absl::StrFormat("interval %d, %.0f samples; %s", number,
                                    slice.profile.total(), data.counts);
      last.render.subtitle = flags.render.subtitle.empty()
                                 ? last.counts
                                 : flags.render.subtitle + " (" + last.counts + ")";
      if (!WriteInterval(*outputs, number, last, flags.overwrite, flags.quiet, &written)) {
        return 1;
      }
    }
    if (!intervals_ok) return 1;
  } else if (!WriteRecordOutputs(*outputs, data, &written)) {
    return 1;
  }
  if (flags.report && !empty) {
    if (absl::Status st = PrintReport(result.profile, report, stdout); !st.ok()) {
      return Fail(st, "check that stdout is writable");
    }
  }
  const double finish =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - result.stopped_at).count();
  PrintSummary(result, data.counts, written.paths, finish, config->duration_s > 0,
               config->attr.call_graph == perf::CallGraph::kDwarf ? config->attr.stack_bytes : 0);
  if (written.saved_elsewhere) return 3;
  if (written.not_written) return 1;
  // As perf record: the launched command's own status when it ended by
  // itself (128+N for signal N); a command that -d or a stop signal ended
  // was stopped by stackfire, which then reports its own status.
  if (result.command_status) {
    if (WIFEXITED(*result.command_status)) return WEXITSTATUS(*result.command_status);
    if (WIFSIGNALED(*result.command_status)) return 128 + WTERMSIG(*result.command_status);
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterRecord(CLI::App& app,
                                            const std::vector<std::string>* launched) {
  auto flags = std::make_shared<RecordFlags>();
  record::RecordRequest& r = flags->request;
  CLI::App* sub = app.add_subcommand(
      "record", "Sample running processes (-p) or a command (-- CMD) and write a flame graph");
  sub->add_option("-p,--pid", r.pids, "Process ids to sample, comma separated");
  sub->add_option("-F,--freq", r.frequency_hz, "Samples per second per thread (default 99)");
  sub->add_option("-d,--duration", r.duration_s,
                  "Seconds to sample (default: until Ctrl-C or the target exits)");
  sub->add_option("-o,--output", r.outputs,
                  "Output, repeatable: FILE.svg (flame graph, default flame.svg), FILE.folded, "
                  "FILE.pb.gz or FILE.pprof (pprof), FILE.speedscope.json, FILE.perf.txt (perf "
                  "script text, samples in time order), or - (folded text on stdout)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("--format", flags->format,
                  "Format of the single -o output whatever its name: svg, folded, pprof, "
                  "speedscope or perf-script");
  CLI::Option* report = sub->add_flag("--report", flags->report,
                "Print the hottest functions as a table on stdout at the end (with -o -, "
                "instead of the folded text)");
  sub->add_option("--top", flags->top, "--report: print the N hottest rows; 0 prints all")
      ->capture_default_str()
      ->needs(report);
  sub->add_option("--by", flags->by, "--report: sort by self or total")
      ->capture_default_str()
      ->needs(report);
  sub->add_option("--grep", flags->grep,
                  "--report: only functions matching this regular expression (RE2 syntax)")
      ->needs(report);
  sub->add_option("--call-graph", r.call_graph, "dwarf[,STACK_BYTES] (default dwarf,32768) or fp");
  sub->add_option("-e,--event", r.event, "Sampling event (default cpu-clock)");
  sub->add_option("-m,--mmap-pages", r.mmap_pages,
                  "Ring buffer pages per CPU, a power of two (default 256)");
  sub->add_flag("--per-thread", r.per_thread, "Root every stack at comm-pid/tid");
  sub->add_flag("--per-pid", r.per_pid,
                "Root every stack at comm-pid (the default when -p lists several processes)");
  sub->add_flag("--no-kernel", r.no_kernel, "Leave kernel frames out");
  sub->add_flag("--off-cpu", r.off_cpu,
                "Wall-clock profile: also record every switch off CPU with its stack and the "
                "time until the thread ran again; stacks weigh microseconds, off-CPU ones end "
                "in [off-cpu]");
  sub->add_option("--off-cpu-stack-rate", r.off_cpu_stack_hz,
                  "--off-cpu: take switch-out stacks at about HZ a second per thread (0, the "
                  "default: at every switch-out); every switch is still timed, and the time of "
                  "the others goes to the thread's latest sampled off-CPU stack");
  sub->add_flag("--per-thread-clock", r.per_thread_clock,
                "--off-cpu: one clock per thread of the target, as without --off-cpu, instead "
                "of one per CPU (the default where allowed: root, CAP_PERFMON or "
                "perf_event_paranoid <= 0; it costs the target nothing at its switches, but "
                "samples every process on the CPUs and keeps the target's)");
  sub->add_option("--unwinder", r.unwinder,
                  "DWARF unwinder: table (default), libunwind, or verify (both on every sample, "
                  "the table's stacks kept, differences counted in the summary)");
  sub->add_flag("-q,--quiet", flags->quiet, "No progress line (the summary at the end still prints)");
  sub->add_option("--unnamed", r.unnamed,
                  "How code without symbols is named: address (default: module+0xFUNCTION_START, "
                  "from the unwind tables) or module ([module], as perf)");
  sub->add_option("--every", flags->every,
                  "Rolling outputs: write a complete set of outputs every SECONDS, each -o "
                  "name's %n replaced by the interval's number (0001, 0002, ...); a stop writes "
                  "the interval it cut short. svg, folded and perf-script outputs")
      ->type_name("SECONDS");
  sub->add_flag("--overwrite", flags->overwrite,
                "--every: replace existing files (by default, record refuses to start when a "
                "file the -o pattern names exists)");
  sub->add_flag("--no-debuginfod", r.no_debuginfod,
                "Do not fetch debug info from the servers in DEBUGINFOD_URLS");
  sub->add_option("--user", r.user,
                  "Run the launched command as this user (name or uid), e.g. --user \"$SUDO_USER\"; "
                  "stackfire keeps its own rights to sample");
  AddRenderFlags(sub, &flags->render);
  sub->add_option("command", r.command, "The command to launch and sample (after --)");
  return {sub, [flags, launched, sub] {
    flags->request.command.insert(flags->request.command.end(), launched->begin(),
                                  launched->end());
    flags->colors_given = sub->count("--colors") > 0;
    flags->countname_given = sub->count("--countname") > 0;
    return RunRecord(*flags);
  }};
}

}  // namespace stackfire::cli
