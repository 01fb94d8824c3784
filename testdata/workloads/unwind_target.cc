// Test target for the unwinder and the symbolizer. Built by
// tests/unwind/meson.build at -O2 -g -fomit-frame-pointer (so unwinding needs
// DWARF) with -rdynamic (so a stripped copy still has .dynsym names):
//
//   g++ -O2 -g -fomit-frame-pointer -rdynamic unwind_target.cc -o unwind_target
//   objcopy --strip-all unwind_target unwind_target_stripped
//
// It cycles forever (or for argv[1] seconds; argv[2] limits the phases to the
// first N) through five phases whose stacks
// the tests know by name:
//   main;run_phase;outer::inner::Walker<int>::Descend (x kDepth+1);leaf_compute
//   main;run_phase;checkout;mix_helper (inlined);  main;run_phase;checkout;leaf_compute
//   ...raise;<signal frame>;on_signal;signal_work;leaf_compute
//   main;run_phase;big_frame;leaf_compute   (a 64 KiB frame: copies truncate)
//   main;run_phase;realigned_frame;leaf_compute (CFA expression: the fallback)
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

volatile uint64_t g_work = 1000000;
volatile uint64_t g_sink = 0;
constexpr int kDepth = 12;

#define OPAQUE(x) asm volatile("" : "+r"(x))

__attribute__((noinline)) uint64_t leaf_compute(uint64_t n) {
  uint64_t acc = n;
  for (uint64_t i = 0; i < n; ++i) {
    acc = acc * 6364136223846793005ull + 1442695040888963407ull;
    OPAQUE(acc);
  }
  return acc;
}

namespace outer::inner {

template <typename T>
class Walker {
 public:
  __attribute__((noinline)) static T Descend(T depth, uint64_t work) {
    if (depth == 0) return static_cast<T>(leaf_compute(work));
    T r = Descend(depth - 1, work);
    OPAQUE(r);
    return r;
  }
};

template class Walker<int>;

}  // namespace outer::inner

static inline __attribute__((always_inline)) uint64_t mix_helper(uint64_t x, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    OPAQUE(x);
  }
  return x;
}

__attribute__((noinline)) uint64_t checkout(uint64_t n) {
  uint64_t r = mix_helper(n, n * 2);
  OPAQUE(r);
  uint64_t s = leaf_compute(n / 2);
  OPAQUE(s);
  return r + s;
}

__attribute__((noinline)) uint64_t signal_work(uint64_t n) {
  uint64_t r = leaf_compute(n);
  OPAQUE(r);
  return r;
}

void on_signal(int) { g_sink = g_sink + signal_work(g_work); }

__attribute__((noinline)) uint64_t big_frame(uint64_t n) {
  volatile char buf[64 * 1024];
  for (size_t i = 0; i < sizeof buf; i += 512) buf[i] = static_cast<char>(i);
  uint64_t r = leaf_compute(n + static_cast<uint64_t>(buf[512] & 1));
  OPAQUE(r);
  return r;
}

// realigned_frame(n) calls leaf_compute(n) from a 64-byte realigned stack.
// Its CFI defines the CFA with an expression (DW_OP_breg3 16: rbx + 16), as
// stack-realigning code does; the compact table cannot express that, so
// frames through it exercise the libunwind fallback.
extern "C" uint64_t realigned_frame(uint64_t n);
asm(R"(
  .text
  .globl realigned_frame
  .type realigned_frame, @function
realigned_frame:
  .cfi_startproc
  push %rbx
  .cfi_adjust_cfa_offset 8
  .cfi_offset rbx, -16
  mov %rsp, %rbx
  .cfi_escape 0x0f, 0x02, 0x73, 0x10
  and $-64, %rsp
  sub $128, %rsp
  call _Z12leaf_computem
  nop
  mov %rbx, %rsp
  .cfi_def_cfa rsp, 16
  pop %rbx
  .cfi_def_cfa_offset 8
  .cfi_restore rbx
  ret
  .cfi_endproc
  .size realigned_frame, .-realigned_frame
)");

__attribute__((noinline)) uint64_t run_phase(uint64_t phase) {
  uint64_t r = 0;
  switch (phase) {
    case 0: r = static_cast<uint64_t>(outer::inner::Walker<int>::Descend(kDepth, g_work)); break;
    case 1: r = checkout(g_work); break;
    case 2: raise(SIGUSR1); break;
    case 3: r = big_frame(g_work); break;
    default: r = realigned_frame(g_work); break;
  }
  OPAQUE(r);
  return r;
}

int main(int argc, char** argv) {
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, nullptr);
  if (argc > 1) alarm(static_cast<unsigned>(std::atoi(argv[1])));
  // argv[2]: how many of the phases to cycle through (default all five).
  const uint64_t phases = argc > 2 ? static_cast<uint64_t>(std::atoi(argv[2])) : 5;
  for (uint64_t i = 0;; ++i) g_sink = g_sink + run_phase(i % (phases ? phases : 5));
}
