// A workload whose hot function changes at known times: f() for P seconds,
// then g() for P seconds, alternating, for N phases (default 2 s, 4 phases).
//   record_phases [PHASE_SECONDS [PHASES [TIMES_FILE]]]
// TIMES_FILE gets one line per phase, "f|g START END", in seconds on
// CLOCK_MONOTONIC (the clock of stackfire's sample times), so a test can
// tell which part of a recording each function should own.
// Built by tests/record/meson.build at -O2 -g -fomit-frame-pointer.
#include <time.h>

#include <cstdio>
#include <cstdlib>

static double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile unsigned long sink;

__attribute__((noinline)) void f(double until) {
  unsigned long x = 1;
  while (Now() < until) {
    for (int i = 0; i < 1000; ++i) x = x * 2862933555777941757ul + 3037000493ul;
  }
  sink = x;
}

__attribute__((noinline)) void g(double until) {
  unsigned long x = 7;
  while (Now() < until) {
    for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
}

int main(int argc, char** argv) {
  const double phase = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int phases = argc > 2 ? std::atoi(argv[2]) : 4;
  std::FILE* times = argc > 3 ? std::fopen(argv[3], "w") : nullptr;
  for (int p = 0; p < phases; ++p) {
    const double start = Now();
    if (p % 2 == 0) {
      f(start + phase);
    } else {
      g(start + phase);
    }
    if (times != nullptr) {
      std::fprintf(times, "%s %.6f %.6f\n", p % 2 == 0 ? "f" : "g", start, Now());
    }
  }
  if (times != nullptr) std::fclose(times);
  return 0;
}
