// When each sample happened: the time dimension beside a Profile's weights.
//
// A TimedSample is 16 bytes: its time, its thread, and the stack it adds to
// (an index into the Profile's entries(), or, inside the recorder, into the
// stack model's rows). A recording of 30 s at 999 Hz on 8 busy threads
// (239,760 samples) keeps 3.8 MB of them (bench/RESULTS-time.md).
//
// Times are nanoseconds on one clock: CLOCK_MONOTONIC for a recording, the
// perf clock of `perf script` text. start_ns is the recording's start on
// that clock (the first sample's time when nothing better is known), so
// `time_ns - start_ns` is the time into the recording. wall_start_ns, when
// known, is CLOCK_REALTIME at start_ns (0: unknown).
//
// Each sample counts 1 in a heatmap, whatever the stack's weight (a period):
// the heatmap shows samples over time.
#ifndef STACKFIRE_TIMELINE_H_
#define STACKFIRE_TIMELINE_H_

#include <cstdint>
#include <vector>

namespace stackfire {

struct TimedSample {
  int64_t time_ns = 0;
  uint32_t tid = 0;
  uint32_t stack = 0;
};
static_assert(sizeof(TimedSample) == 16, "a timeline keeps 16 bytes a sample");

struct Timeline {
  std::vector<TimedSample> samples;  // in time order once sorted (SortByTime)
  int64_t start_ns = 0;
  int64_t end_ns = 0;  // the recording's end (>= every sample's time)
  int64_t wall_start_ns = 0;

  bool empty() const { return samples.empty(); }
  double seconds() const { return static_cast<double>(end_ns - start_ns) / 1e9; }
};

// Sorts the samples by time, keeping the order of equal times.
void SortByTime(Timeline* timeline);

}  // namespace stackfire

#endif  // STACKFIRE_TIMELINE_H_
