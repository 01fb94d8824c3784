#include "src/unwind/cfi_table.h"

#include <dwarf.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

namespace stackfire::unwind {
namespace {

constexpr int kRspReg = 7;
constexpr int kRbpReg = 6;
constexpr int kRipReg = 16;

struct FrameDeleter {
  void operator()(Dwarf_Frame* f) const { std::free(f); }
};

// "reg + offset" as libdw synthesizes it for DW_CFA_def_cfa: one bregx.
bool DecodeRegOffset(const Dwarf_Op* ops, size_t nops, int* reg, int64_t* offset) {
  if (nops != 1) return false;
  if (ops[0].atom == DW_OP_bregx) {
    *reg = static_cast<int>(ops[0].number);
    *offset = static_cast<int64_t>(ops[0].number2);
    return true;
  }
  if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
    *reg = ops[0].atom - DW_OP_breg0;
    *offset = static_cast<int64_t>(ops[0].number);
    return true;
  }
  return false;
}

// The PLT rule gcc and ld emit: rsp + 8 + ((rip & 15) >= N) << 3.
bool DecodePlt(const Dwarf_Op* ops, size_t nops, uint8_t* threshold) {
  if (nops != 9) return false;
  const bool shape =
      ops[0].atom == DW_OP_breg7 && ops[0].number == 8 && ops[1].atom == DW_OP_breg16 &&
      ops[1].number == 0 && ops[2].atom == DW_OP_lit15 && ops[3].atom == DW_OP_and &&
      ops[4].atom >= DW_OP_lit0 && ops[4].atom <= DW_OP_lit15 && ops[5].atom == DW_OP_ge &&
      ops[6].atom == DW_OP_lit3 && ops[7].atom == DW_OP_shl && ops[8].atom == DW_OP_plus;
  if (!shape) return false;
  *threshold = static_cast<uint8_t>(ops[4].atom - DW_OP_lit0);
  return true;
}

// "The value is in memory at rsp + N": DW_CFA_expression {DW_OP_breg7 N}.
bool DecodeRspSlot(Dwarf_Frame* frame, int regno, int64_t* offset) {
  Dwarf_Op mem[3];
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_frame_register(frame, regno, mem, &ops, &nops) != 0 || nops == 0) return false;
  // libdw puts the CFA first, as DWARF pushes it before a DW_CFA_expression;
  // breg7 then pushes the address, which is the result.
  if (ops[0].atom == DW_OP_call_frame_cfa) {
    ++ops;
    --nops;
  }
  if (nops != 1 || ops[0].atom != DW_OP_breg7) return false;
  *offset = static_cast<int64_t>(ops[0].number);
  return true;
}

enum class SavedKind { kUndefined, kSame, kAtCfa, kValCfa, kOther };

// Classifies a register rule: "offset(N)" is DW_OP_call_frame_cfa [+ N];
// "val_offset(N)" adds DW_OP_stack_value.
SavedKind DecodeRegister(Dwarf_Frame* frame, int regno, int64_t* offset) {
  Dwarf_Op mem[3];
  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_frame_register(frame, regno, mem, &ops, &nops) != 0) return SavedKind::kOther;
  if (nops == 0) return ops == nullptr ? SavedKind::kSame : SavedKind::kUndefined;
  if (ops[0].atom != DW_OP_call_frame_cfa) return SavedKind::kOther;
  size_t i = 1;
  *offset = 0;
  if (i < nops && ops[i].atom == DW_OP_plus_uconst) {
    *offset = static_cast<int64_t>(ops[i].number);
    ++i;
  } else if (i + 1 < nops && ops[i].atom == DW_OP_consts && ops[i + 1].atom == DW_OP_plus) {
    *offset = static_cast<int64_t>(ops[i].number);
    i += 2;
  }
  if (i == nops) return SavedKind::kAtCfa;
  if (i + 1 == nops && ops[i].atom == DW_OP_stack_value) return SavedKind::kValCfa;
  return SavedKind::kOther;
}

