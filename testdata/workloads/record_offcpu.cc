// A workload with a known wall-clock split, for `stackfire record --off-cpu`.
//
//   record_offcpu SECONDS [long]
//
// Threads (named, so that --per-thread roots tell them apart):
//   main        starts the others, prints "ready", then waits in
//               pthread_join for SECONDS: off CPU from before any attach.
//   sf-worker   100 ms cycles: compute_phase until 40 ms into the cycle,
//               read_phase blocked in read(2) on a pipe until 60 ms,
//               sleep_phase in nanosleep until 80 ms, lock_phase waiting on
//               a mutex the helper holds until 100 ms. Every phase ends at
//               an absolute deadline, so a late wake-up shortens the next
//               phase instead of shifting the split: 40/20/20/20 % of the
//               worker's wall time, give or take the time a phase overran
//               its deadline (preempted on a loaded machine). Each cycle
//               prints "cycle START_NS COMPUTE READ SLEEP LOCK" (the
//               phases' measured lengths, ns, CLOCK_MONOTONIC).
//   sf-helper   writes to the worker's pipe and holds the mutex at those
//               deadlines; blocked in read on its request pipe otherwise.
//   sf-spawner  every 500 ms starts an sf-short thread and joins it.
//   sf-short    short_compute for 100 ms, short_sleep for 100 ms, exits;
//               the spawner then prints "short TID MOST_US LEAST_US": its
//               life from before and from after pthread_create to its end
//               (it began in between; the two differ when the spawner was
//               kept off its CPU inside pthread_create).
//   sf-long     (with "long") long_compute for 200 ms, then long_sleep for
//               an hour: still blocked when a recording stops.
//
// Exits after SECONDS. Build: g++ -O2 -g -fomit-frame-pointer -pthread.
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int64_t kMs = 1000000;
volatile uint64_t g_sink;
int64_t g_end_ns;
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
int g_request[2];  // worker -> helper: 'r' or 'm' and a deadline
int g_data[2];     // helper -> worker: one byte at the read deadline
int g_ack[2];      // helper -> worker: the mutex is taken

