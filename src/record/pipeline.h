// The recording pipeline: sampler rings -> drain thread -> queue -> worker
// (unwind, symbolize, weigh) -> RecordedProfile (stack_model.h).
//
// The drain thread only reads the rings, decodes records and hands them over
// in batches; it never waits for unwinding, so a slow unwind cannot make the
// kernel drop samples. The worker keeps each process's maps current from
// MMAP2/COMM/FORK records, orders every batch by time (rings are per CPU),
// unwinds with DWARF, falls back to the kernel's frame-pointer chain when
// DWARF fails, turns each stack into the one symbolized stack through a
// StackBuilder (cached per unique stack) and adds the sample's weight to it.
//
// Off-CPU recordings (PipelineOptions::off_cpu) weigh in nanoseconds:
// every switch-out sample's stack (ending in "[off-cpu]") weighs the span
// the thread then stayed off CPU, and a thread's clock samples share its
// time on CPU, both measured by a WallClock (wall_clock.h) from the SWITCH
// records (ScaleOnCpu rescales the samples' periods to it). With a CPU-wide
// clock (perf/sampler.h) the samples of other processes are dropped here,
// in time order, the target's set growing with its FORK records. Each
// batch is processed only up to its watermark, the time its drain pass
// started: a record written after that may still sit in a ring read
// earlier in the pass, and a thread's switch-out on one CPU must come
// before its switch-in on another. Later records wait for the next batch.
//
// Threading: Start/Stop and counters() from the controlling thread; the two
// internal threads own everything else until Stop() returns.
#ifndef STACKFIRE_SRC_RECORD_PIPELINE_H_
#define STACKFIRE_SRC_RECORD_PIPELINE_H_

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "src/elf/module_cache.h"
#include "src/perf/record_parser.h"
#include "src/perf/sampler.h"
#include "src/proc/blocked_thread.h"
#include "src/record/stack_builder.h"
#include "src/record/stack_model.h"
#include "src/record/wall_clock.h"
#include "stackfire/process_maps.h"
#include "stackfire/profile.h"
#include "stackfire/symbolizer.h"
#include "stackfire/unwinder.h"

namespace stackfire::record {

struct Counters {
  std::atomic<uint64_t> samples{0};          // samples added to the profile
  std::atomic<uint64_t> lost{0};             // PERF_RECORD_LOST / LOST_SAMPLES totals
  std::atomic<uint64_t> unwind_failures{0};  // DWARF failed (fp chain or partial stack used)
  std::atomic<uint64_t> fp_fallbacks{0};     // of those, the fp chain was used
  std::atomic<uint64_t> truncated{0};        // stacks cut by dyn_size or the copy size
  std::atomic<uint64_t> duplicates{0};       // inherited copies dropped (see sampler.h)
  std::atomic<uint64_t> malformed{0};        // records that did not parse
  std::atomic<uint64_t> throttled{0};        // PERF_RECORD_THROTTLE seen
  std::atomic<uint64_t> queue_dropped{0};    // samples dropped: the worker fell far behind
  std::atomic<uint64_t> threads{0};          // distinct threads sampled
  // Off-CPU recordings.
  std::atomic<uint64_t> switch_samples{0};   // switch-out samples unwound
  std::atomic<uint64_t> switches{0};         // switch-outs measured (spans)
  std::atomic<uint64_t> foreign{0};          // CPU-wide clock samples of other processes
};

struct PipelineOptions {
  bool per_thread = false;  // root frame "comm-pid/tid"
  // Root frame "comm-pid" (the process's comm), so that the stacks of
  // different processes never merge. per_thread wins: its root names the
  // process too.
  bool per_pid = false;
  // Keep each location's address and mapping in the stack model, as the
  // export model (pprof, speedscope) needs.
  bool collect_export = false;
  bool fp_only = false;     // --call-graph fp: the kernel's chain, no DWARF
  // Wall-clock weights in nanoseconds (see above).
  bool off_cpu = false;
  // Off-CPU, the kernel may sample the stacks of only some switch-outs
  // (--off-cpu-stack-rate). A span without a stack is then mostly one not
  // sampled: its time goes to its thread's latest off-CPU stack before it
  // (or, before the thread's first one, to its first), so that per thread
  // the total stays exact and each stack's share is estimated from the
  // switch-outs near it in time; a thread with no stack keeps
  // "[unknown];[off-cpu]" (FinishWallClock). Otherwise spans without a
  // stack (lost samples) keep "[unknown];[off-cpu]".
  bool off_cpu_sampled = false;
  // A launched command's pid: the CPU-wide clock's samples of it before its
  // exec are of stackfire's own code (the fork's child), dropped.
  uint32_t launched_pid = 0;
  size_t max_queued_bytes = size_t{1} << 30;
};

// What an off-CPU recording measured, besides its stacks.
struct WallTotals {
  // The clock samples' weights: each sampled thread's on-CPU time as the
  // switch records measured it (WallClock), or the samples' periods where
  // a lost record left it unmeasured (on_cpu_estimated_threads).
  int64_t on_cpu_ns = 0;
  WallClockCounts off;    // spans off CPU
  // The time every thread there from start to stop is accounted for: from
  // the enable (attach) or the first record (a launched command) to the
  // stop, or to the last thread's exit when every thread has exited. Each such thread's on-CPU plus off-CPU time is about this.
  int64_t span_ns = 0;
  uint64_t on_cpu_measured_threads = 0;
  uint64_t on_cpu_estimated_threads = 0;
};

class Pipeline {
 public:
  // Executable mappings kept per file when it is mapped again and again at
  // new addresses (perf reports no munmap; see ProcessState::exec_starts).
  static constexpr size_t kMaxCopiesPerFile = 4;

