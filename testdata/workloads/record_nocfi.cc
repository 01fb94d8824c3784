// A frame without CFI between two with it: main (CFI) calls nocfi_middle,
// built in record_nocfi_frame.cc without unwind tables but with a frame
// pointer, as hand-written assembly or code built with
// -fno-asynchronous-unwind-tables is; it calls nocfi_leaf (CFI), which
// spins. A DWARF unwinder finds no FDE for nocfi_middle and must take rbp
// for a frame pointer there, as libunwind and perf do, to reach main.
// Usage: record_nocfi SECONDS
#include <cstdlib>
#include <ctime>

extern "C" void nocfi_middle(double seconds) noexcept;

extern "C" __attribute__((noinline)) void nocfi_leaf(double seconds) noexcept {
  const std::clock_t end = std::clock() + static_cast<std::clock_t>(seconds * CLOCKS_PER_SEC);
  unsigned long x = 1;
  while (std::clock() < end) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  asm volatile("" : : "r"(x));
}

int main(int argc, char** argv) {
  nocfi_middle(argc > 1 ? std::atof(argv[1]) : 1.0);
  return 0;
}
