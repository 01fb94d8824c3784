#include "src/unwind/table_unwinder.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "src/unwind/libunwind_unwinder.h"
#include "src/unwind/stack_view.h"

namespace stackfire::unwind {
namespace {
constexpr int kMaxFrames = 1024;
constexpr int kSeen = 4;
}  // namespace

TableUnwinder::TableUnwinder(bool allow_fallback, elf::ModuleCache* modules)
    : owned_modules_(modules == nullptr ? std::make_unique<elf::ModuleCache>() : nullptr),
      modules_(modules == nullptr ? owned_modules_.get() : modules) {
  if (allow_fallback) fallback_ = std::make_unique<LibunwindUnwinder>(modules_);
}

TableUnwinder::~TableUnwinder() = default;

void TableUnwinder::AppendWarnings(std::vector<std::string>* out) const {
  modules_->AppendWarnings(out);
  cfi_.AppendWarnings(out);
  // JIT code has no CFI by nature; JITs keep frame pointers, so only stacks
  // that stopped there are worth a line.
  if (stats_.jit_stops >= 10 && stats_.jit_stops * 20 >= stats_.samples) {
    out->push_back(absl::StrCat(
        stats_.jit_stops, " of ", stats_.samples,
        " stacks stop in code that has no file behind it (JIT code or anonymous executable "
        "memory): such code has no unwind information (CFI), and its frame pointer did not "
        "lead on (a JIT without frame pointers?)"));
  }
}

UnwindOutcome TableUnwinder::Fallback(const RawSample& sample, const ProcessMaps& maps,
                                      std::vector<uint64_t>* pcs) {
  // libunwind restarts from the sampled registers (the table does not track
  // every callee-saved register a CFA expression may use). If it fails
  // earlier than the table got, keep the table's frames.
  scratch_.swap(*pcs);
  const UnwindOutcome o = fallback_->Unwind(sample, maps, pcs);
  if (o == UnwindOutcome::kFailed && pcs->size() < scratch_.size()) {
    pcs->swap(scratch_);
    return UnwindOutcome::kFailed;
  }
  return o;
}

std::optional<UnwindOutcome> TableUnwinder::StepWithoutCfi(const StackView& stack, bool bp_valid,
                                                           uint64_t* sp, uint64_t* pc,
                                                           uint64_t* bp) {
  if (!bp_valid) return UnwindOutcome::kFailed;
  // rbp zero: the entry of a process or thread (ld.so's _start and glibc's
  // clone3 child clear rbp and carry no FDE). libunwind ends the stack there.
  if (*bp == 0) return UnwindOutcome::kComplete;
  // Otherwise rbp is taken for a frame pointer, as libunwind and perf do,
  // with libunwind's plausibility test: at or above the stack pointer, and
  // no more than 16 KiB above it.
  constexpr uint64_t kMaxGuessedFrame = 0x4000;
  if (*bp < *sp || *bp - *sp > kMaxGuessedFrame) return UnwindOutcome::kFailed;
  uint64_t saved_bp, ra;
  if (!stack.Read64(*bp, &saved_bp) || !stack.Read64(*bp + 8, &ra)) {
    return stack.PastEnd(*bp + 8) ? UnwindOutcome::kTruncated : UnwindOutcome::kFailed;
  }
  ++stats_.frame_pointer_frames;
  if (ra == 0) return UnwindOutcome::kComplete;
  *sp = *bp + 16;
  *pc = ra;
  *bp = saved_bp;
  return std::nullopt;
}

UnwindOutcome TableUnwinder::Unwind(const RawSample& sample, const ProcessMaps& maps,
                                    std::vector<uint64_t>* pcs) {
  pcs->clear();
  ++stats_.samples;
  modules_->TrimIfLarge();
  if (!sample.has_user_regs) return UnwindOutcome::kFailed;
  const StackView stack(sample);
  uint64_t pc = sample.regs[kRip];
  uint64_t sp = sample.regs[kRsp];
  uint64_t bp = sample.regs[kRbp];
  bool bp_valid = true;
  bool exact_pc = true;  // the sampled pc, or the pc a signal interrupted
  struct Seen {
    uint64_t start, size;
    const elf::ModuleRef* ref;
    CfiTables::Entry* cfi;
  };
  Seen seen[kSeen];
  int seen_count = 0;

  for (int depth = 0; depth < kMaxFrames; ++depth) {
    pcs->push_back(pc);
    ++stats_.frames;
    const uint64_t lookup = exact_pc ? pc : pc - 1;
    // Within one sample the maps cannot change: remember the mappings seen.
    const elf::ModuleRef* ref = nullptr;
    CfiTables::Entry* cfi = nullptr;
    for (int i = 0; i < seen_count; ++i) {
      if (lookup - seen[i].start < seen[i].size) {
        ref = seen[i].ref;
        cfi = seen[i].cfi;
        break;
      }
    }
    if (ref == nullptr) {
      const Mapping* mapping = maps.Find(lookup);
      ref = mapping != nullptr ? modules_->Lookup(*mapping) : nullptr;
      if (ref == nullptr || ref->module == nullptr) {
        // Code without a readable ELF file has no CFI: JIT code in anonymous
        // memory or a memfd, a deleted file. JITs keep frame pointers. An
        // unmapped pc is a bad return address: a failure.
        if (mapping != nullptr && mapping->executable()) {
          const std::optional<UnwindOutcome> end = StepWithoutCfi(stack, bp_valid, &sp, &pc, &bp);
          if (!end) {
            exact_pc = false;
            continue;
          }
          if (*end != UnwindOutcome::kFailed) return *end;
          if (mapping->open_path.empty() && mapping->image == nullptr) {
            ++stats_.jit_stops;
          }
        }
        ++stats_.no_module;
        return UnwindOutcome::kFailed;
      }
      cfi = &cfi_.For(*ref);
      seen[seen_count % kSeen] = {mapping->start, mapping->end - mapping->start, ref, cfi};
      if (seen_count < kSeen) ++seen_count;
    }
    const CfiRow& row = cfi->table.Find(lookup - ref->bias);
    ++cfi->lookups;
    cfi->misses += row.kind == CfiRow::kNoCfi ? 1 : 0;
    uint64_t cfa;
    switch (row.kind) {
      case CfiRow::kNormal:
        if (row.cfa_reg == kRsp) {
          cfa = sp + static_cast<int64_t>(row.cfa_offset);
        } else {
          if (!bp_valid) return UnwindOutcome::kFailed;
          cfa = bp + static_cast<int64_t>(row.cfa_offset);
        }
        break;
      case CfiRow::kPlt:
        cfa = sp + 8 + ((pc & 15) >= row.plt_threshold ? 8 : 0);
        break;
      case CfiRow::kSignal: {
        uint64_t new_sp, new_pc, new_bp;
        if (!stack.Read64(sp + static_cast<int64_t>(row.cfa_offset), &new_sp) ||
            !stack.Read64(sp + static_cast<int64_t>(row.ra_offset), &new_pc)) {
          return stack.PastEnd(sp + static_cast<int64_t>(row.cfa_offset))
                     ? UnwindOutcome::kTruncated
                     : UnwindOutcome::kFailed;
        }
        bp_valid = stack.Read64(sp + static_cast<int64_t>(row.rbp_offset), &new_bp);
        if (bp_valid) bp = new_bp;
        ++stats_.signal_frames;
        if (new_pc == 0) return UnwindOutcome::kComplete;
        sp = new_sp;
        pc = new_pc;
        exact_pc = true;
        continue;
      }
      case CfiRow::kOutermost:
        return UnwindOutcome::kComplete;
      case CfiRow::kFallback:
        if (fallback_ == nullptr) {
          ++stats_.unsupported;
          return UnwindOutcome::kFailed;
        }
        ++stats_.fallbacks;
        return Fallback(sample, maps, pcs);
      case CfiRow::kNoCfi:
      default: {
        // Hand-written assembly, code built without unwind tables (libasan's
        // exit-time leak check has such frames), a process's entry.
        const std::optional<UnwindOutcome> end = StepWithoutCfi(stack, bp_valid, &sp, &pc, &bp);
        if (!end) {
          exact_pc = false;
          continue;
        }
        if (*end == UnwindOutcome::kFailed) {
          ++stats_.no_cfi;
          ++cfi->stops;
        }
        return *end;
      }
    }
    const uint64_t ra_addr = cfa + static_cast<int64_t>(row.ra_offset);
    uint64_t ra;
    if (!stack.Read64(ra_addr, &ra)) {
      return stack.PastEnd(ra_addr) ? UnwindOutcome::kTruncated : UnwindOutcome::kFailed;
    }
    if (row.rbp_rule == CfiRow::kRbpSaved) {
      const uint64_t slot = cfa + static_cast<int64_t>(row.rbp_offset);
      // Below the current rsp the slot was already popped: rbp holds the
      // caller's value (gcc epilogue, pitfall 4).
      if (slot >= sp) bp_valid = stack.Read64(slot, &bp);
    } else if (row.rbp_rule == CfiRow::kRbpLost) {
      bp_valid = false;
    }
    if (ra == 0) return UnwindOutcome::kComplete;
    if (cfa <= sp) return UnwindOutcome::kFailed;  // no progress: a loop
    sp = cfa;
    pc = ra;
    exact_pc = false;
  }
  return UnwindOutcome::kFailed;
}

}  // namespace stackfire::unwind