  // The unwinder may be null when fp_only. modules, when given, is the ELF
  // cache the unwinder and the symbolizer read through; the stack model
  // takes build-ids from it. All must outlive the pipeline.
  Pipeline(PipelineOptions options, Unwinder* unwinder, Symbolizer* symbolizer,
           elf::ModuleCache* modules = nullptr);
  ~Pipeline();

  // Seeds the process state (maps, thread names) of one target at attach.
  void AddProcess(int pid, ProcessMaps maps);
  // A process whose CPU-wide clock samples are kept (before Start); its
  // children are added from their FORK records.
  void AddTarget(int pid);
  void SetThreadName(uint32_t tid, std::string comm);

  // Loads the unwind tables and symbols of every executable mapping known so
  // far (and the kernel's symbols unless kernel is false), so that this
  // one-time cost is paid before sampling starts instead of on the CPUs
  // the target runs on while it is being measured. Call before Start().
  // Stops early (between two modules) once *stop is set (may be null).
  void WarmUp(bool kernel, const volatile sig_atomic_t* stop = nullptr);

  // Off-CPU recordings of running processes: the events were enabled at
  // start_ns (CLOCK_MONOTONIC), with these threads off CPU then (from
  // /proc; stack_bytes is the size asked of a switch-out sample's stack).
  // A thread whose first record is a switch-in is off CPU from start_ns.
  // Call before Start().
  void StartWallClock(uint64_t start_ns, const std::vector<proc::BlockedThread>& blocked,
                      uint32_t stack_bytes);

  // Starts the drain and worker threads over sampler (not owned).
  void Start(perf::Sampler* sampler);
  // Disables the events, drains what is left, finishes every queued sample.
  void Stop();

  // Replaces a target's maps and thread names, in the worker's order: after
  // every record drained before the call, before every record drained after
  // it. For the snapshot taken once the events are on: side-band records
  // (MMAP2, COMM) exist only from then, so a process that exec'd or mapped
  // code between the first read of its maps and the enable sent none, and
  // every later sample would unwind through the old image's maps.
  void RefreshProcess(int pid, ProcessMaps maps, std::vector<std::pair<uint32_t, std::string>> comms);

