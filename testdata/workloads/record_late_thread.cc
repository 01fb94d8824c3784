// A thread born after the profiler attached: main prints "ready", sleeps
// DELAY seconds, then starts a thread that spins in late_thread_work for
// SECONDS of CPU time. Usage: record_late_thread DELAY SECONDS
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {
volatile unsigned long sink;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

__attribute__((noinline)) void late_thread_work(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  unsigned long x = sink;
  while (ThreadCpuSeconds() < end) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
  asm volatile("");
}

int main(int argc, char** argv) {
  const double delay = argc > 1 ? std::atof(argv[1]) : 1;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 1;
  std::printf("ready\n");
  std::fflush(stdout);
  usleep(static_cast<useconds_t>(delay * 1e6));
  std::thread t([=] { late_thread_work(seconds); });
  t.join();
  return 0;
}
