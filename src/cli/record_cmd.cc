// `stackfire record`: samples running processes or a launched command,
// unwinds, symbolizes and folds on the fly, and writes its outputs (flame
// graph, folded text, pprof, speedscope, the report table; see
// record_output.h) the moment sampling stops.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "render/flamegraph.h"
#include "render/report.h"
#include "export/export_profile.h"
#include "src/cli/commands.h"
#include "src/cli/record_output.h"
#include "src/cli/report_output.h"
#include "src/cli/render_flags.h"
#include "src/perf/event_attr.h"
#include "src/perf/sampler.h"
#include "src/proc/threads.h"
#include "src/record/child_process.h"
#include "src/record/pipeline.h"
#include "src/symbolize/symbolizers.h"
#include "src/unwind/unwinders.h"
#include "stackfire/process_maps.h"
#include "stackfire/profile.h"
#include "stackfire/status_macros.h"


namespace stackfire::cli {
namespace {

struct RecordFlags {
  std::string pids;
  std::vector<std::string> command;
  uint64_t frequency = 99;
  double duration = 0;
  std::vector<std::string> outputs;  // empty: flame.svg
  std::string format;
  bool report = false;
  int top = 20;
  std::string by = "self";
  std::string grep;
  bool per_pid = false;
  std::string call_graph = "dwarf";
  std::string event = "cpu-clock";
  size_t mmap_pages = perf::kDefaultMmapPages;
  bool per_thread = false;
  bool no_kernel = false;
  std::string unwinder = "table";
  bool quiet = false;
  render::RenderOptions render;
};

volatile sig_atomic_t g_stop_signal = 0;
void OnStopSignal(int sig) { g_stop_signal = sig; }

std::string PermissionHint() {
  std::string level = "unknown";
  if (std::ifstream in("/proc/sys/kernel/perf_event_paranoid"); in) in >> level;
  return absl::StrCat(
      "sampling another user's process needs root or CAP_PERFMON; your own processes need "
      "kernel.perf_event_paranoid <= 2 (now ", level,
      "; sysctl -w kernel.perf_event_paranoid=1 also allows kernel frames)");
}

std::string RateHint() {
  return absl::StrCat("lower -F, or raise kernel.perf_event_max_sample_rate (now ",
                      perf::MaxSampleRate(),
                      ", read /proc/sys/kernel/perf_event_max_sample_rate; "
                      "sysctl -w kernel.perf_event_max_sample_rate=N)");
}

std::string Msg(const absl::Status& status) { return std::string(status.message()); }

int Usage(std::string_view message, std::string_view hint = {}) {
  PrintError(message, hint);
  return 2;
}

absl::StatusOr<std::vector<int>> ParsePids(const std::string& text) {
  std::vector<int> pids;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int pid = 0;
    if (!absl::SimpleAtoi(part, &pid) || pid <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("-p: '", std::string(part), "' is not a process id"));
    }
    if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
  }
  if (pids.empty()) return absl::InvalidArgumentError("-p: no process id given");
  return pids;
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

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string CountsLine(const record::Counters& c) {
  const uint64_t samples = c.samples.load();
  std::string line = absl::StrCat(samples, " samples, ", c.lost.load(), " lost, ",
                                  c.unwind_failures.load(), " unwind failures (",
                                  Percent(c.unwind_failures.load(), samples), ")");
  if (c.truncated.load() > 0) {
    absl::StrAppend(&line, ", ", c.truncated.load(), " truncated (",
                    Percent(c.truncated.load(), samples), ")");
  }
  return line;
}

// --unwinder=verify: one line with the comparison, then the first few
// differences.
void PrintUnwinderCheck(const unwind::UnwinderCheck& check) {
  std::fprintf(stderr,
               "stackfire: unwinder check: %llu samples unwound by both table and libunwind, "
               "%llu differ",
               static_cast<unsigned long long>(check.compared),
               static_cast<unsigned long long>(check.differ));
  if (check.differ_without_cfi > 0) {
    std::fprintf(stderr, " (and %llu with the leaf in code without CFI, unwound by frame pointer)",
                 static_cast<unsigned long long>(check.differ_without_cfi));
  }
  if (check.same_stack_other_verdict > 0) {
    std::fprintf(stderr, "; %llu more have the same stack and another verdict",
                 static_cast<unsigned long long>(check.same_stack_other_verdict));
  }
  if (check.past_bad_return > 0) {
    std::fprintf(stderr,
                 "; %llu more end at an unmapped return address, where libunwind guessed on",
                 static_cast<unsigned long long>(check.past_bad_return));
  }
  std::fprintf(stderr, "\n");
  for (const std::string& example : check.examples) {
    std::fprintf(stderr, "stackfire:   %s\n", example.c_str());
  }
}

// The bytes of one sample in the ring: the stack copy, the registers, the
// kernel's callchain and the header fields, rounded up.
size_t SampleBytesEstimate(const perf::AttrOptions& attr) {
  size_t bytes = 512 + 128 * 8;  // header, ids, regs; a full kernel callchain
  if (attr.call_graph == perf::CallGraph::kDwarf) bytes += attr.stack_bytes + 16;
  return bytes;
}

int Fail(const absl::Status& status) {
  std::string hint;
  if (absl::IsPermissionDenied(status)) hint = PermissionHint();
  if (absl::IsResourceExhausted(status)) hint = "raise the open-files limit (ulimit -n)";
  PrintError(Msg(status), hint);
  return 1;
}

int RunRecord(RecordFlags& flags) {
  // Usage errors first: nothing has been started yet.
  const bool have_pids = !flags.pids.empty();
  if (have_pids == !flags.command.empty()) {
    return Usage("give either -p PID[,PID...] or -- COMMAND [ARGS...]",
                 "stackfire record -p 1234, or stackfire record -- ./my_program arg");
  }
  std::vector<int> pids;
  if (have_pids) {
    auto parsed = ParsePids(flags.pids);
    if (!parsed.ok()) return Usage(Msg(parsed.status()));
    pids = *parsed;
  }
  perf::AttrOptions attr;
  auto event = perf::ParseEvent(flags.event);
  if (!event.ok()) return Usage(Msg(event.status()), "try -e cpu-clock or -e task-clock");
  attr.event = *event;
  if (flags.frequency == 0) return Usage("-F must be at least 1 Hz", RateHint());
  if (uint64_t max = perf::MaxSampleRate(); max != 0 && flags.frequency > max) {
    return Usage(absl::StrCat("-F ", flags.frequency, " Hz is above the kernel's limit of ", max,
                              " Hz"),
                 RateHint());
  }
  attr.frequency_hz = flags.frequency;
  {
    std::vector<std::string> parts = absl::StrSplit(flags.call_graph, ',');
    if (parts[0] == "fp" && parts.size() == 1) {
      attr.call_graph = perf::CallGraph::kFramePointer;
    } else if (parts[0] == "dwarf" && parts.size() <= 2) {
      attr.call_graph = perf::CallGraph::kDwarf;
      if (parts.size() == 2) {
        uint32_t bytes = 0;
        if (!absl::SimpleAtoi(parts[1], &bytes) || bytes == 0 || bytes % 8 != 0 ||
            bytes > perf::kMaxStackBytes) {
          return Usage(absl::StrCat("--call-graph: bad stack size '", parts[1], "'"),
                       absl::StrCat("a multiple of 8 up to ", perf::kMaxStackBytes,
                                    ", e.g. --call-graph dwarf,16384"));
        }
        attr.stack_bytes = bytes;
      }
    } else {
      return Usage(absl::StrCat("--call-graph: '", flags.call_graph, "' is not dwarf[,BYTES] or fp"));
    }
  }
  if (flags.mmap_pages == 0 || (flags.mmap_pages & (flags.mmap_pages - 1)) != 0) {
    return Usage(absl::StrCat("--mmap-pages ", flags.mmap_pages, " is not a power of two"),
                 "e.g. -m 256 (1 MiB per CPU)");
  }
  auto unwinder_kind = unwind::ParseUnwinderKind(flags.unwinder);
  if (!unwinder_kind) {
    return Usage(absl::StrCat("--unwinder: '", flags.unwinder, "' is not table, libunwind or verify"));
  }
  if (flags.duration < 0) return Usage("-d must not be negative");
  if (flags.outputs.empty()) flags.outputs.push_back("flame.svg");
  auto outputs = ResolveRecordOutputs(flags.outputs, flags.format, flags.report);
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
  for (const RecordOutput& o : *outputs) {
    if (o.to_stdout()) continue;
    if (absl::Status st = CheckOutputWritable(o.path); !st.ok()) {
      PrintError(Msg(st), "choose another path with -o, or fix the directory's permissions");
      return 1;
    }
  }
  attr.exclude_kernel = flags.no_kernel;
  {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t ring = flags.mmap_pages * page;
    const size_t sample = SampleBytesEstimate(attr);
    if (ring < sample) {
      // Room for a few samples between two reads.
      const size_t suggested = std::bit_ceil((4 * sample + page - 1) / page);
      std::fprintf(stderr,
                   "stackfire: warning: --mmap-pages %zu (%zu KiB per CPU) cannot hold one "
                   "sample (up to %zu KiB): the kernel will drop every sample; use -m %zu or "
                   "more\n",
                   flags.mmap_pages, ring / 1024, (sample + 1023) / 1024, suggested);
    }
  }

  // From here on a stop signal ends the recording instead of the process, even
  // while the events are being set up: whatever was collected is written.
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);