  // Runs the worker's handling on records directly (no threads): for tests
  // and for replaying recordings.
  void Process(std::vector<perf::ParsedRecord> batch);
  // Off-CPU: ends the spans still open at stop_ns (Stop() does it with the
  // time sampling stopped).
  void FinishWallClock(uint64_t stop_ns);
  // Off-CPU: the totals (stable after Stop()).
  WallTotals wall_totals() const {
    return WallTotals{on_cpu_ns_, wall_.counts(),
                      wall_stop_ns_ > wall_start_ns_
                          ? static_cast<int64_t>(wall_stop_ns_ - wall_start_ns_)
                          : 0,
                      on_cpu_measured_threads_, on_cpu_estimated_threads_};
  }

  const Counters& counters() const { return counters_; }
  // What went wrong with the target's files (unreadable, corrupt, no
  // symbols or unwind info), one line per problem, deduplicated. Call after
  // Stop().
  std::vector<std::string> Warnings() const;
  // The stacks and weights so far (stable only after Stop()).
  const RecordedProfile& recorded() const { return recorded_; }
  // The folded view of recorded() (stack_views.h).
  Profile FoldedProfile() const;
  // Calls fn(const RecordedProfile&) while the worker waits between two
  // batches: what rolling outputs read while sampling goes on. fn should be
  // quick (the drain thread keeps reading the rings meanwhile).
  template <typename Fn>
  void WithRecorded(Fn&& fn) {
    std::lock_guard<std::mutex> lock(recorded_mu_);
    fn(static_cast<const RecordedProfile&>(recorded_));
  }
  // Hands the stacks and weights over; the pipeline processes no more
  // records afterwards. Call after Stop().
  RecordedProfile TakeRecorded();

  // The drain's fix for a switch-out sample's time: the sample just read
  // (records->back()), if it is the switch-out of the thread and CPU of
  // `out`, gets the time of `out`, its SWITCH_OUT record read right after it
  // from the same ring (see pipeline.cc for why).
  static void TimeSwitchSample(const perf::SwitchRecord& out,
                               std::vector<perf::ParsedRecord>* records);

 private:
  struct ProcessState {
    ProcessMaps maps;
    uint64_t generation = 0;
    // Where each file was last mapped executable, newest last: a library
    // loaded and unloaded in a loop lands at ever new addresses, and perf
    // reports no munmap, so only the newest few copies are kept.
    absl::flat_hash_map<std::string, std::deque<uint64_t>> exec_starts;
  };
  struct Snapshot {  // see RefreshProcess
    uint32_t pid = 0;
    ProcessMaps maps;
    std::vector<std::pair<uint32_t, std::string>> comms;  // tid, comm
  };
  struct Batch {
    std::vector<perf::ParsedRecord> records;
    size_t bytes = 0;
    // Records up to this time can be processed; later ones wait for the
    // next batch (see above).
    uint64_t watermark = UINT64_MAX;
    std::optional<Snapshot> snapshot;  // applied before the records
  };

  void DrainLoop();
  void WorkerLoop();
  void ProcessUpTo(std::vector<perf::ParsedRecord> batch, uint64_t watermark);
  void Handle(perf::ParsedRecord& record);
  void HandleSample(perf::SampleRecord& record);
  // Unwinds and symbolizes one sample into the model's stack id.
  uint32_t BuildStack(RawSample& sample, bool off_cpu,
                      const std::vector<std::string>* kernel_names = nullptr);
  void AddSpan(const OffCpuSpan& span);
  // The "[unknown];[off-cpu]" stack (under the thread's root, the root).
  std::pair<uint32_t, uint32_t> UnknownOffCpu(uint32_t pid, uint32_t tid);
  // off_cpu_sampled: weighs a span, with or without a stack (see
  // PipelineOptions::off_cpu_sampled).
  void CarryStack(const OffCpuSpan& span, int64_t ns);
  // At the end: the time still waiting goes under [unknown];[off-cpu].
  void FlushUnsampled();
  // WallClock's measured on-CPU time of a thread: rescales its samples.
  void ScaleOnCpu(const OnCpuTotal& total);
  bool ExitedBefore(uint32_t tid, uint64_t time_ns);
  void CountThread(uint32_t tid);
  // Adds the thread's pid and name to recorded_.threads once.
  void NoteThread(uint32_t pid, uint32_t tid);
  void Apply(Snapshot& snapshot);
  ProcessState& StateFor(uint32_t pid);
  // The location of a sample's root frame, or kNoRoot when stacks have none.
  uint32_t RootFrame(uint32_t pid, uint32_t tid);

