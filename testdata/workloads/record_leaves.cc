// Five leaf functions with fixed, unequal amounts of work (weights 8, 6, 4,
// 3, 2), for comparing stackfire record with perf record --call-graph dwarf.
// No system calls in the hot path. Usage: record_leaves ROUNDS
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
  unsigned long x = 1;
  for (long r = 0; r < rounds; ++r) x = one_round(x);
  sink = x;
  std::printf("%lu\n", x);
  return 0;
}
