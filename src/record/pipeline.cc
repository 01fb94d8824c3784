#include "src/record/pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "src/proc/threads.h"
#include "src/record/stack_views.h"
#include "src/unwind/unwinders.h"

namespace stackfire::record {
namespace {

size_t RecordBytes(const perf::ParsedRecord& r) {
  if (const auto* s = std::get_if<perf::SampleRecord>(&r)) {
    return sizeof(RawSample) + s->sample.stack.size() +
           8 * (s->sample.kernel_ips.size() + s->sample.user_ips.size());
  }
  return 64;
}

// How late a record may land in its ring after the time stamped on it (the
// kernel stamps it, then copies the stack): a drain pass's watermark is its
// start minus this.
constexpr uint64_t kWriteMarginNs = 1000000;
// Records held back past watermarks, at most (a ring that never drains
// completely must not hold everything back forever).
constexpr size_t kMaxHeld = size_t{1} << 20;

std::shared_ptr<const std::vector<uint8_t>> OwnVdsoImage() {
  // Every process on this kernel maps the same vDSO image.
  auto maps = ProcessMaps::Read(static_cast<int>(::getpid()));
  if (!maps.ok()) return nullptr;
  for (const Mapping& m : maps->mappings()) {
    if (m.path == "[vdso]") return m.image;
  }
  return nullptr;
}

}  // namespace

Pipeline::Pipeline(PipelineOptions options, Unwinder* unwinder, Symbolizer* symbolizer,
                   elf::ModuleCache* modules)
    : options_(options),
      unwinder_(unwinder),
      symbolizer_(symbolizer),
      builder_(symbolizer, modules, StackBuilder::Options{options.collect_export},
               &recorded_.stacks),
      wall_([this](const OffCpuSpan& span) { AddSpan(span); },
            [this](const OnCpuTotal& total) { ScaleOnCpu(total); }) {
  if (options_.off_cpu) recorded_.weights = StackWeights(WeightUnit::kNanoseconds);
  if (options_.launched_pid != 0) awaiting_exec_.insert(options_.launched_pid);
}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::AddProcess(int pid, ProcessMaps maps) {
  ProcessState& state = processes_[static_cast<uint32_t>(pid)];
  state.maps = std::move(maps);
  ++state.generation;
}

void Pipeline::AddTarget(int pid) { targets_.insert(static_cast<uint32_t>(pid)); }

void Pipeline::RefreshProcess(int pid, ProcessMaps maps,
                              std::vector<std::pair<uint32_t, std::string>> comms) {
  Snapshot snapshot{static_cast<uint32_t>(pid), std::move(maps), std::move(comms)};
  if (!worker_thread_.joinable()) {
    Apply(snapshot);
    return;
  }
  Batch batch;
  batch.snapshot = std::move(snapshot);
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(batch));
  cv_.notify_one();
}

void Pipeline::Apply(Snapshot& snapshot) {
  ProcessState& state = processes_[snapshot.pid];
  state.maps = std::move(snapshot.maps);
  state.exec_starts.clear();
  ++state.generation;
  for (auto& [tid, comm] : snapshot.comms) SetThreadName(tid, std::move(comm));
}

void Pipeline::SetThreadName(uint32_t tid, std::string comm) {
  thread_names_[tid] = std::move(comm);
  thread_roots_.erase(tid);
  process_roots_.erase(tid);  // a main thread's name is its process's
}

void Pipeline::WarmUp(bool kernel, const volatile sig_atomic_t* stop) {
  std::vector<Frame> frames;
  std::vector<uint64_t> pcs;
  for (auto& [pid, state] : processes_) {
    for (const Mapping& m : state.maps.mappings()) {
      if (!m.executable() || (m.open_path.empty() && !m.image)) continue;
      if (stop != nullptr && *stop != 0) return;
      frames.clear();
      symbolizer_->SymbolizeUser(static_cast<int>(pid), state.maps, m.start, false, &frames);
      if (unwinder_ != nullptr && !options_.fp_only) {
        RawSample probe;  // no stack: the unwinder loads the module and stops
        probe.pid = pid;
        probe.tid = pid;
        probe.has_user_regs = true;
        probe.regs[kRip] = m.start;
        unwinder_->Unwind(probe, state.maps, &pcs);
      }
    }
  }
  if (kernel) {
    frames.clear();
    symbolizer_->SymbolizeKernel(0xffffffff81000000ull, &frames);
  }
}