bool FitsInt32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

bool SameRules(const CfiRow& a, const CfiRow& b) {
  return a.kind == b.kind && a.cfa_reg == b.cfa_reg && a.cfa_offset == b.cfa_offset &&
         a.ra_offset == b.ra_offset && a.rbp_rule == b.rbp_rule && a.rbp_offset == b.rbp_offset &&
         a.plt_threshold == b.plt_threshold;
}

}  // namespace

CfiTable::CfiTable(const elf::ElfModule& module)
    : eh_cfi_(dwarf_getcfi_elf(module.elf())),
      debug_cfi_(module.dwarf() != nullptr ? dwarf_getcfi(module.dwarf()) : nullptr) {}

CfiTable::~CfiTable() {
  if (eh_cfi_ != nullptr) dwarf_cfi_end(eh_cfi_);
}

CfiTables::Entry& CfiTables::Create(const elf::ModuleRef& ref) {
  if (ref.index >= entries_.size()) entries_.resize(ref.index + 1);
  entries_[ref.index] = std::make_unique<Entry>(*ref.module);
  order_.push_back(entries_[ref.index].get());
  return *entries_[ref.index];
}

void CfiTables::AppendWarnings(std::vector<std::string>* out) const {
  for (const Entry* e : order_) {
    // Code without CFI that a frame pointer crosses is normal in some
    // modules (V8's builtins in node's text, hand-written assembly): news
    // are the stacks that stopped there, or a module where nearly every
    // address lacks CFI (its .eh_frame is missing or corrupt: frame
    // pointers rarely lead far in code built without them).
    const bool stopped = e->stops >= 10 && e->stops * 20 >= e->lookups;
    const bool most_missing = e->misses >= 10 && e->misses * 5 >= e->lookups * 4;
    if (!stopped && !most_missing) continue;
    const char* reason = !e->table.has_cfi() ? "the file has no .eh_frame or .debug_frame"
                         : most_missing      ? "its .eh_frame covers little of its code: "
                                               "built without unwind tables, or corrupt"
                                             : "code built without unwind tables, or "
                                               "hand-written assembly";
    out->push_back(absl::StrCat(
        e->module->path(), ": no unwind information (CFI) for ", e->misses, " of ", e->lookups,
        " addresses sampled in it (", reason, "); ",
        stopped ? absl::StrCat("no frame pointer to follow at ", e->stops,
                               " of them: those stacks stop there")
                : std::string("they were crossed by frame pointer, which may cut stacks short")));
  }
}

CfiRow CfiTable::Build(uint64_t vaddr) const {
  CfiRow row = BuildAt(vaddr);
  if (row.start < vaddr) {
    // libdw reports the start of the row wrongly after DW_CFA_restore_state
    // (the start of the remembered row, which can cover an epilogue with
    // other rules). Trust the start only if the row there is this row.
    const CfiRow at_start = BuildAt(row.start);
    if (!SameRules(at_start, row) || at_start.end != row.end) row.start = vaddr;
  }
  return row;
}

