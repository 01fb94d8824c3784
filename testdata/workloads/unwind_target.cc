// Test target for the unwinder and the symbolizer. Built by
// tests/unwind/meson.build at -O2 -g -fomit-frame-pointer (so unwinding needs
// DWARF) with -rdynamic (so a stripped copy still has .dynsym names):
//
//   g++ -O2 -g -fomit-frame-pointer -rdynamic unwind_target.cc -o unwind_target
//   objcopy --strip-all unwind_target unwind_target_stripped
//
// It cycles forever (or for argv[1] seconds; argv[2] limits the phases to the
// first N) through seven phases whose stacks
// the tests know by name:
//   main;run_phase;outer::inner::Walker<int>::Descend (x kDepth+1);leaf_compute
//   main;run_phase;checkout;mix_helper (inlined);  main;run_phase;checkout;leaf_compute
//   ...raise;<signal frame>;on_signal;signal_work;leaf_compute
//   main;run_phase;big_frame;leaf_compute   (a 64 KiB frame: copies truncate)
//   main;run_phase;realigned_frame;leaf_compute (CFA expression: the fallback)
//   main;run_phase;vdso_phase;clock_gettime...   (code in the vDSO image)
//   main;run_phase;jit_phase;jit_trampoline_[j];leaf_compute (JIT code: no
//       file, no CFI, a frame pointer; named in /tmp/perf-PID.map)
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

// restore_state_frame(n): returns at once for n == 0, else calls
// leaf_compute. Its CFI uses DW_CFA_remember_state/restore_state around the
// early-return epilogue, as gcc does for functions with several exits; libdw
// reports the wrong start for the row after restore_state, which the table
// must not trust (tests/unwind: CfiTable.RestoreStateRowsDoNotCoverEpilogue).
// The labels rs_epilogue_ret and rs_body mark the addresses the test needs.
extern "C" uint64_t restore_state_frame(uint64_t n);
asm(R"(
  .text
  .globl restore_state_frame, rs_epilogue_ret, rs_body
  .type restore_state_frame, @function
  .type rs_epilogue_ret, @function
  .type rs_body, @function
restore_state_frame:
  .cfi_startproc
  push %rbx
  .cfi_adjust_cfa_offset 8
  .cfi_offset rbx, -16
  sub $16, %rsp
  .cfi_adjust_cfa_offset 16
  test %rdi, %rdi
  jne rs_body
  .cfi_remember_state
  add $16, %rsp
  .cfi_adjust_cfa_offset -16
  pop %rbx
  .cfi_adjust_cfa_offset -8
  .cfi_restore rbx
rs_epilogue_ret:
  ret
rs_body:
  .cfi_restore_state
  call _Z12leaf_computem
  add $16, %rsp
  .cfi_adjust_cfa_offset -16
  pop %rbx
  .cfi_adjust_cfa_offset -8
  .cfi_restore rbx
  ret
  .cfi_endproc
  .size restore_state_frame, .-restore_state_frame
)");

// Reads the clock in a loop: samples land in the vDSO, which has no file.
__attribute__((noinline)) uint64_t vdso_phase(uint64_t n) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < n / 64; ++i) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sum += static_cast<uint64_t>(ts.tv_nsec);
  }
  return sum;
}

// A "JIT": machine code copied into an anonymous executable mapping, with a
// frame-pointer prologue and no CFI (as V8 and HotSpot emit), announced in
// /tmp/perf-PID.map as jit_trampoline. It calls its second argument with its
// first: push %rbp; mov %rsp,%rbp; mov %rsi,%rax; call *%rax; pop %rbp; ret.
using JitFn = uint64_t (*)(uint64_t, uint64_t (*)(uint64_t));
JitFn g_jit = nullptr;

char g_jit_map[64];

// When the time given in argv[1] is up: remove the JIT map and exit (SIGTERM
// too, so that a profiler's clean stop leaves no /tmp/perf-PID.map behind).
void on_time_up(int) {
  if (g_jit_map[0] != '\0') unlink(g_jit_map);
  _exit(0);
}

void SetUpJit() {
  static const unsigned char kCode[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf0,
                                        0xff, 0xd0, 0x5d, 0xc3};
  void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  std::memcpy(mem, kCode, sizeof kCode);
  g_jit = reinterpret_cast<JitFn>(mem);
  char path[64];
  std::snprintf(path, sizeof path, "/tmp/perf-%d.map", static_cast<int>(getpid()));
  std::memcpy(g_jit_map, path, sizeof path);
  if (FILE* f = std::fopen(path, "w")) {
    std::fprintf(f, "%lx %zx jit_trampoline\n", reinterpret_cast<unsigned long>(mem), sizeof kCode);
    std::fclose(f);
  }
}

__attribute__((noinline)) uint64_t jit_phase(uint64_t n) {
  uint64_t r = g_jit != nullptr ? g_jit(n, leaf_compute) : leaf_compute(n);
  OPAQUE(r);
  return r;
}

// gcc's epilogue after `pop %rbp` still says "rbp saved at CFA-16", a slot
// below rsp (notes, pitfall 4). rbp_caller keeps its CFA in rbp, so unwinding
// through it from epilogue_leaf's `ret` needs the current rbp, not the stale
// slot. Not called; tests/unwind builds synthetic samples on these labels.
asm(R"(
  .text
  .globl rbp_caller, rbp_caller_ret, epilogue_leaf, epilogue_leaf_ret
  .type rbp_caller, @function
  .type rbp_caller_ret, @function
  .type epilogue_leaf, @function
  .type epilogue_leaf_ret, @function
rbp_caller:
  .cfi_startproc
  push %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset rbp, -16
  mov %rsp, %rbp
  .cfi_def_cfa_register rbp
  call epilogue_leaf
rbp_caller_ret:
  pop %rbp
  .cfi_def_cfa rsp, 8
  ret
  .cfi_endproc
epilogue_leaf:
  .cfi_startproc
  push %rbp
  .cfi_def_cfa_offset 16
  .cfi_offset rbp, -16
  pop %rbp
  .cfi_def_cfa_offset 8
epilogue_leaf_ret:
  ret
  .cfi_endproc
)");

__attribute__((noinline)) uint64_t run_phase(uint64_t phase) {
  uint64_t r = 0;
  switch (phase) {
    case 0: r = static_cast<uint64_t>(outer::inner::Walker<int>::Descend(kDepth, g_work)); break;
    case 1: r = checkout(g_work); break;
    case 2: raise(SIGUSR1); break;
    case 3: r = big_frame(g_work); break;
    case 4: r = realigned_frame(g_work); break;
    case 5: r = vdso_phase(g_work); break;
    default: r = jit_phase(g_work); break;
  }
  OPAQUE(r);
  return r;
}

int main(int argc, char** argv) {
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, nullptr);
  struct sigaction done = {};
  done.sa_handler = on_time_up;
  sigaction(SIGALRM, &done, nullptr);
  sigaction(SIGTERM, &done, nullptr);
  if (argc > 1) alarm(static_cast<unsigned>(std::atoi(argv[1])));
  // argv[2]: how many of the phases to cycle through (default all seven).
  const uint64_t phases = argc > 2 ? static_cast<uint64_t>(std::atoi(argv[2])) : 7;
  if (phases == 0 || phases > 6) SetUpJit();
  for (uint64_t i = 0;; ++i) g_sink = g_sink + run_phase(i % (phases ? phases : 7));
}