void Pipeline::StartWallClock(uint64_t start_ns, const std::vector<proc::BlockedThread>& blocked,
                              uint32_t stack_bytes) {
  wall_.Start(start_ns);
  wall_start_ns_ = start_ns;
  for (const proc::BlockedThread& t : blocked) {
    RawSample sample;
    sample.pid = static_cast<uint32_t>(t.pid);
    sample.tid = static_cast<uint32_t>(t.tid);
    sample.time_ns = start_ns;
    // Only sp and pc are known: enough for frames whose CFA is rsp-based,
    // which is most compiled code; an rbp-based caller ends the stack.
    if (!t.denied && !t.stack.empty() && t.state.sp != 0) {
      sample.has_user_regs = true;
      sample.regs[kRsp] = t.state.sp;
      sample.regs[kRip] = t.state.pc;
      sample.stack = t.stack;
      sample.stack_requested = stack_bytes;
    }
    const uint32_t stack =
        BuildStack(sample, true, t.kernel_frames.empty() ? nullptr : &t.kernel_frames);
    counters_.switch_samples.fetch_add(1, std::memory_order_relaxed);
    wall_.Blocked(sample.pid, sample.tid,
                  OffCpuStack{true, RootFrame(sample.pid, sample.tid), stack},
                  !t.denied && t.state.nr == -1);
  }
}

void Pipeline::FinishWallClock(uint64_t stop_ns) {
  if (!options_.off_cpu || wall_finished_) return;
  wall_finished_ = true;
  // Every thread seen has exited (a launched command ran to its end): the
  // threads' time ended with the last one, not when the exit was noticed.
  wall_stop_ns_ =
      wall_.threads() == 0 && last_exit_ns_ > wall_start_ns_ ? std::min(stop_ns, last_exit_ns_)
                                                             : stop_ns;
  wall_.Finish(stop_ns);
  FlushUnsampled();
}

bool Pipeline::ExitedBefore(uint32_t tid, uint64_t time_ns) {
  constexpr uint64_t kKeepNs = 1000000000;  // far longer than an exit takes
  while (!exit_order_.empty() && exit_order_.front().first + kKeepNs < time_ns) {
    auto it = recent_exits_.find(exit_order_.front().second);
    if (it != recent_exits_.end() && it->second == exit_order_.front().first) {
      recent_exits_.erase(it);
    }
    exit_order_.pop_front();
  }
  auto it = recent_exits_.find(tid);
  return it != recent_exits_.end() && it->second <= time_ns;
}

void Pipeline::ScaleOnCpu(const OnCpuTotal& total) {
  auto it = on_cpu_samples_.find(total.tid);
  if (it == on_cpu_samples_.end()) return;
  int64_t sampled = 0;
  for (const auto& [row, ns] : it->second) sampled += ns;
  if (total.exact && sampled > 0) {
    // Each sample keeps its share of the thread's samples; together they
    // weigh the time the switch records measured.
    const double f = static_cast<double>(total.on_cpu_ns) / static_cast<double>(sampled);
    for (const auto& [row, ns] : it->second) {
      const int64_t delta = std::llround(static_cast<double>(ns) * f) - ns;
      recorded_.weights.AdjustRow(row, delta);
      on_cpu_ns_ += delta;
    }
    ++on_cpu_measured_threads_;
  } else {
    ++on_cpu_estimated_threads_;
  }
  on_cpu_samples_.erase(it);
}

