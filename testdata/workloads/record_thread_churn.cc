// Starts THREADS short-lived threads, waits for them, and again, for
// SECONDS of the process's CPU time (a loaded machine does not shrink the
// run): each thread spins about 3 ms of CPU in churn_worker and exits.
// Prints "ready" at start and "threads N" (how many ran) at the end.
// Usage: record_thread_churn SECONDS [THREADS=200]
#include <pthread.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

volatile unsigned long sink;

double Now(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

extern "C" __attribute__((noinline)) void* churn_worker(void*) {
  const double end = Now(CLOCK_THREAD_CPUTIME_ID) + 0.003;
  unsigned long x = sink;
  while (Now(CLOCK_THREAD_CPUTIME_ID) < end) {
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
  asm volatile("");
  return nullptr;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 200;
  std::printf("ready\n");
  std::fflush(stdout);
  const double end = Now(CLOCK_PROCESS_CPUTIME_ID) + seconds;
  long started = 0;
  std::vector<pthread_t> ids(static_cast<size_t>(threads));
  while (Now(CLOCK_PROCESS_CPUTIME_ID) < end) {
    int n = 0;
    for (; n < threads; ++n) {
      if (pthread_create(&ids[static_cast<size_t>(n)], nullptr, churn_worker, nullptr) != 0) break;
    }
    for (int i = 0; i < n; ++i) pthread_join(ids[static_cast<size_t>(i)], nullptr);
    started += n;
  }
  std::printf("threads %ld\n", started);
  return 0;
}
