// C++ names and inlining for `stackfire record` tests: a class template in a
// namespace (demangled as "shapes::Accumulator<double>::add"), and a helper
// that is always inlined (expected as its own "mix_step_[i]" frame under
// hot_loop). Usage: record_cxx SECONDS. Also built with -rdynamic and
// stripped, to test the .dynsym fallback (the extern "C" entry points).
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

namespace shapes {

template <typename T>
class Accumulator {
 public:
  __attribute__((noinline)) void add(int n) {
    for (int i = 0; i < n; ++i) total_ = total_ * static_cast<T>(0.999999) + static_cast<T>(i);
    asm volatile("");
  }
  T total() const { return total_; }

 private:
  T total_ = 0;
};

}  // namespace shapes

static inline __attribute__((always_inline)) unsigned long mix_step(unsigned long x) {
  for (int i = 0; i < 1000; ++i) x = (x ^ (x >> 7)) * 0x9e3779b97f4a7c15ul + 1;
  return x;
}

volatile unsigned long sink;

extern "C" __attribute__((noinline)) void hot_loop(int rounds) {
  unsigned long x = sink;
  for (int r = 0; r < rounds; ++r) x = mix_step(x);
  sink = x;
  asm volatile("");
}

extern "C" __attribute__((noinline)) void template_work(double* out) {
  shapes::Accumulator<double> acc;
  acc.add(200000);
  *out += acc.total();
  asm volatile("");
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2;
  const double end = ThreadCpuSeconds() + seconds;
  double total = 0;
  while (ThreadCpuSeconds() < end) {
    hot_loop(200);
    template_work(&total);
  }
  std::printf("%g %lu\n", total, sink);
  return 0;
}
