// The workload for names of code without symbols (tests/symbolize
// names_test, tests/record record_names_test): three local functions of
// known, different weights under one exported entry point, built with
// -rdynamic so that only the exported ones (names_entry, main) are in
// .dynsym. tests/symbolize/meson.build builds it, then derives the copies
// the tests need (README-names.md):
//   names_target           -g, full .symtab (the reference names)
//   names_target_stripped  strip --strip-all: .dynsym and .eh_frame only
//   names_target_mini      stripped, plus a MiniDebugInfo (.gnu_debugdata)
//   names_target.debug     objcopy --only-keep-debug: what a debuginfod
//                          server serves for the stripped copy's build-id
// Usage: names_target SECONDS. Prints "ready" once running.
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace {

// Page-aligned, so that it lies past the first page of the text segment: the
// tests map the page that holds it alone, from the middle of the segment, as
// V8 maps node's builtins.
__attribute__((noinline, aligned(4096))) unsigned long names_alpha(unsigned long n) {
  unsigned long x = n;
  for (unsigned long i = 0; i < n; ++i) x = x * 6364136223846793005ul + i;
  return x;
}

__attribute__((noinline)) unsigned long names_beta(unsigned long n) {
  unsigned long x = n;
  for (unsigned long i = 0; i < n; ++i) x ^= (x << 7) + (x >> 3) + i;
  return x;
}

__attribute__((noinline)) unsigned long names_gamma(unsigned long n) {
  unsigned long x = n;
  for (unsigned long i = 0; i < n; ++i) x = (x >> 1) ^ (-(x & 1) & 0xd800000000000000ul) ^ i;
  return x;
}

}  // namespace

// Time is split 3:2:1 between alpha, beta and gamma.
extern "C" __attribute__((noinline)) unsigned long names_entry(double seconds) {
  const std::clock_t end = std::clock() + static_cast<std::clock_t>(seconds * CLOCKS_PER_SEC);
  unsigned long sink = 0;
  while (std::clock() < end) {
    sink += names_alpha(300000);
    sink += names_beta(200000);
    sink += names_gamma(100000);
  }
  return sink;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  std::printf("ready\n");
  std::fflush(stdout);
  const unsigned long sink = names_entry(seconds);
  std::printf("%lu\n", sink & 1);
  return 0;
}
