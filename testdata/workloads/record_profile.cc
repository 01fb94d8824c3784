// A known call profile for `stackfire record` tests: work is split 60/30/10
// between leaf_sixty, leaf_thirty and leaf_ten, by CPU time measured in the
// process itself, so the expected shares hold whatever the machine's speed.
// Usage: record_profile SECONDS [THREADS]
// Each thread runs the same mix; with THREADS > 1 every thread is pinned to
// its own CPU when there are enough (the VM's scheduler does not balance).
// Built at -O2 -g -fomit-frame-pointer: only DWARF unwinds it.
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

volatile unsigned long sink;

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Spins for `seconds` of this thread's CPU time.
__attribute__((noinline)) void Spin(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  unsigned long x = sink;
  while (ThreadCpuSeconds() < end) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
}

// The empty asm after each call keeps gcc from turning it into a tail jump,
// which would leave the leaf out of the stack.
__attribute__((noinline)) void leaf_sixty() { Spin(0.012); asm volatile(""); }
__attribute__((noinline)) void leaf_thirty() { Spin(0.006); asm volatile(""); }
__attribute__((noinline)) void leaf_ten() { Spin(0.002); asm volatile(""); }

__attribute__((noinline)) void run_mix(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  while (ThreadCpuSeconds() < end) {
    leaf_sixty();
    leaf_thirty();
    leaf_ten();
  }
  asm volatile("");
}

void Pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const int cpus = static_cast<int>(std::thread::hardware_concurrency());
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) {
    workers.emplace_back([=] {
      if (cpus >= threads) Pin(i % cpus);
      run_mix(seconds);
    });
  }
  if (threads > 1 && cpus >= threads) Pin(0);
  run_mix(seconds);
  for (auto& w : workers) w.join();
  std::printf("%lu\n", sink);
  return 0;
}