  std::optional<record::ChildProcess> child;
  if (!have_pids) {
    // stdout carries the profile or the table: the command's output goes
    // to stderr then.
    bool stdout_taken = flags.report;
    for (const RecordOutput& o : *outputs) stdout_taken = stdout_taken || o.to_stdout();
    auto spawned = record::ChildProcess::Spawn(flags.command, stdout_taken);
    if (!spawned.ok()) {
      PrintError(Msg(spawned.status()),
                 absl::IsNotFound(spawned.status())
                     ? "check the spelling and PATH, or give the path (./program)"
                     : "");
      return 1;
    }
    child.emplace(*std::move(spawned));
    pids.push_back(child->pid());
    attr.enable_on_exec = true;
  }
  for (int pid : pids) {
    if (!proc::ProcessExists(pid)) {
      PrintError(absl::StrCat("no such process: pid ", pid),
                 "check the pid with `ps -p PID`; the process may have exited");
      return 1;
    }
  }

  perf::Sampler::Options options;
  options.pids = pids;
  options.attr = attr;
  options.mmap_pages = flags.mmap_pages;
  std::vector<std::string> notes;
  auto sampler = perf::Sampler::Create(options, &notes);
  for (const std::string& note : notes) {
    if (!flags.quiet) std::fprintf(stderr, "stackfire: %s\n", note.c_str());
  }
  if (!sampler.ok()) {
    const absl::Status& st = sampler.status();
    if (absl::IsNotFound(st)) {
      PrintError(Msg(st), "check the pid with `ps -p PID`; the process may have exited");
    } else if (absl::IsInvalidArgument(st)) {
      PrintError(Msg(st), RateHint());
    } else {
      return Fail(st);
    }
    return 1;
  }

