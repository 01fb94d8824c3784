// See wall_clock.h.
#include "src/record/wall_clock.h"

namespace stackfire::record {

WallClock::Thread& WallClock::Of(uint32_t pid, uint32_t tid) {
  auto [it, inserted] = threads_.try_emplace(tid);
  if (inserted) {
    it->second.pid = pid;
    // Without a FORK record, a thread was there when the recording started
    // (attach); a launched command's first thread runs at its exec.
    it->second.since = start_ns_;
  }
  return it->second;
}

void WallClock::Emit(uint32_t tid, const Thread& t, uint64_t begin, uint64_t end) {
  if (end <= begin) return;
  OffCpuSpan span;
  span.pid = t.pid;
  span.tid = tid;
  span.begin_ns = begin;
  span.end_ns = end;
  span.stack = t.stack;
  span.preempted = t.preempted;
  const int64_t ns = static_cast<int64_t>(end - begin);
  ++counts_.spans;
  counts_.off_cpu_ns += ns;
  if (span.preempted) counts_.preempted_ns += ns;
  if (span.stack.known) ++counts_.with_stack;
  sink_(span);
}

void WallClock::CloseOnCpu(Thread& t, uint64_t time_ns) {
  uint64_t begin = 0;
  if (t.state == State::kOn) {
    begin = t.on_since;
  } else if (t.state == State::kUnknown) {
    begin = FirstOnCpu(t);
  } else {
    return;  // off CPU: no interval open
  }
  if (begin == 0) {
    t.inexact = true;
  } else if (time_ns > begin) {
    t.on_ns += static_cast<int64_t>(time_ns - begin);
  }
  t.on_since = 0;
}

void WallClock::BecomeOnCpu(Thread& t) {
  if (t.state == State::kUnknown) {
    t.on_since = FirstOnCpu(t);
  } else if (t.state == State::kOff) {
    // On CPU with no SWITCH_IN seen: when it came back is lost.
    t.on_since = 0;
    t.inexact = true;
  }
}

void WallClock::OnCpuFromStart(Thread& t) {
  if (t.state != State::kOff || !t.blocked_at_start) return;
  t.state = State::kOn;
  t.on_since = start_ns_;
  t.blocked_at_start = false;
  t.stack = OffCpuStack();
}

void WallClock::ReportOnCpu(uint32_t tid, const Thread& t) {
  if (on_cpu_sink_) on_cpu_sink_(OnCpuTotal{t.pid, tid, t.on_ns, !t.inexact});
}

void WallClock::Blocked(uint32_t pid, uint32_t tid, OffCpuStack stack, bool preempted) {
  Thread& t = Of(pid, tid);
  t.state = State::kOff;
  t.since = start_ns_;
  t.stack = stack;
  t.preempted = preempted;
  t.blocked_at_start = true;
}

void WallClock::Born(uint32_t pid, uint32_t tid, uint64_t time_ns) {
  Thread& t = threads_[tid];
  t = Thread();
  t.pid = pid;
  t.since = time_ns;
  t.born = true;
}

void WallClock::Exited(uint32_t tid, uint64_t time_ns) {
  auto it = threads_.find(tid);
  if (it == threads_.end()) return;
  Thread& t = it->second;
  OnCpuFromStart(t);
  // A thread exits on a CPU: off CPU here means its SWITCH_IN was lost.
  if (t.state == State::kOff) {
    ++counts_.unpaired;
    t.inexact = true;
  }
  if (t.state == State::kOn) CloseOnCpu(t, time_ns);
  ReportOnCpu(tid, t);
  threads_.erase(it);
}

void WallClock::OnCpu(uint32_t pid, uint32_t tid, uint64_t time_ns) {
  (void)time_ns;
  Thread& t = Of(pid, tid);
  OnCpuFromStart(t);
  if (t.state == State::kOff) ++counts_.unpaired;
  BecomeOnCpu(t);
  t.state = State::kOn;
}

void WallClock::SwitchOutSample(uint32_t pid, uint32_t tid, uint64_t time_ns, OffCpuStack stack) {
  Thread& t = Of(pid, tid);
  OnCpuFromStart(t);
  if (t.state == State::kOff) ++counts_.unpaired;
  BecomeOnCpu(t);
  t.state = State::kOn;
  t.sampled = true;
  t.sample_time = time_ns;
  t.stack = stack;
}

void WallClock::SwitchOut(uint32_t pid, uint32_t tid, uint64_t time_ns, bool preempted) {
  Thread& t = Of(pid, tid);
  OnCpuFromStart(t);
  // Two switch-outs without a switch-in between: the IN was lost, and with
  // it where the first span ended.
  if (t.state == State::kOff) {
    ++counts_.unpaired;
    t.inexact = true;  // it came back on CPU unseen
  }
  CloseOnCpu(t, time_ns);
  ++counts_.switches;
  if (!t.sampled) t.stack = OffCpuStack();
  t.sampled = false;
  t.state = State::kOff;
  t.since = time_ns;
  t.preempted = preempted;
}

void WallClock::SwitchIn(uint32_t pid, uint32_t tid, uint64_t time_ns) {
  Thread& t = Of(pid, tid);
  switch (t.state) {
    case State::kOff:
      Emit(tid, t, t.since, time_ns);
      break;
    case State::kUnknown:
      // Its first record: off CPU since the start or its birth, waiting
      // for a CPU or in a wait /proc could not show.
      if (t.since != 0) {
        t.stack = OffCpuStack();
        t.preempted = t.born;  // a new thread waits for its first CPU
        Emit(tid, t, t.since, time_ns);
      }
      break;
    case State::kOn:
      if (t.sampled) {
        // Its SWITCH_OUT was lost: the sample says when it left.
        ++counts_.switches;
        t.preempted = false;
        Emit(tid, t, t.sample_time, time_ns);
        CloseOnCpu(t, t.sample_time);
      } else {
        ++counts_.unpaired;
        t.inexact = true;
      }
      break;
  }
  t.blocked_at_start = false;
  t.sampled = false;
  t.stack = OffCpuStack();
  t.state = State::kOn;
  t.on_since = time_ns;
}

void WallClock::Finish(uint64_t stop_ns) {
  for (auto& [tid, t] : threads_) {
    if (t.state == State::kOff) {
      Emit(tid, t, t.since, stop_ns);
    } else if (t.state == State::kOn && t.sampled) {
      ++counts_.switches;
      Emit(tid, t, t.sample_time, stop_ns);
      CloseOnCpu(t, t.sample_time);
    } else if (t.state == State::kOn) {
      CloseOnCpu(t, stop_ns);
    }
    // (kUnknown: born and never ran.)
    ReportOnCpu(tid, t);
    t.state = State::kOn;
    t.sampled = false;
  }
}

}  // namespace stackfire::record
