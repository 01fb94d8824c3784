#include "src/unwind/verifying_unwinder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/unwind/libunwind_unwinder.h"
#include "src/unwind/table_unwinder.h"

namespace stackfire::unwind {
namespace {

constexpr size_t kMaxExamples = 5;

const char* OutcomeName(UnwindOutcome o) {
  switch (o) {
    case UnwindOutcome::kComplete: return "complete";
    case UnwindOutcome::kTruncated: return "truncated";
    case UnwindOutcome::kFailed: return "failed";
  }
  return "?";
}

std::string Describe(const std::vector<uint64_t>& pcs, UnwindOutcome outcome) {
  std::string out = absl::StrCat(OutcomeName(outcome), ":");
  for (uint64_t pc : pcs) absl::StrAppendFormat(&out, " %#x", pc);
  return out;
}

bool InCode(const ProcessMaps& maps, uint64_t pc) {
  const Mapping* m = maps.Find(pc);
  return m != nullptr && m->executable();
}

}  // namespace

StackComparison CompareStacks(const std::vector<uint64_t>& table, UnwindOutcome table_outcome,
                              const std::vector<uint64_t>& reference,
                              UnwindOutcome reference_outcome, const ProcessMaps& maps,
                              uint64_t leaf_pc) {
  if (table == reference) {
    // libunwind calls a frame without CFI whose frame-pointer guess looks
    // wrong the outermost one (a new thread's first instruction), the table
    // calls it a failure.
    return table_outcome == reference_outcome ? StackComparison::kSame
                                              : StackComparison::kSameStackOtherVerdict;
  }
  const auto [t, r] = std::mismatch(table.begin(), table.end(), reference.begin(), reference.end());
  // The table stopped at a return address outside every executable mapping
  // (a garbage pc: no unwinder can go on from it) and libunwind went on
  // guessing through rbp: the frames both found are the same.
  if (table_outcome == UnwindOutcome::kFailed && t == table.end() && !table.empty() &&
      r != reference.end() && !InCode(maps, table.back())) {
    return StackComparison::kTablePastBadReturn;
  }
  // libunwind's first frame of its own is a "return address" in memory that
  // holds no code (seen once in ~10^4 samples: a stack address after two
  // agreed frames in libstdc++): its stack is wrong from there on, so there
  // is nothing to compare the table's remaining frames with.
  if (t != table.begin() && r != reference.end() && !InCode(maps, *r) &&
      (t == table.end() || InCode(maps, *t))) {
    return StackComparison::kReferenceBadReturn;
  }
  const Mapping* leaf = maps.Find(leaf_pc);
  if (leaf != nullptr && leaf->open_path.empty() && leaf->image == nullptr) {
    return StackComparison::kDifferWithoutCfi;
  }
  return StackComparison::kDiffer;
}

VerifyingUnwinder::VerifyingUnwinder(elf::ModuleCache* modules)
    : owned_modules_(modules == nullptr ? std::make_unique<elf::ModuleCache>() : nullptr) {
  if (modules == nullptr) modules = owned_modules_.get();
  table_ = std::make_unique<TableUnwinder>(/*allow_fallback=*/true, modules);
  reference_ = std::make_unique<LibunwindUnwinder>(modules);
}

VerifyingUnwinder::~VerifyingUnwinder() = default;

UnwindOutcome VerifyingUnwinder::Unwind(const RawSample& sample, const ProcessMaps& maps,
                                        std::vector<uint64_t>* pcs) {
  const UnwindOutcome outcome = table_->Unwind(sample, maps, pcs);
  // No stack copy was asked for: a probe that only loads the leaf's module
  // (record's warm-up), not a sample.
  if (sample.stack_requested == 0) return outcome;
  const UnwindOutcome reference = reference_->Unwind(sample, maps, &reference_pcs_);
  ++check_.compared;
  switch (CompareStacks(*pcs, outcome, reference_pcs_, reference, maps, sample.regs[kRip])) {
    case StackComparison::kSame: return outcome;
    case StackComparison::kSameStackOtherVerdict: ++check_.same_stack_other_verdict; return outcome;
    case StackComparison::kTablePastBadReturn: ++check_.past_bad_return; return outcome;
    case StackComparison::kReferenceBadReturn: ++check_.reference_bad_return; return outcome;
    case StackComparison::kDifferWithoutCfi: ++check_.differ_without_cfi; return outcome;
    case StackComparison::kDiffer: break;
  }
  const Mapping* leaf = maps.Find(sample.regs[kRip]);
  ++check_.differ;
  if (check_.examples.size() < kMaxExamples) {
    std::string where = "no mapping";
    if (leaf != nullptr) {
      where = absl::StrFormat("%s+%#x", leaf->path.empty() ? "[anon]" : leaf->path,
                              sample.regs[kRip] - leaf->start + leaf->pgoff);
    }
    check_.examples.push_back(absl::StrCat("tid ", sample.tid, ", leaf in ", where, ": table ",
                                           Describe(*pcs, outcome), "; libunwind ",
                                           Describe(reference_pcs_, reference)));
  }
  return outcome;
}

}  // namespace stackfire::unwind