  std::unique_ptr<Unwinder> unwinder;
  if (attr.call_graph == perf::CallGraph::kDwarf) unwinder = unwind::CreateUnwinder(*unwinder_kind);
  const bool exporting = NeedsExportModel(*outputs);
  symbolize::SymbolizerOptions symbolizer_options;
  symbolizer_options.source_lines = exporting;
  std::unique_ptr<Symbolizer> symbolizer = symbolize::CreateSymbolizer(symbolizer_options);
  record::PipelineOptions pipeline_options;
  pipeline_options.per_thread = flags.per_thread;
  // Stacks of different processes never merge under one root.
  pipeline_options.per_pid = flags.per_pid || pids.size() > 1;
  pipeline_options.collect_export = exporting;
  pipeline_options.fp_only = attr.call_graph == perf::CallGraph::kFramePointer;
  record::Pipeline pipeline(pipeline_options, unwinder.get(), symbolizer.get());
  for (int pid : pids) {
    auto maps = ProcessMaps::Read(pid);
    if (maps.ok()) pipeline.AddProcess(pid, *std::move(maps));
    if (auto threads = proc::ListThreads(pid); threads.ok()) {
      for (const proc::ThreadInfo& t : *threads) pipeline.SetThreadName(t.tid, t.comm);
    }
  }