  PipelineOptions options_;
  Unwinder* unwinder_;
  Symbolizer* symbolizer_;
  std::mutex recorded_mu_;  // held by the worker while it handles a batch
  RecordedProfile recorded_;
  StackBuilder builder_;  // fills recorded_.stacks
  Counters counters_;

  perf::Sampler* sampler_ = nullptr;
  std::thread drain_thread_;
  std::thread worker_thread_;
  std::atomic<bool> stop_{false};
  uint64_t stop_ns_ = 0;  // set by the drain thread before drain_done_

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> queue_;
  size_t queued_bytes_ = 0;
  bool drain_done_ = false;

  // Worker-thread state.
  absl::flat_hash_map<uint32_t, ProcessState> processes_;
  absl::flat_hash_set<uint32_t> targets_;        // see AddTarget
  absl::flat_hash_set<uint32_t> awaiting_exec_;  // options_.launched_pid until its exec
  // Threads that exited in the last second of records, by tid: the
  // CPU-wide clock still samples a thread on its way out, after its EXIT
  // record, and such a sample must not bring it back (ExitedBefore).
  absl::flat_hash_map<uint32_t, uint64_t> recent_exits_;
  std::deque<std::pair<uint64_t, uint32_t>> exit_order_;
  absl::flat_hash_map<uint32_t, std::string> thread_names_;
  absl::flat_hash_map<uint32_t, uint32_t> thread_roots_;   // tid -> root location
  absl::flat_hash_map<uint32_t, uint32_t> process_roots_;  // pid -> root location
  // Threads sampled and still alive (an EXIT record removes them, so that a
  // process churning through threads does not grow these tables).
  absl::flat_hash_set<uint32_t> seen_tids_;
  uint64_t threads_seen_ = 0;
  std::vector<uint64_t> pcs_;
  std::vector<uint64_t> fp_pcs_;
  // Records past the last batch's watermark.
  std::vector<perf::ParsedRecord> held_;
  WallClock wall_;
  int64_t on_cpu_ns_ = 0;
  bool wall_finished_ = false;
  uint64_t wall_start_ns_ = 0;  // see WallTotals::span_ns
  uint64_t wall_stop_ns_ = 0;
  uint64_t last_exit_ns_ = 0;  // the latest thread exit seen
  // off_cpu_sampled, per thread seen off CPU: its latest off-CPU stack,
  // or the time waiting for its first one. Kept to the end.
  struct OffCpuShares {
    bool has_stack = false;
    uint32_t root = 0, stack = 0;           // the latest stack, when has_stack
    int64_t waiting_ns = 0;                 // before its first stack
    std::pair<uint32_t, uint32_t> unknown;  // UnknownOffCpu's, for waiting_ns
  };
  absl::flat_hash_map<uint32_t, OffCpuShares> off_cpu_shares_;
  // Off-CPU: per thread still accounted, its clock samples (row, period),
  // rescaled to its measured on-CPU time when its total comes (ScaleOnCpu).
  absl::flat_hash_map<uint32_t, std::vector<std::pair<uint32_t, int64_t>>> on_cpu_samples_;
  uint64_t on_cpu_measured_threads_ = 0;   // sampled threads rescaled
  uint64_t on_cpu_estimated_threads_ = 0;  // sampled threads left to their periods
  std::shared_ptr<const std::vector<uint8_t>> vdso_image_;
};

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_PIPELINE_H_
