// Five leaf functions with fixed, unequal amounts of work (weights 8, 6, 4,
// 3, 2), for comparing stackfire record with perf record --call-graph dwarf.
// No system calls in the hot path. Usage: record_leaves ROUNDS [DELAY]
// With DELAY it sleeps that many seconds first (time for a profiler to
// attach with -p) and prints the work's wall time on stderr ("work_s X").
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

volatile unsigned long sink;

#define LEAF(name, weight)                                                   \
  extern "C" __attribute__((noinline)) unsigned long name(unsigned long x) { \
    for (long i = 0; i < (weight) * 250000L; ++i) {                          \
      x = x * 6364136223846793005ul + 1442695040888963407ul;                 \
      asm volatile("" : "+r"(x));                                            \
    }                                                                        \
    return x;                                                                \
  }

LEAF(leaf_alpha, 8)
LEAF(leaf_bravo, 6)
LEAF(leaf_charlie, 4)
LEAF(leaf_delta, 3)
LEAF(leaf_echo, 2)

extern "C" __attribute__((noinline)) unsigned long one_round(unsigned long x) {
  x = leaf_alpha(x);
  x = leaf_bravo(x);
  x = leaf_charlie(x);
  x = leaf_delta(x);
  x = leaf_echo(x);
  asm volatile("");
  return x;
}

int main(int argc, char** argv) {
  const long rounds = argc > 1 ? std::atol(argv[1]) : 100;
  const double delay = argc > 2 ? std::atof(argv[2]) : 0;
  if (delay > 0) usleep(static_cast<useconds_t>(delay * 1e6));
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long x = 1;
  for (long r = 0; r < rounds; ++r) x = one_round(x);
  sink = x;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  std::printf("%lu\n", x);
  if (delay > 0) {
    std::fprintf(stderr, "work_s %.4f\n",
                 static_cast<double>(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
  }
  return 0;
}
