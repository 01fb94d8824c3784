// See session.h.
#include "src/record/session.h"

#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/proc/blocked_thread.h"
#include "src/proc/threads.h"
#include "src/record/perf_script_export.h"
#include "src/record/stack_views.h"
#include "src/symbolize/symbolizers.h"
#include "stackfire/hint.h"
#include "stackfire/process_maps.h"

namespace stackfire::record {
namespace {

constexpr char kPidHint[] = "check the pid with `ps -p PID`; the process may have exited";

std::string PermissionHint() {
  std::string level = "unknown";
  if (std::ifstream in("/proc/sys/kernel/perf_event_paranoid"); in) in >> level;
  return absl::StrCat(
      "sampling another user's process needs root or CAP_PERFMON; your own processes need "
      "kernel.perf_event_paranoid <= 2 (now ",
      level, "; sysctl -w kernel.perf_event_paranoid=1 also allows kernel frames)");
}

// The hint for an error of enabling the events.
absl::Status WithEnableHint(absl::Status status) {
  if (absl::IsPermissionDenied(status)) return WithHint(std::move(status), PermissionHint());
  if (absl::IsResourceExhausted(status)) {
    return WithHint(std::move(status), "raise the open-files limit (ulimit -n)");
  }
  return status;
}

// The hint for an error of opening the events (perf_event_open).
absl::Status WithOpenHint(absl::Status status) {
  if (absl::IsNotFound(status)) return WithHint(std::move(status), kPidHint);
  if (absl::IsInvalidArgument(status)) {
    return WithHint(std::move(status), RateHint(perf::MaxSampleRate()));
  }
  return WithEnableHint(std::move(status));
}

// What the unwinder and the symbolizer see of a process: its executable
// mappings, by file identity.
using ExecIdentity = std::vector<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, std::string>>;
ExecIdentity ExecutableMappings(const ProcessMaps& maps) {
  ExecIdentity out;
  for (const Mapping& m : maps.mappings()) {
    if (m.executable()) out.emplace_back(m.start, m.end, m.pgoff, m.inode, m.path);
  }
  return out;
}

// steady_clock is CLOCK_MONOTONIC, the clock of the samples' times
// (event_attr.cc).
int64_t MonotonicNs(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

CounterValues CounterValues::Of(const Counters& c) {
  CounterValues v;
  v.samples = c.samples.load();
  v.lost = c.lost.load();
  v.unwind_failures = c.unwind_failures.load();
  v.fp_fallbacks = c.fp_fallbacks.load();
  v.truncated = c.truncated.load();
  v.duplicates = c.duplicates.load();
  v.malformed = c.malformed.load();
  v.throttled = c.throttled.load();
  v.queue_dropped = c.queue_dropped.load();
  v.threads = c.threads.load();
  v.switch_samples = c.switch_samples.load();
  v.switches = c.switches.load();
  return v;
}

absl::StatusOr<std::unique_ptr<RecordSession>> RecordSession::Start(
    const RecordConfig& config, const SessionOptions& options, std::vector<std::string>* notes) {
  std::unique_ptr<RecordSession> session(new RecordSession());
  if (absl::Status st = session->Init(config, options, notes); !st.ok()) return st;
  return session;
}

RecordSession::~RecordSession() {
  if (pipeline_ != nullptr) pipeline_->Stop();
}

absl::Status RecordSession::Init(const RecordConfig& config, const SessionOptions& options,
                                 std::vector<std::string>* notes) {
  config_ = config;
  options_ = options;
  pids_ = config.pids;
  perf::AttrOptions attr = config.attr;
  if (config.launches()) {
    std::optional<ChildProcess::User> user;
    if (config.run_as) {
      user = ChildProcess::User{config.run_as->name, config.run_as->uid, config.run_as->gid,
                                config.run_as->home};
    }
    auto spawned = ChildProcess::Spawn(config.command, options.command_stdout_to_stderr,
                                       user ? &*user : nullptr);
    if (!spawned.ok()) {
      return WithHint(spawned.status(),
                      absl::IsNotFound(spawned.status())
                          ? "check the spelling and PATH, or give the path (./program)"
                          : "");
    }
    child_.emplace(*std::move(spawned));
    pids_.push_back(child_->pid());
    attr.enable_on_exec = true;
  }
  for (int pid : pids_) {
    if (!proc::ProcessExists(pid)) {
      return WithHint(absl::NotFoundError(absl::StrCat("no such process: pid ", pid)), kPidHint);
    }
  }

  perf::Sampler::Options sampler_options;
  sampler_options.pids = pids_;
  sampler_options.attr = attr;
  sampler_options.mmap_pages = config.mmap_pages;
  sampler_options.off_cpu = config.off_cpu;
  sampler_options.cpu_wide_clock = config.off_cpu && !config.per_thread_clock;
  auto sampler = perf::Sampler::Create(sampler_options, notes);
  if (!sampler.ok()) return WithOpenHint(sampler.status());
  sampler_ = *std::move(sampler);

  // One cache of the target's ELF files for the whole worker: the unwinder,
  // the symbolizer and the stack model read each file through it, once.
  modules_ = std::make_unique<elf::ModuleCache>();
  if (attr.call_graph == perf::CallGraph::kDwarf) {
    unwinder_ = unwind::CreateUnwinder(config.unwinder, modules_.get());
  }
  symbolize::SymbolizerOptions symbolizer_options;
  symbolizer_options.source_lines = options.export_model;
  symbolizer_options.unnamed_by_address = config.unnamed_by_address;
  symbolizer_options.debuginfod = config.debuginfod;
  symbolizer_options.debuginfod_options.progress = options.download_progress;
  if (const volatile sig_atomic_t* stop = options.stop_signal) {
    symbolizer_options.debuginfod_options.cancelled = [stop] { return *stop != 0; };
  }
  symbolizer_ = symbolize::CreateSymbolizer(symbolizer_options, modules_.get());
  PipelineOptions pipeline_options;
  pipeline_options.per_thread = config.per_thread;
  // Stacks of different processes never merge under one root.
  pipeline_options.per_pid = config.per_pid;
  pipeline_options.collect_export = options.export_model;
  pipeline_options.fp_only = attr.call_graph == perf::CallGraph::kFramePointer;
  pipeline_options.off_cpu = config.off_cpu;
  pipeline_options.off_cpu_sampled = config.off_cpu_stack_hz > 0;
  if (child_) pipeline_options.launched_pid = static_cast<uint32_t>(child_->pid());
  pipeline_ = std::make_unique<Pipeline>(pipeline_options, unwinder_.get(), symbolizer_.get(),
                                         modules_.get());
  std::vector<ExecIdentity> seen(pids_.size());
  for (size_t i = 0; i < pids_.size(); ++i) {
    const int pid = pids_[i];
    pipeline_->AddTarget(pid);
    auto maps = ProcessMaps::Read(pid);
    if (maps.ok()) {
      seen[i] = ExecutableMappings(*maps);
      pipeline_->AddProcess(pid, *std::move(maps));
    }
    if (auto threads = proc::ListThreads(pid); threads.ok()) {
      for (const proc::ThreadInfo& t : *threads) pipeline_->SetThreadName(t.tid, t.comm);
    }
  }
  pipeline_->WarmUp(!sampler_->kernel_excluded(), options.stop_signal);

  start_ = std::chrono::steady_clock::now();
  start_mono_ns_ = MonotonicNs(start_);
  interval_start_ns_ = start_mono_ns_;
  start_wall_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (child_) {
    pipeline_->Start(sampler_.get());
    if (absl::Status st = sampler_->EnableCpuWide(); !st.ok()) {
      pipeline_->Stop();
      return WithEnableHint(st);
    }
    if (absl::Status st = child_->Release(); !st.ok()) {
      pipeline_->Stop();
      return WithHint(st, absl::IsNotFound(st) ? "check the spelling and PATH" : "");
    }
    return absl::OkStatus();
  }
  if (options.before_enable) options.before_enable();
  const uint64_t start_ns = MonotonicNs();
  if (absl::Status st = sampler_->Enable(); !st.ok()) return WithEnableHint(st);
  // The kernel reports maps changes only from here on. A target that exec'd
  // (a server started with `server & stackfire record -p $!`) or loaded code
  // while the tables were loading would otherwise be unwound through its old
  // maps for the whole recording. The pipeline is not running yet, so the
  // new maps apply at once (and to the stacks of threads blocked at start).
  for (size_t i = 0; i < pids_.size(); ++i) {
    auto maps = ProcessMaps::Read(pids_[i]);
    if (!maps.ok() || ExecutableMappings(*maps) == seen[i]) continue;
    std::vector<std::pair<uint32_t, std::string>> comms;
    if (auto threads = proc::ListThreads(pids_[i]); threads.ok()) {
      for (proc::ThreadInfo& t : *threads) comms.emplace_back(t.tid, std::move(t.comm));
    }
    pipeline_->RefreshProcess(pids_[i], *std::move(maps), std::move(comms));
    ++refreshed_;
  }
  // The rings hold what comes meanwhile: the pipeline starts right after.
  if (config.off_cpu) StartWallClock(start_ns, notes);
  pipeline_->Start(sampler_.get());
  return absl::OkStatus();
}

void RecordSession::StartWallClock(uint64_t start_ns, std::vector<std::string>* notes) {
  const uint32_t stack_bytes =
      config_.attr.call_graph == perf::CallGraph::kDwarf ? config_.attr.stack_bytes : 0;
  const bool kernel = !sampler_->kernel_excluded();
  std::vector<proc::BlockedThread> blocked;
  size_t denied = 0;
  for (int pid : pids_) {
    auto threads = proc::ListThreads(pid);
    if (!threads.ok()) continue;
    for (const proc::ThreadInfo& t : *threads) {
      std::optional<proc::BlockedThread> b =
          proc::ReadBlockedThread(pid, t.tid, stack_bytes, kernel);
      if (!b) continue;
      if (b->denied) ++denied;
      blocked.push_back(*std::move(b));
    }
  }
  if (denied > 0) {
    notes->push_back(absl::StrCat(
        denied, " thread", denied == 1 ? " was" : "s were",
        " off CPU at the start and count from it, without the stack they wait in: reading "
        "/proc/PID/task/TID/syscall and /proc/PID/mem needs ptrace access to the target "
        "(its owner, or root / CAP_SYS_PTRACE)"));
  }
  pipeline_->StartWallClock(start_ns, blocked, stack_bytes);
}

StopReason RecordSession::Run(const volatile sig_atomic_t* stop_signal, const Progress& progress) {
  using std::chrono::milliseconds;
  StopReason why = StopReason::kTargetsExited;
  auto last_check = start_;
  auto last_progress = start_;
  auto last_tick = start_;
  for (;;) {
    std::this_thread::sleep_for(milliseconds(50));
    const auto now = std::chrono::steady_clock::now();
    if (const double gap = std::chrono::duration<double>(now - last_tick).count(); gap > 1.0) {
      suspended_ += gap - 0.05;  // stopped by a signal, or starved of CPU
    }
    last_tick = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    if (stop_signal != nullptr && *stop_signal != 0) {
      why = *stop_signal == SIGINT   ? StopReason::kInterrupted
            : *stop_signal == SIGHUP ? StopReason::kHungUp
                                     : StopReason::kTerminated;
      break;
    }
    if (config_.duration_s > 0 && elapsed >= config_.duration_s) {
      why = StopReason::kDuration;
      break;
    }
    if (child_) {
      if ((command_status_ = child_->Poll())) break;
    } else if (now - last_check >= milliseconds(200)) {
      last_check = now;
      bool any_alive = false;
      for (int pid : pids_) any_alive = any_alive || proc::ProcessAlive(pid);
      if (!any_alive) break;
    }
    if (options_.every_s > 0 && options_.on_interval) {
      const int64_t every_ns = static_cast<int64_t>(options_.every_s * 1e9);
      const int64_t end_ns = start_mono_ns_ + (intervals_ + 1) * every_ns;
      // 100 ms of grace: the samples of the interval's last moments are
      // still in the rings or the queue at its end.
      if (MonotonicNs(now) >= end_ns + 100'000'000) RollInterval(end_ns);
    }
    if (progress && now - last_progress >= milliseconds(250)) {
      last_progress = now;
      progress(elapsed, pipeline_->counters());
    }
  }
  stopped_at_ = std::chrono::steady_clock::now();
  stop_reason_ = why;
  return why;
}

void RecordSession::RollInterval(int64_t end_ns) {
  FoldedSlice slice;
  pipeline_->WithRecorded([&](const RecordedProfile& recorded) {
    // The timeline is in time order within each batch and batches follow
    // each other: the interval ends at its first sample past end_ns.
    size_t cut = rolled_;
    while (cut < recorded.timeline.size() && recorded.timeline[cut].time_ns < end_ns) ++cut;
    slice = FoldSlice(recorded, rolled_, cut);
    if (!options_.interval_perf_script_event.empty()) {
      std::ostringstream text;
      (void)WritePerfScript(recorded, rolled_, cut, options_.interval_perf_script_event, text);
      slice.perf_script = std::move(text).str();
    }
    rolled_ = cut;
  });
  slice.timeline.start_ns = interval_start_ns_;
  slice.timeline.end_ns = end_ns;
  slice.timeline.wall_start_ns = start_wall_ns_ + (interval_start_ns_ - start_mono_ns_);
  interval_start_ns_ = end_ns;
  ++intervals_;
  options_.on_interval(intervals_, std::move(slice));
}

RecordResult RecordSession::Finish() {
  pipeline_->Stop();
  if (child_) child_->Terminate();
  RecordResult r;
  r.stop_reason = stop_reason_;
  r.command_status = command_status_;
  r.counters = CounterValues::Of(pipeline_->counters());
  r.seconds = std::chrono::duration<double>(stopped_at_ - start_).count();
  r.suspended_seconds = suspended_;
  r.start_wall_ns = start_wall_ns_;
  r.stopped_at = stopped_at_;
  r.warnings = pipeline_->Warnings();
  r.maps_refreshed = refreshed_;
  if (const unwind::UnwinderCheck* check = unwind::CheckOf(unwinder_.get())) {
    r.unwinder_check = *check;
  }
  if (config_.off_cpu) {
    r.wall = pipeline_->wall_totals();
    r.counters.switches_unstacked = r.wall->off.spans - r.wall->off.with_stack;
    r.counters.unpaired = r.wall->off.unpaired;
  }
  r.recorded = pipeline_->TakeRecorded();
  std::vector<uint32_t> row_entry;
  r.profile = ToFolded(r.recorded, &row_entry);
  r.timeline = TimelineOf(r.recorded, row_entry, start_mono_ns_, MonotonicNs(stopped_at_),
                          start_wall_ns_);
  r.intervals = intervals_;
  r.rolled_samples = rolled_;
  r.interval_start_ns = interval_start_ns_;
  if (options_.export_model) {
    ExportMeta meta;
    meta.event = config_.event_name;
    meta.frequency_hz = config_.attr.frequency_hz;
    meta.off_cpu = config_.off_cpu;
    meta.time_nanos = start_wall_ns_;
    meta.time_ordered = options_.time_ordered_export;
    meta.duration_nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(stopped_at_ - start_).count();
    r.model = ToExport(r.recorded, meta);
  }
  return r;
}

}  // namespace stackfire::record
