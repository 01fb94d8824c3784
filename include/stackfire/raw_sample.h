// One user-space sample as the kernel delivered it, decoded from a
// PERF_RECORD_SAMPLE and handed from the sampler to the unwinder.
//
// The sampler converts registers from perf's numbering (sample_regs_user mask
// bit order) into DWARF x86-64 numbering here, so that no unwinder ever sees
// perf's layout. See the kernel's arch/x86/include/uapi/asm/perf_regs.h and
// the System V x86-64 psABI, figure 3.36.
#ifndef STACKFIRE_RAW_SAMPLE_H_
#define STACKFIRE_RAW_SAMPLE_H_

#include <array>
#include <cstdint>
#include <vector>

namespace stackfire {

// DWARF register numbers on x86-64.
enum DwarfReg : int {
  kRax = 0, kRdx = 1, kRcx = 2, kRbx = 3, kRsi = 4, kRdi = 5, kRbp = 6, kRsp = 7,
  kR8 = 8, kR9 = 9, kR10 = 10, kR11 = 11, kR12 = 12, kR13 = 13, kR14 = 14, kR15 = 15,
  kRip = 16,
  kDwarfRegCount = 17,
};

// Move-only by convention: the stack copy can be tens of kilobytes.
struct RawSample {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint32_t cpu = 0;
  uint64_t time_ns = 0;
  uint64_t period = 1;

  // False when the sample hit kernel code of a kernel thread, or the regs
  // ABI was PERF_SAMPLE_REGS_ABI_NONE: then only the callchains are valid.
  bool has_user_regs = false;
  std::array<uint64_t, kDwarfRegCount> regs{};

  // The valid part (dyn_size) of the user stack copy, starting at regs[kRsp].
  std::vector<uint8_t> stack;
  // The size that was asked for (sample_stack_user). dyn_size below it means
  // the kernel stopped at a non-resident page; equal means the copy may have
  // cut the stack short.
  uint32_t stack_requested = 0;

  // The kernel's callchain split at PERF_CONTEXT_USER, leaf first, with the
  // PERF_CONTEXT_* markers removed.
  std::vector<uint64_t> kernel_ips;
  std::vector<uint64_t> user_ips;  // frame-pointer chain: the fallback

  RawSample() = default;
  RawSample(RawSample&&) = default;
  RawSample& operator=(RawSample&&) = default;
  RawSample(const RawSample&) = delete;
  RawSample& operator=(const RawSample&) = delete;
};

}  // namespace stackfire

#endif  // STACKFIRE_RAW_SAMPLE_H_
