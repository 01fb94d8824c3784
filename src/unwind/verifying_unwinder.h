// `--unwinder=verify`: unwinds every sample twice, with the table unwinder
// (the result used) and with libunwind alone (the reference), and counts the
// samples where the two disagree on the pcs or the outcome. It is how the
// tests prove, on real perf samples of every workload, that the fast path
// gives the same stacks as libunwind; users can run it on their own program
// when a stack looks wrong. It costs libunwind's speed (~30x slower).
//
// A leaf in code without CFI (JIT code in an anonymous mapping) is unwound by
// frame pointer, a guess inside a prologue or epilogue where the two
// unwinders' heuristics may legitimately differ: such disagreements are
// counted apart. So are samples where both give the same pcs and only the
// verdict (complete, truncated, failed) differs, and samples where one of the
// two returned into memory that holds no code (see CompareStacks). Both unwinders read the ELF
// files through one elf::ModuleCache (borrowed, or owned when none is given).
#ifndef STACKFIRE_SRC_UNWIND_VERIFYING_UNWINDER_H_
#define STACKFIRE_SRC_UNWIND_VERIFYING_UNWINDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/elf/module_cache.h"
#include "src/unwind/unwinders.h"
#include "stackfire/process_maps.h"
#include "stackfire/unwinder.h"

namespace stackfire::unwind {

// How two unwinders' answers for one sample compare. `table` is the stack
// under test, `reference` libunwind's; leaf_pc is the sample's ip.
enum class StackComparison {
  kSame,                  // the same pcs and the same verdict
  kSameStackOtherVerdict,  // the same pcs, another verdict
  // The table failed at a return address outside every executable mapping;
  // the reference agrees up to there and guessed on.
  kTablePastBadReturn,
  // The reference agrees up to a return address of its own that lies outside
  // every executable mapping (a stack or heap address: no call returns
  // there), where the table's stack goes on or stops: the reference's fault.
  kReferenceBadReturn,
  kDifferWithoutCfi,  // the leaf is in code without CFI: frame-pointer guesses
  kDiffer,            // a real difference
};
StackComparison CompareStacks(const std::vector<uint64_t>& table, UnwindOutcome table_outcome,
                              const std::vector<uint64_t>& reference,
                              UnwindOutcome reference_outcome, const ProcessMaps& maps,
                              uint64_t leaf_pc);

class VerifyingUnwinder : public Unwinder {
 public:
  explicit VerifyingUnwinder(elf::ModuleCache* modules = nullptr);
  ~VerifyingUnwinder() override;

  UnwindOutcome Unwind(const RawSample& sample, const ProcessMaps& maps,
                       std::vector<uint64_t>* pcs) override;

  const UnwinderCheck& check() const { return check_; }

 private:
  std::unique_ptr<elf::ModuleCache> owned_modules_;
  std::unique_ptr<Unwinder> table_;
  std::unique_ptr<Unwinder> reference_;
  std::vector<uint64_t> reference_pcs_;
  UnwinderCheck check_;
};

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_VERIFYING_UNWINDER_H_
