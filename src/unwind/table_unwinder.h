// The fast DWARF unwinder: walks the stack copy with the compact per-module
// CFI tables (cfi_table.h) and hands a sample to the library unwinder only
// when a frame needs a rule the table cannot express.
//
// Per frame: find the mapping and module of pc (pc - 1 for return
// addresses), binary-search its row, compute CFA, read the return address and
// rbp from the stack copy. Nothing is allocated per frame once the tables are
// warm. gcc epilogues: a save slot below the new rsp keeps the current rbp
// (pitfall 4); an unreadable rbp only matters if a later CFA needs it. Code
// in anonymous executable memory (JIT code, no CFI) is walked through its
// frame pointer, as libunwind does.
//
// The ELF files come from an elf::ModuleCache that the unwinder borrows (the
// record pipeline's, shared with the symbolizer) or owns; the CFI tables are
// the unwinder's own side table beside it. Not thread-safe: one instance per
// unwinding thread.
#ifndef STACKFIRE_SRC_UNWIND_TABLE_UNWINDER_H_
#define STACKFIRE_SRC_UNWIND_TABLE_UNWINDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/elf/module_cache.h"
#include "src/unwind/cfi_table.h"
#include "src/unwind/stack_view.h"
#include "stackfire/unwinder.h"

namespace stackfire::unwind {

class TableUnwinder final : public Unwinder {
 public:
  struct Stats {
    uint64_t samples = 0;
    uint64_t frames = 0;
    uint64_t fallbacks = 0;   // samples handed whole to the library unwinder
    uint64_t unsupported = 0;  // such samples when there is no fallback
    uint64_t no_module = 0;   // a pc outside every usable ELF
    uint64_t no_cfi = 0;      // a pc without CFI
    uint64_t signal_frames = 0;  // signal trampolines crossed by the table
    uint64_t frame_pointer_frames = 0;  // frames without CFI followed through rbp
    // Stacks that ended in code with no file behind it (JIT code, anonymous
    // executable memory) because its frame pointer did not lead on.
    uint64_t jit_stops = 0;
  };

  // With allow_fallback false, a row the table cannot express ends the
  // stack with kFailed (for tests and the benchmark). modules, when given,
  // is borrowed and must outlive the unwinder; else it owns one.
  explicit TableUnwinder(bool allow_fallback = true, elf::ModuleCache* modules = nullptr);
  ~TableUnwinder() override;

  UnwindOutcome Unwind(const RawSample& sample, const ProcessMaps& maps,
                       std::vector<uint64_t>* pcs) override;
  void AppendWarnings(std::vector<std::string>* out) const override;

  const Stats& stats() const { return stats_; }
  elf::ModuleCache& modules() { return *modules_; }
  CfiTables& cfi_tables() { return cfi_; }

 private:
  // One step up from a frame without CFI (JIT code, assembly): rbp zero ends
  // the stack, otherwise rbp is followed as a frame pointer. nullopt: *sp,
  // *pc and *bp are the caller's; an outcome: the stack ends (kFailed when no
  // plausible frame is there).
  std::optional<UnwindOutcome> StepWithoutCfi(const StackView& stack, bool bp_valid, uint64_t* sp,
                                              uint64_t* pc, uint64_t* bp);
  UnwindOutcome Fallback(const RawSample& sample, const ProcessMaps& maps,
                         std::vector<uint64_t>* pcs);

  std::unique_ptr<elf::ModuleCache> owned_modules_;
  elf::ModuleCache* modules_;
  CfiTables cfi_;  // destroyed before owned_modules_
  std::vector<uint64_t> scratch_;
  std::unique_ptr<Unwinder> fallback_;  // shares modules_
  Stats stats_;
};

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_TABLE_UNWINDER_H_
