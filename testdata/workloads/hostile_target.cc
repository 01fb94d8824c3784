// A target whose files are replaced, deleted or turned into FIFOs while it
// runs (issue 15, tests/record/record_hostile_target_test.cc).
// Usage: hostile_target LIBRARY|- SECONDS
//   LIBRARY: dlopen it and spin in its hot_spin(); "-": spin in this
//   binary's own main_spin(). Prints "ready" once the code is loaded.
#include <dlfcn.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

}  // namespace

extern "C" __attribute__((noinline)) double main_spin_inner(double x) {
  for (int i = 0; i < 100000; ++i) x = x * 1.0000001 + 0.5;
  return x;
}

extern "C" __attribute__((noinline)) double main_spin(double seconds) {
  const double end = Now() + seconds;
  double x = 1;
  while (Now() < end) x = main_spin_inner(x);
  return x;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const double seconds = std::atof(argv[2]);
  double (*spin)(double) = main_spin;
  if (argv[1][0] != '-') {
    void* lib = dlopen(argv[1], RTLD_NOW);
    if (lib == nullptr) {
      std::fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    spin = reinterpret_cast<double (*)(double)>(dlsym(lib, "hot_spin"));
    if (spin == nullptr) return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  volatile double sink = spin(seconds);
  (void)sink;
  return 0;
}