  pipeline.WarmUp(!(*sampler)->kernel_excluded());

  pipeline.Start(sampler->get());
  const auto start = std::chrono::steady_clock::now();
  const int64_t start_wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  if (child) {
    if (absl::Status st = child->Release(); !st.ok()) {
      pipeline.Stop();
      PrintError(Msg(st), absl::IsNotFound(st) ? "check the spelling and PATH" : "");
      return 1;
    }
  } else if (absl::Status st = (*sampler)->Enable(); !st.ok()) {
    pipeline.Stop();
    return Fail(st);
  }
  if (!flags.quiet) {
    // As py-spy does: the user (or a script waiting for this line) knows
    // that the events are on.
    std::fprintf(stderr, "stackfire: sampling at %d Hz%s; Ctrl-C to stop\n",
                 static_cast<int>(attr.frequency_hz),
                 flags.duration > 0 ? absl::StrFormat(" for %g s", flags.duration).c_str() : "");
  }

  const bool progress = !flags.quiet && ::isatty(STDERR_FILENO);
  std::string why = "the target exited";
  std::optional<int> command_status;  // set when the command ended by itself
  auto last_check = start;
  auto last_progress = start;
  auto last_tick = start;
  double suspended = 0;  // seconds this loop did not run (SIGSTOP, no CPU)
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = std::chrono::steady_clock::now();
    if (const double gap = std::chrono::duration<double>(now - last_tick).count(); gap > 1.0) {
      suspended += gap - 0.05;
    }
    last_tick = now;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (g_stop_signal != 0) {
      why = g_stop_signal == SIGINT   ? "interrupted"
            : g_stop_signal == SIGHUP ? "hung up"
                                      : "terminated";
      break;
    }
    if (flags.duration > 0 && elapsed >= flags.duration) {
      why = "duration reached";
      break;
    }
    if (child) {
      if ((command_status = child->Poll())) break;
    } else if (now - last_check >= std::chrono::milliseconds(200)) {
      last_check = now;
      bool any_alive = false;
      for (int pid : pids) any_alive = any_alive || proc::ProcessAlive(pid);
      if (!any_alive) break;
    }
    if (progress && now - last_progress >= std::chrono::milliseconds(250)) {
      last_progress = now;
      const record::Counters& c = pipeline.counters();
      std::fprintf(stderr, "\r\033[Kstackfire: %.1f s, %llu samples, %llu lost", elapsed,
                   static_cast<unsigned long long>(c.samples.load()),
                   static_cast<unsigned long long>(c.lost.load()));
    }
  }
  const auto stop_time = std::chrono::steady_clock::now();
  pipeline.Stop();
  if (child) child->Terminate();
  if (progress) std::fprintf(stderr, "\r\033[K");
  // A second Ctrl-C while writing should not leave a half-written file.
  sa.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &sa, nullptr);

  const record::Counters& counters = pipeline.counters();
  RecordData data;
  data.profile = &pipeline.profile();
  data.per_thread = flags.per_thread;
  data.name = have_pids ? absl::StrCat("stackfire record -p ", flags.pids)
                        : absl::StrCat("stackfire record -- ", absl::StrJoin(flags.command, " "));
  data.render = flags.render;
  // Formatted once: the same line is the SVG's subtitle and the summary's.
  data.counts = CountsLine(counters);
  data.render.subtitle = data.render.subtitle.empty()
                             ? data.counts
                             : data.render.subtitle + " (" + data.counts + ")";
  exporter::ExportProfile model;
  if (record::ExportCollector* collector = pipeline.export_collector()) {
    record::ExportCollector::Meta meta;
    meta.event = flags.event;
    meta.frequency_hz = attr.frequency_hz;
    meta.time_nanos = start_wall_ns;
    meta.duration_nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(stop_time - start).count();
    model = collector->Take(meta);
    data.model = &model;
  }
  const bool empty = pipeline.profile().empty();
  std::vector<std::string> written;
  bool saved_elsewhere = false;
  bool not_written = false;
  for (const RecordOutput& o : *outputs) {
    // pprof and speedscope have no way to say "no samples": write nothing.
    if (empty && (o.format == OutputFormat::kPprof || o.format == OutputFormat::kSpeedscope)) {
      PrintError(absl::StrCat("no samples: ", o.to_stdout() ? "stdout" : o.path,
                              " was not written (a ", FormatName(o.format),
                              " profile needs at least one sample)"),
                 "sample for longer, or check that the target uses the CPU");
      not_written = true;
      continue;
    }
    absl::Status st = WriteRecordOutput(o, o.path, data);
    if (st.ok()) {
      written.push_back(o.to_stdout() ? absl::StrCat(FormatName(o.format), " on stdout") : o.path);
      continue;
    }
    if (o.to_stdout()) {
      PrintError(Msg(st), "check that stdout is still open (a closed pipe?)");
      return 1;
    }
    // Never lose a collected profile to an output path that broke while
    // sampling: save it under $TMPDIR and say where.
    const std::string fallback = FallbackPath(o);
    absl::Status fst = WriteRecordOutput(o, fallback, data);
    if (!fst.ok()) {
      PrintError(absl::StrCat(Msg(st), "; the fallback ", Msg(fst)),
                 "free some disk space or set TMPDIR to a writable folder");
      return 1;
    }
    PrintError(absl::StrCat(Msg(st), "; the profile was saved to ", fallback, " instead"),
               "move it where you want it; exit status 3 means the profile is at that path");
    written.push_back(fallback);
    saved_elsewhere = true;
  }
  if (flags.report && !empty) {
    if (absl::Status st = PrintReport(pipeline.profile(), report, stdout); !st.ok()) {
      PrintError(Msg(st), "check that stdout is writable");
      return 1;
    }
  }
  const std::vector<std::string> warnings = pipeline.Warnings();
  constexpr size_t kMaxWarnings = 10;
  for (size_t i = 0; i < warnings.size() && i < kMaxWarnings; ++i) {
    std::fprintf(stderr, "stackfire: warning: %s\n",
                 render::EscapeForTerminal(warnings[i]).c_str());
  }
  if (warnings.size() > kMaxWarnings) {
    std::fprintf(stderr, "stackfire: warning: and %zu more problems with the target's files\n",
                 warnings.size() - kMaxWarnings);
  }
  const record::Counters& c = counters;
  const double seconds = std::chrono::duration<double>(stop_time - start).count();
  const double finish =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_time).count();
  const uint64_t threads = c.threads.load();
  std::fprintf(stderr, "stackfire: stopped after %.1f s (%s): %s, %llu thread%s\n", seconds,
               why.c_str(), data.counts.c_str(), static_cast<unsigned long long>(threads),
               threads == 1 ? "" : "s");
  if (!written.empty()) {
    std::fprintf(stderr, "stackfire: wrote %s in %.3f s\n", absl::StrJoin(written, ", ").c_str(),
                 finish);
  }
  if (const unwind::UnwinderCheck* check = unwind::CheckOf(unwinder.get())) {
    PrintUnwinderCheck(*check);
  }
  if (c.throttled.load() > 0) {
    std::fprintf(stderr,
                 "stackfire: the kernel throttled sampling %llu times; lower -F or raise "
                 "kernel.perf_event_max_sample_rate\n",
                 static_cast<unsigned long long>(c.throttled.load()));
  }
  if (suspended > 0) {
    std::fprintf(stderr,
                 "stackfire: stackfire was suspended for %.1f s (stopped by a signal, or "
                 "starved of CPU)%s\n",
                 suspended,
                 c.lost.load() > 0 ? "; the ring buffer overflowed meanwhile: see 'lost' above"
                                   : "");
  }
  if (c.queue_dropped.load() > 0) {
    std::fprintf(stderr, "stackfire: %llu samples dropped: unwinding fell behind\n",
                 static_cast<unsigned long long>(c.queue_dropped.load()));
  }
  if (c.samples.load() == 0 && c.lost.load() > 0) {
    std::fprintf(stderr,
                 "stackfire: no samples: every sample was lost before stackfire could read it "
                 "(raise --mmap-pages)\n");
  } else if (c.samples.load() == 0) {
    std::fprintf(stderr, "stackfire: no samples: the target did not run on a CPU%s\n",
                 flags.duration > 0 ? "" : " (try a longer run)");
  }
  if (saved_elsewhere) return 3;
  if (not_written) return 1;
  // As perf record: the launched command's own status when it ended by
  // itself (128+N for signal N); a command that -d or a stop signal ended
  // was stopped by stackfire, which then reports its own status.
  if (command_status) {
    if (WIFEXITED(*command_status)) return WEXITSTATUS(*command_status);
    if (WIFSIGNALED(*command_status)) return 128 + WTERMSIG(*command_status);
  }
  return 0;
}

}  // namespace