int64_t Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void SleepUntil(int64_t deadline) {
  timespec ts{static_cast<time_t>(deadline / 1000000000), static_cast<long>(deadline % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void Spin(int64_t deadline) {
  uint64_t x = g_sink;
  while (Now() < deadline) {
    for (int i = 0; i < 2000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
  }
  g_sink = x;
}

void ReadAll(int fd, void* buf, size_t n) {
  char* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) std::exit(3);
    p += r;
    n -= static_cast<size_t>(r);
  }
}

void Request(char what, int64_t deadline) {
  char msg[1 + sizeof deadline];
  msg[0] = what;
  std::memcpy(msg + 1, &deadline, sizeof deadline);
  if (write(g_request[1], msg, sizeof msg) != static_cast<ssize_t>(sizeof msg)) std::exit(3);
}

void SetName(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace

// The phases: not inlined, and each does something after its call so that
// no call becomes a tail call (the frame would vanish from the stack).
__attribute__((noinline)) void compute_phase(int64_t deadline) {
  Spin(deadline);
  asm volatile("");
}

__attribute__((noinline)) void read_phase(int64_t deadline) {
  Request('r', deadline);
  char c;
  ReadAll(g_data[0], &c, 1);
  g_sink = g_sink + static_cast<uint64_t>(c);
}

__attribute__((noinline)) void sleep_phase(int64_t deadline) {
  SleepUntil(deadline);
  asm volatile("");
}

__attribute__((noinline)) void lock_phase(int64_t deadline) {
  Request('m', deadline);
  char c;
  ReadAll(g_ack[0], &c, 1);
  pthread_mutex_lock(&g_mutex);
  pthread_mutex_unlock(&g_mutex);
  g_sink = g_sink + static_cast<uint64_t>(c);
}

__attribute__((noinline)) void short_compute(int64_t deadline) {
  Spin(deadline);
  asm volatile("");
}

__attribute__((noinline)) void short_sleep(int64_t ns) {
  SleepUntil(Now() + ns);
  asm volatile("");
}

__attribute__((noinline)) void long_compute(int64_t deadline) {
  Spin(deadline);
  asm volatile("");
}

__attribute__((noinline)) void long_sleep(int64_t ns) {
  SleepUntil(Now() + ns);
  asm volatile("");
}

namespace {

void* Worker(void*) {
  SetName("sf-worker");
  for (int64_t cycle = Now(); cycle + 100 * kMs <= g_end_ns; cycle += 100 * kMs) {
    // Each phase's actual length: one preempted past its deadline on a
    // loaded machine takes that time from the next.
    const int64_t t0 = Now();
    compute_phase(cycle + 40 * kMs);
    const int64_t t1 = Now();
    read_phase(cycle + 60 * kMs);
    const int64_t t2 = Now();
    sleep_phase(cycle + 80 * kMs);
    const int64_t t3 = Now();
    lock_phase(cycle + 100 * kMs);
    const int64_t t4 = Now();
    std::printf("cycle %lld %lld %lld %lld %lld\n", static_cast<long long>(t0),
                static_cast<long long>(t1 - t0), static_cast<long long>(t2 - t1),
                static_cast<long long>(t3 - t2), static_cast<long long>(t4 - t3));
    std::fflush(stdout);
  }
  Request('q', 0);
  return nullptr;
}

void* Helper(void*) {
  SetName("sf-helper");
  for (;;) {
    char msg[1 + sizeof(int64_t)];
    ReadAll(g_request[0], msg, sizeof msg);
    int64_t deadline;
    std::memcpy(&deadline, msg + 1, sizeof deadline);
    if (msg[0] == 'q') return nullptr;
    if (msg[0] == 'r') {
      SleepUntil(deadline);
      if (write(g_data[1], "d", 1) != 1) std::exit(3);
    } else {
      pthread_mutex_lock(&g_mutex);
      if (write(g_ack[1], "a", 1) != 1) std::exit(3);
      SleepUntil(deadline);
      pthread_mutex_unlock(&g_mutex);
    }
  }
}

// The current sf-short's tid and end (CLOCK_MONOTONIC ns), for its spawner.
long g_short_tid;
int64_t g_short_end;

void* Short(void*) {
  // Its life starts inside pthread_create: on a loaded machine a new thread
  // may wait long for its first CPU, and that wait is part of its life.
  SetName("sf-short");
  g_short_tid = static_cast<long>(syscall(SYS_gettid));
  short_compute(Now() + 100 * kMs);
  short_sleep(100 * kMs);
  g_short_end = Now();
  return nullptr;
}

void* Spawner(void*) {
  SetName("sf-spawner");
  for (int64_t next = Now() + 500 * kMs; next + 300 * kMs <= g_end_ns; next += 500 * kMs) {
    SleepUntil(next);
    pthread_t t;
    const int64_t before = Now();
    pthread_create(&t, nullptr, Short, nullptr);
    const int64_t after = Now();
    pthread_join(t, nullptr);
    std::printf("short %ld %lld %lld\n", g_short_tid,
                static_cast<long long>((g_short_end - before) / 1000),
                static_cast<long long>((g_short_end - std::min(after, g_short_end)) / 1000));
    std::fflush(stdout);
  }
  return nullptr;
}

void* Long(void*) {
  SetName("sf-long");
  long_compute(Now() + 200 * kMs);
  long_sleep(int64_t{3600} * 1000 * kMs);
  return nullptr;
}

}  // namespace

// Under AddressSanitizer (the test suite's sanitizer tree) the leak
// checker stops the world at exit from a tracer task of its own, a new
// process that carries this program's name: the off-CPU checks would count
// it as another main thread. This program's leaks are not what is tested.
extern "C" __attribute__((visibility("default"), used)) int __lsan_is_turned_off() { return 1; }

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  const bool with_long = argc > 2 && std::strcmp(argv[2], "long") == 0;
  g_end_ns = Now() + static_cast<int64_t>(seconds * 1e9);
  if (pipe(g_request) != 0 || pipe(g_data) != 0 || pipe(g_ack) != 0) return 3;
  pthread_t worker, helper, spawner, long_thread;
  pthread_create(&helper, nullptr, Helper, nullptr);
  pthread_create(&worker, nullptr, Worker, nullptr);
  pthread_create(&spawner, nullptr, Spawner, nullptr);
  if (with_long) {
    pthread_create(&long_thread, nullptr, Long, nullptr);
    pthread_detach(long_thread);
  }
  std::printf("ready\n");
  std::fflush(stdout);
  pthread_join(worker, nullptr);
  pthread_join(helper, nullptr);
  pthread_join(spawner, nullptr);
  return 0;
}
