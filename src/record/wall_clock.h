// Per-thread wall-clock accounting of an off-CPU recording: which spans of
// time each thread spent off CPU, and the stack it left the CPU with.
//
// The kernel tells, per thread (perf/event_attr.h, BuildSwitchAttr):
//   a switch-out sample   the stack, taken in the scheduler just before
//   SWITCH_OUT            the thread leaves the CPU (time of the switch),
//   SWITCH_IN             and comes back.
// A span runs from SWITCH_OUT to the next SWITCH_IN and carries the stack of
// the switch-out sample before it (or none: the sample was not allowed or
// was lost). The sample's own time stands in for a lost SWITCH_OUT.
//
// Spans also run
//   - from the start of the recording (Start) for a thread that was already
//     off CPU then: its first record is a SWITCH_IN. Its stack comes from
//     /proc (Blocked) when it could be read;
//   - from a thread's birth (FORK) to its first SWITCH_IN (it waited for a
//     CPU);
//   - to the stop (Finish) for a thread still off CPU then.
// On-CPU time is measured too, per thread: from each SWITCH_IN (or the
// start, or its birth) to the next SWITCH_OUT (or its exit, or the stop).
// When a thread's accounting ends (its EXIT, or Finish) its total goes to
// the on-CPU sink, marked exact unless a lost record left one of its
// intervals without a beginning or an end. The clock samples only share that
// time among the thread's stacks (the pipeline scales their periods to it):
// a per-CPU clock's samples fall on a thread by chance, so their periods
// alone would tell its CPU time only within a few % (1/sqrt(samples)).
//
// Records must come in time order per thread (the pipeline holds each batch
// back to a watermark so that per-CPU rings merge in order). What lost
// records leave unpaired (an OUT after an OUT, a clock sample or an EXIT
// while off CPU, an IN after an IN) is dropped, never guessed, and counted.
//
// Pure logic, no I/O; not thread-safe (the pipeline's worker owns it).
// Memory: one small entry per live thread.
#ifndef STACKFIRE_SRC_RECORD_WALL_CLOCK_H_
#define STACKFIRE_SRC_RECORD_WALL_CLOCK_H_

#include <time.h>

#include <cstdint>
#include <functional>

#include "absl/container/flat_hash_map.h"

namespace stackfire::record {

// CLOCK_MONOTONIC in nanoseconds: the clock every record is stamped with
// (perf/event_attr.h).
inline uint64_t MonotonicNs() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Where a span's time goes in the stack model (stack_model.h): a root and
// stack id, or nothing known (the caller makes an "[unknown];[off-cpu]"
// stack for the thread).
struct OffCpuStack {
  bool known = false;
  uint32_t root = 0;
  uint32_t stack = 0;
};

struct OffCpuSpan {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint64_t begin_ns = 0;
  uint64_t end_ns = 0;
  OffCpuStack stack;
  bool preempted = false;  // it left the CPU runnable (waited for a CPU)
};

struct WallClockCounts {
  uint64_t switches = 0;        // switch-outs seen (SWITCH_OUT or a lone sample)
  uint64_t with_stack = 0;      // spans with a known stack
  uint64_t unpaired = 0;        // records that lost ones left without a partner
  uint64_t spans = 0;           // spans handed out
  int64_t off_cpu_ns = 0;       // their total
  int64_t preempted_ns = 0;     // of which runnable, waiting for a CPU
};

// A thread's time on CPU within the recording (see above).
struct OnCpuTotal {
  uint32_t pid = 0;
  uint32_t tid = 0;
  int64_t on_cpu_ns = 0;
  bool exact = true;
};

class WallClock {
 public:
  using SpanSink = std::function<void(const OffCpuSpan&)>;
  using OnCpuSink = std::function<void(const OnCpuTotal&)>;
  explicit WallClock(SpanSink sink, OnCpuSink on_cpu_sink = nullptr)
      : sink_(std::move(sink)), on_cpu_sink_(std::move(on_cpu_sink)) {}

