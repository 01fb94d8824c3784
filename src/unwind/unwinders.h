// Factory for the DWARF unwinders. This is the only header of src/unwind the
// record pipeline needs.
//
//   auto unwinder = stackfire::unwind::CreateUnwinder(UnwinderKind::kTable);
//   UnwindOutcome o = unwinder->Unwind(sample, maps, &pcs);
//
// kTable is the fast path (compact CFI tables, libunwind for the rare rows it
// cannot express); kLibunwind is libunwind's remote API alone
// (`--unwinder=libunwind`); kVerify runs both on every sample, uses the
// table's stacks and counts where they differ (`--unwinder=verify`).
//
// The unwinder reads the ELF files through `modules` when one is given
// (borrowed: the record pipeline lends its cache to the unwinder and the
// symbolizer, so each file is opened once), else through a cache of its own.
// Not thread-safe: create one per unwinding thread.
#ifndef STACKFIRE_SRC_UNWIND_UNWINDERS_H_
#define STACKFIRE_SRC_UNWIND_UNWINDERS_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <optional>
#include <string>
#include <vector>

#include "stackfire/raw_sample.h"
#include "stackfire/unwinder.h"

namespace stackfire::elf {
class ModuleCache;
}  // namespace stackfire::elf

namespace stackfire::unwind {

enum class UnwinderKind { kTable, kLibunwind, kVerify };

// What a kVerify unwinder found: samples unwound by both, samples whose pcs
// differ (leaf in code with CFI), differences with the leaf in code without
// CFI (frame-pointer guesses), samples with the same pcs but another verdict,
// and the first few differences.
struct UnwinderCheck {
  uint64_t compared = 0;
  uint64_t differ = 0;
  uint64_t differ_without_cfi = 0;
  uint64_t same_stack_other_verdict = 0;  // same pcs, different UnwindOutcome
  // The table failed at an unmapped return address; libunwind's stack has
  // the same frames up to there, then guesses past it.
  uint64_t past_bad_return = 0;
  // libunwind's stack agrees up to a return address of its own outside every
  // executable mapping, where the table's goes on through code or stops.
  uint64_t reference_bad_return = 0;
  std::vector<std::string> examples;
};

// modules, when given, must outlive the unwinder.
std::unique_ptr<Unwinder> CreateUnwinder(UnwinderKind kind, elf::ModuleCache* modules = nullptr);

// "table" / "libunwind" / "verify" (the --unwinder flag); nullopt for anything else.
std::optional<UnwinderKind> ParseUnwinderKind(std::string_view name);

// The comparison of an unwinder made with kVerify; nullptr for the others.
const UnwinderCheck* CheckOf(const Unwinder* unwinder);

// The frame-pointer fallback: the kernel's callchain (RawSample::user_ips)
// with zero and kernel-half addresses dropped, leaf first. kComplete when the
// chain ends normally, kFailed when it is empty.
UnwindOutcome FramePointerPcs(const RawSample& sample, std::vector<uint64_t>* pcs);

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_UNWINDERS_H_