std::pair<CLI::App*, Runner> RegisterRecord(CLI::App& app,
                                            const std::vector<std::string>* launched) {
  auto flags = std::make_shared<RecordFlags>();
  CLI::App* sub = app.add_subcommand(
      "record", "Sample running processes (-p) or a command (-- CMD) and write a flame graph");
  sub->add_option("-p,--pid", flags->pids, "Process ids to sample, comma separated");
  sub->add_option("-F,--freq", flags->frequency, "Samples per second per thread (default 99)");
  sub->add_option("-d,--duration", flags->duration,
                  "Seconds to sample (default: until Ctrl-C or the target exits)");
  sub->add_option("-o,--output", flags->outputs,
                  "Output, repeatable: FILE.svg (flame graph, default flame.svg), FILE.folded, "
                  "FILE.pb.gz or FILE.pprof (pprof), FILE.speedscope.json, or - (folded text on "
                  "stdout)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("--format", flags->format,
                  "Format of the single -o output whatever its name: svg, folded, pprof or "
                  "speedscope");
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
  sub->add_option("--call-graph", flags->call_graph,
                  "dwarf[,STACK_BYTES] (default dwarf,8192) or fp");
  sub->add_option("-e,--event", flags->event, "Sampling event (default cpu-clock)");
  sub->add_option("-m,--mmap-pages", flags->mmap_pages,
                  "Ring buffer pages per CPU, a power of two (default 256)");
  sub->add_flag("--per-thread", flags->per_thread, "Root every stack at comm-pid/tid");
  sub->add_flag("--per-pid", flags->per_pid,
                "Root every stack at comm-pid (the default when -p lists several processes)");
  sub->add_flag("--no-kernel", flags->no_kernel, "Leave kernel frames out");
  sub->add_option("--unwinder", flags->unwinder,
                  "DWARF unwinder: table (default), libunwind, or verify (both on every sample, "
                  "the table's stacks kept, differences counted in the summary)");
  sub->add_flag("-q,--quiet", flags->quiet, "No progress line (the summary at the end still prints)");
  AddRenderFlags(sub, &flags->render);
  sub->add_option("command", flags->command, "The command to launch and sample (after --)");
  return {sub, [flags, launched] {
    flags->command.insert(flags->command.end(), launched->begin(), launched->end());
    return RunRecord(*flags);
  }};
}

}  // namespace stackfire::cli
