// Functions whose symbol names are hostile (markup, quotes and '&', control
// characters, invalid UTF-8, ';' and newlines, a 100 KB name): they are made
// by gen_hostile_syms.py as asm with quoted symbol names, and each calls
// spin_leaf. The main thread also names itself with markup (its comm).
// Usage: record_hostile SECONDS
#include <sys/prctl.h>
#include <time.h>

#include <cstdlib>

extern "C" {
void hostile_0(double); void hostile_1(double); void hostile_2(double);
void hostile_3(double); void hostile_4(double); void hostile_5(double);
void hostile_6(double); void hostile_7(double);
}

namespace {
volatile unsigned long sink;
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

extern "C" __attribute__((noinline)) void spin_leaf(double seconds) {
  const double end = ThreadCpuSeconds() + seconds;
  unsigned long x = sink;
  while (ThreadCpuSeconds() < end) {
    for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  sink = x;
  asm volatile("");
}

extern "C" __attribute__((noinline)) void run_hostile(double seconds) {
  void (*const fns[])(double) = {hostile_0, hostile_1, hostile_2, hostile_3,
                                 hostile_4, hostile_5, hostile_6, hostile_7};
  const double end = ThreadCpuSeconds() + seconds;
  while (ThreadCpuSeconds() < end) {
    for (auto fn : fns) fn(0.004);
  }
  asm volatile("");
}

int main(int argc, char** argv) {
  prctl(PR_SET_NAME, "<b>&\"x;\n", 0, 0, 0);
  run_hostile(argc > 1 ? std::atof(argv[1]) : 1);
  return 0;
}