void Pipeline::FlushUnsampled() {
  for (const auto& [tid, shares] : off_cpu_shares_) {
    if (shares.waiting_ns > 0) {
      recorded_.weights.Add(shares.unknown.first, shares.unknown.second, shares.waiting_ns,
                            shares.waiting_ns);
    }
  }
  off_cpu_shares_.clear();
}

void Pipeline::CarryStack(const OffCpuSpan& span, int64_t ns) {
  OffCpuShares& shares = off_cpu_shares_[span.tid];
  if (span.stack.known) {
    // Spans come in time order per thread: this stack is now its latest,
    // and takes the time that waited for it.
    shares.has_stack = true;
    shares.root = span.stack.root;
    shares.stack = span.stack.stack;
    ns += std::exchange(shares.waiting_ns, 0);
    recorded_.weights.Add(shares.root, shares.stack, ns, ns);
  } else if (shares.has_stack) {
    recorded_.weights.Add(shares.root, shares.stack, ns, ns);
  } else {
    shares.waiting_ns += ns;
    // Named now: the thread's name is gone once it exits.
    shares.unknown = UnknownOffCpu(span.pid, span.tid);
  }
}

Profile Pipeline::FoldedProfile() const { return ToFolded(recorded_); }

RecordedProfile Pipeline::TakeRecorded() { return std::move(recorded_); }

std::vector<std::string> Pipeline::Warnings() const {
  std::vector<std::string> all;
  if (unwinder_ != nullptr) unwinder_->AppendWarnings(&all);
  symbolizer_->AppendWarnings(&all);
  std::vector<std::string> unique;
  absl::flat_hash_set<std::string> seen;
  for (std::string& w : all) {
    if (seen.insert(w).second) unique.push_back(std::move(w));
  }
  return unique;
}

void Pipeline::Start(perf::Sampler* sampler) {
  symbolizer_->BeginSampling();
  sampler_ = sampler;
  stop_ = false;
  drain_done_ = false;
  worker_thread_ = std::thread([this] { WorkerLoop(); });
  drain_thread_ = std::thread([this] { DrainLoop(); });
}

void Pipeline::Stop() {
  if (!drain_thread_.joinable() && !worker_thread_.joinable()) return;
  stop_ = true;
  if (drain_thread_.joinable()) drain_thread_.join();
  if (worker_thread_.joinable()) worker_thread_.join();
}

// The kernel writes a switch-out sample and then, in the same ring, the
// thread's SWITCH_OUT record, both at the same switch. The sample's own time
// cannot be trusted: when another tool's context-switches event is on the
// same thread, the kernel fills the sample data once for both events and
// ours gets the other event's time on its clock (perf record's default
// clock: every stack then lands a clock offset away from its switch, and
// the switch records lose their partners; seen with perf running beside
// stackfire on redis). The switch record's time is ours.
void Pipeline::TimeSwitchSample(const perf::SwitchRecord& out,
                                std::vector<perf::ParsedRecord>* records) {
  if (records->empty()) return;
  auto* s = std::get_if<perf::SampleRecord>(&records->back());
  if (s == nullptr || !s->switch_out || s->sample.tid != out.tid || s->sample.cpu != out.cpu) {
    return;
  }
  // Just before the switch record, so that it stays first in time order.
  s->sample.time_ns = out.time_ns - 1;
}

