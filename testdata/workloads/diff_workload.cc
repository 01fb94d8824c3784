// The workload of the diff significance tests (tests/diff): three CPU-bound
// functions that each do their own arithmetic loop, called in turn for a
// number of rounds. `changed` does twice the work of the others, times
// SCALE, so `diff_workload 1.2` is the same program with one function made
// 20 % slower and everything else doing exactly the same work.
//
//   diff_workload [SCALE] [ROUNDS]    (defaults 1.0 and 40)
//
// The loops keep their state in registers (no memory traffic), so that
// other load on the machine changes their speeds alike. Built by
// tests/diff/meson.build with -O2 -g -fno-omit-frame-pointer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {

constexpr uint64_t kIterations = 2'000'000;

__attribute__((noinline)) uint64_t steady_a(uint64_t n, uint64_t x) {
  for (uint64_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
  }
  return x;
}

__attribute__((noinline)) uint64_t steady_b(uint64_t n, uint64_t x) {
  for (uint64_t i = 0; i < n; ++i) {
    x = x * 2862933555777941757ULL + 3037000493ULL;
    x ^= x >> 31;
  }
  return x;
}

__attribute__((noinline)) uint64_t changed(uint64_t n, uint64_t x) {
  for (uint64_t i = 0; i < n; ++i) {
    x = x * 3935559000370003845ULL + 2691343689449507681ULL;
    x ^= x >> 27;
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  const double scale = argc > 1 ? std::atof(argv[1]) : 1.0;
  const long rounds = argc > 2 ? std::atol(argv[2]) : 40;
  if (!(scale > 0) || rounds <= 0) {
    std::fprintf(stderr, "usage: diff_workload [SCALE] [ROUNDS]\n");
    return 2;
  }
  uint64_t x = 1;
  const auto changed_n = static_cast<uint64_t>(2 * kIterations * scale);
  for (long r = 0; r < rounds; ++r) {
    x = steady_a(kIterations, x);
    x = steady_b(kIterations, x);
    x = changed(changed_n, x);
  }
  std::printf("%llu\n", static_cast<unsigned long long>(x & 0xff));
  return 0;
}
