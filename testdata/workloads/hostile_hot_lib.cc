// libhot.so of issue 15: hot_spin() calls hot_spin_inner(). The test replaces
// the file on disk with hostile_other_lib.cc's build while a target runs it.
#include <time.h>

extern "C" __attribute__((noinline)) double hot_spin_inner(double x) {
  for (int i = 0; i < 100000; ++i) x = x * 1.0000001 + 0.5;
  return x;
}

extern "C" __attribute__((noinline)) double hot_spin(double seconds) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const double end = static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9 + seconds;
  double x = 1;
  for (;;) {
    x = hot_spin_inner(x);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9 >= end) return x;
  }
}