  // The recording started at start_ns with these threads already there
  // (attach): a thread whose first record is a SWITCH_IN was off CPU from
  // start_ns. Without Start (a launched command) threads are born by FORK.
  void Start(uint64_t start_ns) { start_ns_ = start_ns; }
  // A launched command: the time of the first record, from which a thread
  // with no FORK record (its first thread, running at its exec) was on CPU.
  void FirstRecord(uint64_t time_ns) {
    if (first_record_ns_ == 0) first_record_ns_ = time_ns;
  }
  // A thread found off CPU at the start, with its stack when read (after
  // the start: if its first record is not a SWITCH_IN, it was on CPU then).
  void Blocked(uint32_t pid, uint32_t tid, OffCpuStack stack, bool preempted);

  void Born(uint32_t pid, uint32_t tid, uint64_t time_ns);
  void Exited(uint32_t tid, uint64_t time_ns);
  // A clock sample: the thread was on CPU at time_ns.
  void OnCpu(uint32_t pid, uint32_t tid, uint64_t time_ns);
  // The switch-out sample and its stack.
  void SwitchOutSample(uint32_t pid, uint32_t tid, uint64_t time_ns, OffCpuStack stack);
  void SwitchOut(uint32_t pid, uint32_t tid, uint64_t time_ns, bool preempted);
  void SwitchIn(uint32_t pid, uint32_t tid, uint64_t time_ns);
  // Ends every span still open at stop_ns. Call once, after the last record.
  void Finish(uint64_t stop_ns);

  const WallClockCounts& counts() const { return counts_; }
  size_t threads() const { return threads_.size(); }

 private:
  enum class State : uint8_t { kUnknown, kOn, kOff };
  struct Thread {
    uint32_t pid = 0;
    State state = State::kUnknown;
    bool preempted = false;
    bool blocked_at_start = false;  // Blocked(): off CPU since start_ns
    bool sampled = false;           // a switch-out sample waits for its SWITCH_OUT
    bool born = false;              // FORK seen: since is its birth
    uint64_t since = 0;             // kOff: when it left; kUnknown: its birth (0: unknown)
    uint64_t sample_time = 0;
    OffCpuStack stack;              // kOff: its span's; kOn: the waiting sample's
    uint64_t on_since = 0;          // kOn: since when (0: unknown, then inexact)
    int64_t on_ns = 0;              // closed on-CPU intervals
    bool inexact = false;           // an interval's beginning or end was lost
  };

  Thread& Of(uint32_t pid, uint32_t tid);
  void Emit(uint32_t tid, const Thread& t, uint64_t begin, uint64_t end);
  // Where a thread first seen on CPU (kUnknown) began its interval: its
  // birth, the start, or a launched command's first record; 0 if unknown.
  uint64_t FirstOnCpu(const Thread& t) const {
    return t.since != 0 ? t.since : first_record_ns_;
  }
  // Ends the thread's current on-CPU interval at time_ns.
  void CloseOnCpu(Thread& t, uint64_t time_ns);
  // Turns a thread that was not known on CPU (kUnknown, kOff) into kOn at
  // once: its interval's beginning.
  void BecomeOnCpu(Thread& t);
  void ReportOnCpu(uint32_t tid, const Thread& t);
  // Blocked() comes from /proc, read after the events were enabled: a
  // thread that was on CPU at the start and blocked before the read has a
  // switch-out (or a clock sample, or its exit), not a switch-in, as its
  // first record. It was on CPU from the start; the blocked span is not one.
  void OnCpuFromStart(Thread& t);

  SpanSink sink_;
  OnCpuSink on_cpu_sink_;
  uint64_t start_ns_ = 0;
  uint64_t first_record_ns_ = 0;
  absl::flat_hash_map<uint32_t, Thread> threads_;
  WallClockCounts counts_;
};

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_WALL_CLOCK_H_
