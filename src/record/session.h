// One recording, from a validated RecordConfig to a RecordResult:
//
//   auto session = RecordSession::Start(config, options, &notes);  // sampling
//   session->Run(&stop_signal, progress);   // until a stop condition
//   RecordResult result = session->Finish();  // profile, model, counters
//
// Start launches the command (held before exec) or checks the pids, opens
// the events, builds the stages of the worker thread (one elf::ModuleCache
// that the unwinder, the symbolizer and the stack model share), seeds the
// targets' maps and thread names, loads their unwind tables and symbols
// before sampling (so that this cost does not land on the measured CPUs),
// starts the pipeline's threads, and only then lets the command exec or
// enables the events.
//
// Run returns on the first of: *stop_signal set (by the caller's signal
// handler), the duration reached, the targets gone. Finish stops sampling,
// drains what the rings still hold, ends a command that is still running
// (SIGTERM, then SIGKILL) and hands over everything collected: nothing
// already sampled is lost, whatever stopped the recording.
//
// Errors carry a hint (stackfire/hint.h) where the cause is known here:
// kNotFound for a command or pid that does not exist, kPermissionDenied,
// kInvalidArgument (the kernel refused the rate), kResourceExhausted.
//
// Off-CPU recordings (RecordConfig::off_cpu) open the switch event too
// (perf/sampler.h) and weigh in nanoseconds (pipeline.h). Attaching, Start
// enables the events, then reads where each thread that is off CPU at that
// moment waits (proc/blocked_thread.h), so that its time counts from the
// start; a launched command's threads are all born after the start.
//
// Where coming features land: per-sample time and thread is a timeline
// beside the weights, appended where the worker adds a sample; rolling
// outputs need a way to take the RecordedProfile while running, which only
// the worker can do, between two batches.
//
// Threading: every method on one controlling thread; the pipeline's two
// threads run between Start and Finish. Not copyable.
#ifndef STACKFIRE_SRC_RECORD_SESSION_H_
#define STACKFIRE_SRC_RECORD_SESSION_H_

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "export/export_profile.h"
#include "src/elf/module_cache.h"
#include "src/perf/sampler.h"
#include "src/record/child_process.h"
#include "src/record/pipeline.h"
#include "src/record/record_config.h"
#include "src/record/stack_model.h"
#include "src/unwind/unwinders.h"
#include "stackfire/profile.h"
#include "stackfire/symbolizer.h"
#include "stackfire/unwinder.h"

namespace stackfire::record {

// How the outputs will use the result.
struct SessionOptions {
  // Build the export model (pprof, speedscope): addresses, mappings and
  // source lines are kept.
  bool export_model = false;
  // The launched command writes its stdout to stderr (stackfire's stdout
  // carries the profile or the report).
  bool command_stdout_to_stderr = false;
  // Print debuginfod download progress on stderr (not with -q).
  bool download_progress = true;
  // The caller's stop flag (set by its signal handler): a debuginfod
  // download in progress is given up when it is set. May be null.
  const volatile sig_atomic_t* stop_signal = nullptr;
  // Called with -p targets after their maps were read and before the
  // events are enabled: tests change a target in that window.
  std::function<void()> before_enable;
};

enum class StopReason {
  kTargetsExited,  // every target process is gone (or the command ended)
  kDuration,       // -d passed
  kInterrupted,    // SIGINT
  kTerminated,     // SIGTERM (or another stop signal)
  kHungUp,         // SIGHUP
};

// A plain copy of the pipeline's counters (pipeline.h).
struct CounterValues {
  uint64_t samples = 0, lost = 0, unwind_failures = 0, fp_fallbacks = 0, truncated = 0,
           duplicates = 0, malformed = 0, throttled = 0, queue_dropped = 0, threads = 0,
           switch_samples = 0, switches = 0,
           // Off-CPU, after Finish: spans without a stack, records left
           // unpaired by lost ones.
           switches_unstacked = 0, unpaired = 0;
  static CounterValues Of(const Counters& c);
};

struct RecordResult {
  StopReason stop_reason = StopReason::kTargetsExited;
  // The launched command's wait status, when it ended by itself (not when
  // the recording ended it).
  std::optional<int> command_status;
  CounterValues counters;
  // The one stack model, and its views for the outputs.
  RecordedProfile recorded;
  Profile profile;                               // folded stacks
  std::optional<exporter::ExportProfile> model;  // with SessionOptions::export_model
  double seconds = 0;                            // sampling time, start to stop
  double suspended_seconds = 0;  // time the controlling loop did not run (SIGSTOP, no CPU)
  int64_t start_wall_ns = 0;     // CLOCK_REALTIME at start
  std::chrono::steady_clock::time_point stopped_at;
  // Problems with the target's files, one line each, deduplicated.
  std::vector<std::string> warnings;
  std::optional<unwind::UnwinderCheck> unwinder_check;  // --unwinder=verify
  std::optional<WallTotals> wall;                       // --off-cpu
  // Targets whose executable mappings changed between the first read of
  // their maps and the enable (an exec, a dlopen), read again after it.
  int maps_refreshed = 0;
};

class RecordSession {
 public:
  // Called about every 250 ms while running, with the elapsed seconds.
  using Progress = std::function<void(double elapsed_s, const Counters& counters)>;

  // notes gets what the sampler had to say (an event fallback, kernel
  // samples not allowed), also when Start fails.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RecordSession>> Start(
      const RecordConfig& config, const SessionOptions& options, std::vector<std::string>* notes);

  ~RecordSession();
  RecordSession(const RecordSession&) = delete;
  RecordSession& operator=(const RecordSession&) = delete;

  // Blocks until a stop condition; stop_signal (may be null) is the signal
  // number a handler stored, 0 while none came.
  StopReason Run(const volatile sig_atomic_t* stop_signal, const Progress& progress);

  // Stops and collects. Call once, after Run.
  RecordResult Finish();

  const Counters& counters() const { return pipeline_->counters(); }
  const std::vector<int>& pids() const { return pids_; }

 private:
  RecordSession() = default;
  absl::Status Init(const RecordConfig& config, const SessionOptions& options,
                    std::vector<std::string>* notes);
  // Attaching with --off-cpu: the threads off CPU at start_ns.
  void StartWallClock(uint64_t start_ns, std::vector<std::string>* notes);

  RecordConfig config_;
  SessionOptions options_;
  std::vector<int> pids_;
  std::optional<ChildProcess> child_;
  std::unique_ptr<perf::Sampler> sampler_;
  // The worker's stages, in the order they must be destroyed in reverse:
  // the cache outlives the unwinder and symbolizer that borrow it.
  std::unique_ptr<elf::ModuleCache> modules_;
  std::unique_ptr<Unwinder> unwinder_;
  std::unique_ptr<Symbolizer> symbolizer_;
  std::unique_ptr<Pipeline> pipeline_;

  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point stopped_at_;
  int64_t start_wall_ns_ = 0;
  StopReason stop_reason_ = StopReason::kTargetsExited;
  std::optional<int> command_status_;
  double suspended_ = 0;
  int refreshed_ = 0;  // RecordResult::maps_refreshed
};

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_SESSION_H_
