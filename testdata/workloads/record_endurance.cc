// The endurance workload: one process that never settles. Its main thread
// loads library A, spins in it, unloads it, then the same with B; a second
// thread starts 50 short-lived threads at a time, waits for them, and again.
// Usage: record_endurance SECONDS LIB_A LIB_B (prints "ready" first).
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

volatile unsigned long sink;
std::atomic<bool> done{false};

double Now(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

extern "C" __attribute__((noinline)) void* endurance_worker(void*) {
  const double end = Now(CLOCK_THREAD_CPUTIME_ID) + 0.002;
  unsigned long x = sink;
  while (Now(CLOCK_THREAD_CPUTIME_ID) < end) {
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
  asm volatile("");
  return nullptr;
}

extern "C" __attribute__((noinline)) void* thread_churn(void*) {
  std::vector<pthread_t> ids(50);
  while (!done.load()) {
    size_t n = 0;
    for (; n < ids.size(); ++n) {
      if (pthread_create(&ids[n], nullptr, endurance_worker, nullptr) != 0) break;
    }
    for (size_t i = 0; i < n; ++i) pthread_join(ids[i], nullptr);
    timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  return nullptr;
}

extern "C" __attribute__((noinline)) bool load_and_run(const char* path, const char* symbol) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "%s\n", dlerror());
    return false;
  }
  auto work = reinterpret_cast<void (*)(double)>(dlsym(lib, symbol));
  if (work != nullptr) work(0.02);
  dlclose(lib);
  asm volatile("");
  return work != nullptr;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: record_endurance SECONDS LIB_A LIB_B\n");
    return 2;
  }
  const double end = Now(CLOCK_MONOTONIC) + std::atof(argv[1]);
  pthread_t churn;
  pthread_create(&churn, nullptr, thread_churn, nullptr);
  std::printf("ready\n");
  std::fflush(stdout);
  bool ok = true;
  while (ok && Now(CLOCK_MONOTONIC) < end) {
    ok = load_and_run(argv[2], "churn_a_work") && load_and_run(argv[3], "churn_b_work");
  }
  done = true;
  pthread_join(churn, nullptr);
  return ok ? 0 : 1;
}