void Pipeline::DrainLoop() {
  const perf::SampleLayout layout = sampler_->layout();
  auto drain_once = [&](bool last) {
    Batch batch;
    const uint64_t pass_start = MonotonicNs();
    bool all_read = true;
    sampler_->Drain([&](const perf_event_header* h) {
      std::optional<perf::ParsedRecord> parsed = perf::ParseRecord(h, layout);
      if (!parsed) {
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (auto* s = std::get_if<perf::SampleRecord>(&*parsed)) {
        if (sampler_->IsDuplicate(s->id, s->sample.tid)) {
          counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        s->switch_out = sampler_->IsSwitchEvent(s->id);
        s->cpu_wide = sampler_->IsCpuWide(s->id);
      } else if (auto* sw = std::get_if<perf::SwitchRecord>(&*parsed)) {
        if (sampler_->IsDuplicate(sw->id, sw->tid)) {
          counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        if (sw->out && sw->time_ns > 0) TimeSwitchSample(*sw, &batch.records);
      } else if (auto* lost = std::get_if<perf::LostRecord>(&*parsed)) {
        counters_.lost.fetch_add(lost->lost, std::memory_order_relaxed);
        return;
      } else if (std::holds_alternative<perf::ThrottleRecord>(*parsed)) {
        if (std::get<perf::ThrottleRecord>(*parsed).throttled) {
          counters_.throttled.fetch_add(1, std::memory_order_relaxed);
        }
        return;
      } else if (std::holds_alternative<perf::OtherRecord>(*parsed)) {
        return;
      }
      batch.bytes += RecordBytes(*parsed);
      batch.records.push_back(std::move(*parsed));
    }, &all_read);
    batch.watermark = last ? UINT64_MAX : all_read ? pass_start - kWriteMarginNs : 0;
    if (batch.records.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_bytes_ + batch.bytes > options_.max_queued_bytes) {
      // Never block the rings: drop the samples, keep the maps updates.
      std::vector<perf::ParsedRecord> kept;
      for (perf::ParsedRecord& r : batch.records) {
        if (std::holds_alternative<perf::SampleRecord>(r)) {
          counters_.queue_dropped.fetch_add(1, std::memory_order_relaxed);
        } else {
          kept.push_back(std::move(r));
        }
      }
      batch.records = std::move(kept);
      batch.bytes = 64 * batch.records.size();
    }
    queued_bytes_ += batch.bytes;
    queue_.push_back(std::move(batch));
    cv_.notify_one();
  };
  while (!stop_.load(std::memory_order_relaxed)) {
    sampler_->Wait(25);
    drain_once(false);
  }
  const uint64_t stop_ns = MonotonicNs();
  sampler_->Disable();
  drain_once(true);
  std::lock_guard<std::mutex> lock(mu_);
  stop_ns_ = stop_ns;
  drain_done_ = true;
  cv_.notify_one();
}

void Pipeline::WorkerLoop() {
  for (;;) {
    Batch batch;
    uint64_t stop_ns = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || drain_done_; });
      if (queue_.empty()) stop_ns = stop_ns_;
      if (!queue_.empty()) {
        batch = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= batch.bytes;
      }
    }
    // Held while the batch changes the recording (a rolling output folds
    // an interval from it meanwhile).
    std::lock_guard<std::mutex> lock(recorded_mu_);
    if (stop_ns != 0) {
      ProcessUpTo({}, UINT64_MAX);
      FinishWallClock(stop_ns);
      return;
    }
    // Records held back past a watermark (off-CPU) then go through the
    // new maps too: they are from after the enable.
    if (batch.snapshot) Apply(*batch.snapshot);
    ProcessUpTo(std::move(batch.records), batch.watermark);
  }
}

void Pipeline::Process(std::vector<perf::ParsedRecord> batch) {
  ProcessUpTo(std::move(batch), UINT64_MAX);
}

void Pipeline::ProcessUpTo(std::vector<perf::ParsedRecord> batch, uint64_t watermark) {
  if (!held_.empty()) {
    batch.insert(batch.begin(), std::make_move_iterator(held_.begin()),
                 std::make_move_iterator(held_.end()));
    held_.clear();
  }
  // Rings are per CPU: a dlopen's MMAP2 on one CPU must be applied before the
  // samples that ran the new code on another, a switch-out before the
  // switch-in on another CPU.
  std::stable_sort(batch.begin(), batch.end(),
                   [](const perf::ParsedRecord& a, const perf::ParsedRecord& b) {
                     return perf::RecordTime(a) < perf::RecordTime(b);
                   });
  size_t end = batch.size();
  if (watermark != UINT64_MAX && batch.size() <= kMaxHeld) {
    end = static_cast<size_t>(
        std::partition_point(batch.begin(), batch.end(),
                             [watermark](const perf::ParsedRecord& r) {
                               return perf::RecordTime(r) <= watermark;
                             }) -
        batch.begin());
  }
  for (size_t i = 0; i < end; ++i) Handle(batch[i]);
  held_.assign(std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(end)),
               std::make_move_iterator(batch.end()));
}

