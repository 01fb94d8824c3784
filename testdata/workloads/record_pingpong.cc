// A switch-heavy workload: two threads pass one byte back and forth over a
// pair of pipes, so each blocks in read(2) on every round trip (about two
// context switches per thread per round trip). The off-CPU benchmark
// (bench/offcpu_bench.py) measures how much a profiler slows it down.
//
//   record_pingpong SECONDS [CPU [SPIN_NS]]
//
// Prints "ready", then every 100 ms "T_NS ROUND_TRIPS" (CLOCK_MONOTONIC,
// cumulative count), then exits after SECONDS. With CPU, both threads are
// pinned to it (the switches then are all on one CPU, leaving the other to
// the profiler). With SPIN_NS, the ping thread computes that long before each
// round trip, to set the switch rate (about 2 / (SPIN_NS + a trip's cost)
// per second). Build: g++ -O2 -g -fomit-frame-pointer -pthread.
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

int g_ping[2], g_pong[2];
std::atomic<uint64_t> g_trips{0};
std::atomic<bool> g_stop{false};

int64_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void Pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int g_cpu = -1;
int64_t g_spin_ns = 0;
volatile uint64_t g_sink;

}  // namespace

__attribute__((noinline)) void pong_loop() {
  char c;
  while (read(g_ping[0], &c, 1) == 1) {
    if (write(g_pong[1], &c, 1) != 1) break;
  }
  asm volatile("");
}

__attribute__((noinline)) void ping_loop() {
  char c = 'x';
  while (!g_stop.load(std::memory_order_relaxed)) {
    if (g_spin_ns > 0) {
      uint64_t x = g_sink;
      for (const int64_t until = Now() + g_spin_ns; Now() < until;) x = x * 33 + 1;
      g_sink = x;
    }
    if (write(g_ping[1], &c, 1) != 1 || read(g_pong[0], &c, 1) != 1) break;
    g_trips.fetch_add(1, std::memory_order_relaxed);
  }
  asm volatile("");
}

namespace {

void* Pong(void*) {
  Pin(g_cpu);
  pong_loop();
  return nullptr;
}

void* Ping(void*) {
  Pin(g_cpu);
  ping_loop();
  close(g_ping[1]);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  g_cpu = argc > 2 ? std::atoi(argv[2]) : -1;
  g_spin_ns = argc > 3 ? std::atoll(argv[3]) : 0;
  if (pipe(g_ping) != 0 || pipe(g_pong) != 0) return 3;
  pthread_t ping, pong;
  pthread_create(&pong, nullptr, Pong, nullptr);
  pthread_create(&ping, nullptr, Ping, nullptr);
  std::printf("ready\n");
  std::fflush(stdout);
  const int64_t end = Now() + static_cast<int64_t>(seconds * 1e9);
  for (int64_t next = Now() + 100000000; next <= end; next += 100000000) {
    timespec ts{static_cast<time_t>(next / 1000000000), static_cast<long>(next % 1000000000)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
    std::printf("%lld %llu\n", static_cast<long long>(Now()),
                static_cast<unsigned long long>(g_trips.load()));
    std::fflush(stdout);
  }
  g_stop = true;
  pthread_join(ping, nullptr);
  pthread_join(pong, nullptr);
  return 0;
}