CfiRow CfiTable::BuildAt(uint64_t vaddr) const {
  CfiRow row;
  row.start = vaddr;
  row.end = vaddr + 1;
  row.kind = CfiRow::kNoCfi;
  Dwarf_Frame* raw = nullptr;
  if ((eh_cfi_ == nullptr || dwarf_cfi_addrframe(eh_cfi_, vaddr, &raw) != 0) &&
      (debug_cfi_ == nullptr || dwarf_cfi_addrframe(debug_cfi_, vaddr, &raw) != 0)) {
    return row;
  }
  std::unique_ptr<Dwarf_Frame, FrameDeleter> frame(raw);
  Dwarf_Addr start = 0, end = 0;
  bool signalp = false;
  const int ra_reg = dwarf_frame_info(frame.get(), &start, &end, &signalp);
  if (ra_reg < 0 || start > vaddr || end <= vaddr) return row;
  row.start = start;
  row.end = end;
  row.kind = CfiRow::kFallback;
  if (ra_reg != kRipReg) return row;

  Dwarf_Op* ops = nullptr;
  size_t nops = 0;
  if (dwarf_frame_cfa(frame.get(), &ops, &nops) != 0 || nops == 0) return row;
  if (signalp) {
    // CFA = *(rsp + N), the saved registers at rsp + M: a sigcontext.
    int64_t ra = 0, rbp = 0;
    if (nops == 2 && ops[0].atom == DW_OP_breg7 && ops[1].atom == DW_OP_deref &&
        FitsInt32(static_cast<int64_t>(ops[0].number)) &&
        DecodeRspSlot(frame.get(), kRipReg, &ra) && DecodeRspSlot(frame.get(), kRbpReg, &rbp) &&
        FitsInt32(ra) && FitsInt32(rbp)) {
      row.kind = CfiRow::kSignal;
      row.cfa_offset = static_cast<int32_t>(ops[0].number);
      row.ra_offset = static_cast<int32_t>(ra);
      row.rbp_offset = static_cast<int32_t>(rbp);
    }
    return row;
  }
  int cfa_reg = -1;
  int64_t cfa_offset = 0;
  bool plt = false;
  if (DecodeRegOffset(ops, nops, &cfa_reg, &cfa_offset)) {
    if ((cfa_reg != kRspReg && cfa_reg != kRbpReg) || !FitsInt32(cfa_offset)) return row;
  } else if (DecodePlt(ops, nops, &row.plt_threshold)) {
    plt = true;
  } else {
    return row;
  }

  int64_t ra_offset = 0;
  switch (DecodeRegister(frame.get(), kRipReg, &ra_offset)) {
    case SavedKind::kUndefined:
      row.kind = CfiRow::kOutermost;
      return row;
    case SavedKind::kAtCfa:
      if (!FitsInt32(ra_offset)) return row;
      break;
    default:
      return row;
  }
  int64_t sp_offset = 0;
  if (DecodeRegister(frame.get(), kRspReg, &sp_offset) != SavedKind::kValCfa || sp_offset != 0) {
    return row;
  }
  int64_t rbp_offset = 0;
  switch (DecodeRegister(frame.get(), kRbpReg, &rbp_offset)) {
    case SavedKind::kSame:
      row.rbp_rule = CfiRow::kRbpSame;
      break;
    case SavedKind::kUndefined:
      row.rbp_rule = CfiRow::kRbpLost;
      break;
    case SavedKind::kAtCfa:
      if (!FitsInt32(rbp_offset)) return row;
      row.rbp_rule = CfiRow::kRbpSaved;
      row.rbp_offset = static_cast<int32_t>(rbp_offset);
      break;
    default:
      return row;
  }
  row.kind = plt ? CfiRow::kPlt : CfiRow::kNormal;
  row.cfa_reg = static_cast<uint8_t>(plt ? kRspReg : cfa_reg);
  row.cfa_offset = static_cast<int32_t>(cfa_offset);
  row.ra_offset = static_cast<int32_t>(ra_offset);
  return row;
}

const CfiRow& CfiTable::Insert(size_t pos, uint64_t vaddr) {
  CfiRow row = Build(vaddr);
  // Keep rows disjoint even if two CFI sections disagree about a range.
  if (pos > 0 && rows_[pos - 1].end > row.start) row.start = rows_[pos - 1].end;
  if (pos < rows_.size() && rows_[pos].start < row.end) row.end = rows_[pos].start;
  if (row.start > vaddr || row.end <= vaddr) {
    row.start = vaddr;
    row.end = vaddr + 1;
  }
  return *rows_.insert(rows_.begin() + static_cast<ptrdiff_t>(pos), row);
}

}  // namespace stackfire::unwind