Pipeline::ProcessState& Pipeline::StateFor(uint32_t pid) {
  auto [it, inserted] = processes_.try_emplace(pid);
  if (inserted) {
    // A process we did not see at attach (e.g. a child forked before we saw
    // its FORK record): take its maps now, best effort.
    auto maps = ProcessMaps::Read(static_cast<int>(pid));
    if (maps.ok()) it->second.maps = *std::move(maps);
    it->second.generation = 1;
  }
  return it->second;
}

void Pipeline::Handle(perf::ParsedRecord& record) {
  if (auto* s = std::get_if<perf::SampleRecord>(&record); s != nullptr && s->cpu_wide) {
    // In time order: a child's FORK record comes before its samples.
    if (!targets_.contains(s->sample.pid) || awaiting_exec_.contains(s->sample.pid) ||
        ExitedBefore(s->sample.tid, s->sample.time_ns)) {
      counters_.foreign.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  if (options_.off_cpu && wall_start_ns_ == 0) {
    wall_start_ns_ = perf::RecordTime(record);
    wall_.FirstRecord(wall_start_ns_);  // a launched command (attach set it already)
  }
  if (auto* s = std::get_if<perf::SampleRecord>(&record)) {
    HandleSample(*s);
  } else if (auto* sw = std::get_if<perf::SwitchRecord>(&record)) {
    if (!options_.off_cpu) return;
    if (sw->out) {
      wall_.SwitchOut(sw->pid, sw->tid, sw->time_ns, sw->preempted);
    } else {
      wall_.SwitchIn(sw->pid, sw->tid, sw->time_ns);
    }
  } else if (auto* m = std::get_if<perf::MmapRecord>(&record)) {
    if (!(m->prot & 0x4)) return;  // PROT_EXEC only: the unwinder's and symbolizer's input
    Mapping mapping;
    mapping.start = m->addr;
    mapping.end = m->addr + m->len;
    mapping.pgoff = m->pgoff;
    mapping.prot = m->prot;
    mapping.dev_major = m->maj;
    mapping.dev_minor = m->min;
    mapping.inode = m->ino;
    mapping.path = m->filename;
    mapping.build_id = m->build_id;
    mapping.pid = static_cast<int32_t>(m->pid);
    // The kernel names anonymous memory "//anon" (JIT code lives there);
    // /proc/PID/maps leaves it blank, and so does Mapping.
    if (mapping.path == "//anon") mapping.path.clear();
    if (!mapping.path.empty() && mapping.path.front() == '/') {
      mapping.open_path = absl::StrCat("/proc/", m->pid, "/root", mapping.path);
    } else if (mapping.path == "[vdso]") {
      if (!vdso_image_) vdso_image_ = OwnVdsoImage();
      if (vdso_image_ && vdso_image_->size() == m->len) mapping.image = vdso_image_;
    }
    ProcessState& state = StateFor(m->pid);
    if (!mapping.path.empty() && mapping.path.front() == '/') {
      std::deque<uint64_t>& starts = state.exec_starts[mapping.path];
      starts.push_back(mapping.start);
      if (starts.size() > kMaxCopiesPerFile) {
        const uint64_t oldest = starts.front();
        starts.pop_front();
        if (std::find(starts.begin(), starts.end(), oldest) == starts.end()) {
          state.maps.EraseAt(oldest, mapping.path);
        }
      }
    }
    state.maps.Insert(std::move(mapping));
    ++state.generation;
  } else if (auto* c = std::get_if<perf::CommRecord>(&record)) {
    SetThreadName(c->tid, c->comm);
    if (c->exec) {
      awaiting_exec_.erase(c->pid);
      ProcessState& state = processes_[c->pid];
      state.maps.Clear();
      state.exec_starts.clear();
      ++state.generation;
    }
  } else if (auto* t = std::get_if<perf::TaskRecord>(&record)) {
    if (options_.off_cpu) {
      if (t->fork) {
        wall_.Born(t->pid, t->tid, t->time_ns);
      } else {
        wall_.Exited(t->tid, t->time_ns);
        last_exit_ns_ = std::max(last_exit_ns_, t->time_ns);
      }
    }
    if (t->fork) {
      targets_.insert(t->pid);  // only the target's events send these
      recent_exits_.erase(t->tid);
    } else {
      recent_exits_[t->tid] = t->time_ns;
      exit_order_.emplace_back(t->time_ns, t->tid);
    }
    if (!t->fork) {
      thread_names_.erase(t->tid);
      thread_roots_.erase(t->tid);
      seen_tids_.erase(t->tid);
    } else {
      if (auto it = thread_names_.find(t->ptid); it != thread_names_.end()) {
        SetThreadName(t->tid, it->second);
      }
      if (t->pid != t->ppid && !processes_.contains(t->pid)) {
        // A forked child starts with a copy of its parent's address space.
        if (auto parent = processes_.find(t->ppid); parent != processes_.end()) {
          ProcessState child;
          child.maps = parent->second.maps;
          child.generation = 1;
          processes_.emplace(t->pid, std::move(child));
        }
      }
    }
  }
}

void Pipeline::HandleSample(perf::SampleRecord& record) {
  RawSample& sample = record.sample;
  if (options_.off_cpu && record.switch_out) {
    const uint32_t stack = BuildStack(sample, true);
    wall_.SwitchOutSample(sample.pid, sample.tid, sample.time_ns,
                          OffCpuStack{true, RootFrame(sample.pid, sample.tid), stack});
    counters_.switch_samples.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint32_t stack = BuildStack(sample, false);
  CountThread(sample.tid);
  const uint32_t root = RootFrame(sample.pid, sample.tid);
  uint32_t row;
  if (options_.off_cpu) {
    // The clock's period is the CPU time the sample stands for.
    const int64_t ns = static_cast<int64_t>(sample.period);
    row = recorded_.weights.Add(root, stack, ns, ns);
    on_cpu_ns_ += ns;
    on_cpu_samples_[sample.tid].push_back({row, ns});
    wall_.OnCpu(sample.pid, sample.tid, sample.time_ns);
  } else {
    row = recorded_.weights.Add(root, stack, 1, static_cast<int64_t>(sample.period));
  }
  // The timeline holds the clock samples (an off-CPU span is not a moment).
  recorded_.timeline.push_back(TimedSample{static_cast<int64_t>(sample.time_ns), sample.tid, row});
  NoteThread(sample.pid, sample.tid);
  counters_.samples.fetch_add(1, std::memory_order_relaxed);
}

void Pipeline::NoteThread(uint32_t pid, uint32_t tid) {
  auto [it, inserted] = recorded_.threads.try_emplace(tid);
  if (!inserted) return;
  it->second.pid = pid;
  auto name = thread_names_.find(tid);
  it->second.comm = name != thread_names_.end()
                        ? name->second
                        : proc::ReadThreadComm(static_cast<int>(pid), static_cast<int>(tid));
  if (it->second.comm.empty()) it->second.comm = "[unknown]";
}

void Pipeline::CountThread(uint32_t tid) {
  if (seen_tids_.insert(tid).second) {
    counters_.threads.store(++threads_seen_, std::memory_order_relaxed);
  }
}

std::pair<uint32_t, uint32_t> Pipeline::UnknownOffCpu(uint32_t pid, uint32_t tid) {
  static const std::vector<uint64_t> kNone;
  static const ProcessMaps kNoMaps;
  StackKey key;
  key.off_cpu = true;
  key.user_pcs = &kNone;
  key.kernel_ips = &kNone;
  return {RootFrame(pid, tid), builder_.Build(key, kNoMaps)};
}

void Pipeline::AddSpan(const OffCpuSpan& span) {
  const int64_t ns = static_cast<int64_t>(span.end_ns - span.begin_ns);
  if (options_.off_cpu_sampled) {
    CarryStack(span, ns);
  } else {
    uint32_t root = span.stack.root;
    uint32_t stack = span.stack.stack;
    // Nothing known of where it waits: "[unknown];[off-cpu]" under its
    // thread, so that its time still counts.
    if (!span.stack.known) std::tie(root, stack) = UnknownOffCpu(span.pid, span.tid);
    recorded_.weights.Add(root, stack, ns, ns);
  }
  CountThread(span.tid);
  NoteThread(span.pid, span.tid);
  counters_.switches.fetch_add(1, std::memory_order_relaxed);
}

uint32_t Pipeline::BuildStack(RawSample& sample, bool off_cpu,
                              const std::vector<std::string>* kernel_names) {
  ProcessState& state = StateFor(sample.pid);
  bool truncated = false;
  bool failed = false;
  const std::vector<uint64_t>* user = &pcs_;
  pcs_.clear();
  if (options_.fp_only || !sample.has_user_regs || unwinder_ == nullptr) {
    unwind::FramePointerPcs(sample, &pcs_);
  } else {
    UnwindOutcome outcome = unwinder_->Unwind(sample, state.maps, &pcs_);
    if (outcome == UnwindOutcome::kTruncated) {
      truncated = true;
      counters_.truncated.fetch_add(1, std::memory_order_relaxed);
    } else if (outcome == UnwindOutcome::kFailed) {
      counters_.unwind_failures.fetch_add(1, std::memory_order_relaxed);
      // The kernel's chain is only worth more when DWARF found nothing past
      // the leaf: on code without frame pointers it is mostly wrong.
      if (pcs_.size() < 2 && sample.user_ips.size() >= 2) {
        unwind::FramePointerPcs(sample, &fp_pcs_);
        // Past the first return address outside executable code the chain
        // is garbage (a fresh thread's rbp, a leaf without a frame): stop.
        for (size_t i = 1; i < fp_pcs_.size(); ++i) {
          const Mapping* m = state.maps.Find(fp_pcs_[i] - 1);
          if (m == nullptr || !m->executable()) {
            fp_pcs_.resize(i);
            break;
          }
        }
        user = &fp_pcs_;
        counters_.fp_fallbacks.fetch_add(1, std::memory_order_relaxed);
      } else {
        failed = true;
      }
    }
  }
  StackKey key;
  key.pid = sample.pid;
  key.maps_generation = state.generation;
  key.truncated = truncated;
  key.failed = failed;
  key.user_pcs = user;
  key.kernel_ips = &sample.kernel_ips;
  key.kernel_names = kernel_names;
  key.off_cpu = off_cpu;
  return builder_.Build(key, state.maps);
}

uint32_t Pipeline::RootFrame(uint32_t pid, uint32_t tid) {
  if (!options_.per_thread && !options_.per_pid) return kNoRoot;
  const uint32_t id = options_.per_thread ? tid : pid;
  auto& roots = options_.per_thread ? thread_roots_ : process_roots_;
  auto [it, inserted] = roots.try_emplace(id, kNoRoot);
  if (inserted) {
    auto name = thread_names_.find(id);
    std::string comm = name != thread_names_.end()
                           ? name->second
                           : proc::ReadThreadComm(static_cast<int>(pid), static_cast<int>(id));
    if (comm.empty()) comm = "[unknown]";
    it->second = builder_.Root(options_.per_thread ? ThreadRootFrame(comm, pid, tid)
                                                   : ProcessRootFrame(comm, pid));
  }
  return it->second;
}

}  // namespace stackfire::record
