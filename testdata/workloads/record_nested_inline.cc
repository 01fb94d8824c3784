// Inlined calls inside inlined calls for `stackfire record` tests: inner_mix
// is always inlined into middle_mix, itself always inlined into outer_work,
// so one address stands for three functions. Expected folded frames:
// "outer_work;middle_mix_[i];inner_mix_[i]"; in pprof, one location whose
// lines are inner_mix, middle_mix, outer_work (innermost first).
// Usage: record_nested_inline SECONDS (of CPU time).
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

volatile unsigned long sink;

static inline __attribute__((always_inline)) unsigned long inner_mix(unsigned long x) {
  for (int i = 0; i < 1000; ++i) x = (x ^ (x >> 7)) * 0x9e3779b97f4a7c15ul + 1;
  return x;
}

static inline __attribute__((always_inline)) unsigned long middle_mix(unsigned long x) {
  x = inner_mix(x);
  asm volatile("");
  return x + 1;
}

extern "C" __attribute__((noinline)) void outer_work(int rounds) {
  unsigned long x = sink;
  for (int r = 0; r < rounds; ++r) x = middle_mix(x);
  sink = x;
  asm volatile("");
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1;
  const double end = ThreadCpuSeconds() + seconds;
  while (ThreadCpuSeconds() < end) outer_work(200);
  std::printf("%lu\n", sink);
  return 0;
}
