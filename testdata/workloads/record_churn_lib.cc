// The libraries record_dlopen_churn loads and unloads in turn, built twice
// with CHURN_FN set to churn_a_work and churn_b_work.
#include <time.h>

namespace {
volatile unsigned long sink;
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

extern "C" __attribute__((noinline)) void CHURN_FN(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  unsigned long x = sink;
  while (ThreadCpuSeconds() < end) {
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
  asm volatile("");
}
