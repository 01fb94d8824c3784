// Runs for a while, then replaces itself with another program (exec), so a
// recording sees two images in one process: the samples before the exec
// must name this program's functions, those after it the new image's.
// Usage: record_exec SECONDS PROGRAM [ARGS...] (prints "ready" first).
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

volatile unsigned long sink;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

extern "C" __attribute__((noinline)) void before_exec_spin(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  unsigned long x = sink;
  while (ThreadCpuSeconds() < end) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
  asm volatile("");
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: record_exec SECONDS PROGRAM [ARGS...]\n");
    return 2;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  before_exec_spin(std::atof(argv[1]));
  execv(argv[2], argv + 2);
  std::perror("execv");
  return 1;
}
