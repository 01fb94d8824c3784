// A compact, lazily filled table of unwind rows for one ELF module, and
// CfiTables, the unwinder's side table of them beside the shared
// elf::ModuleCache.
//
// Each row says, for a range of ELF vaddrs: CFA = rsp|rbp + N, the return
// address is saved at CFA + R (R = -8 with gcc and clang), and rbp is either
// unchanged, saved at CFA + M, or lost. That covers more than 99.9 % of the
// CFI rows of gcc/clang output (src/unwind/README.md). PLT entries get
// their standard rule and signal trampolines their memory rules; everything else (CFA expressions, signal frames,
// unusual register rules) is a kFallback row that the caller hands to the
// library unwinder.
//
// Rows are taken from libdw's dwarf_cfi_addrframe (over .eh_frame, then
// .debug_frame) the first time a pc in their range is looked up, and kept in a
// vector sorted by start, so a lookup after warm-up is one binary search with
// no allocation. Not thread-safe.
#ifndef STACKFIRE_SRC_UNWIND_CFI_TABLE_H_
#define STACKFIRE_SRC_UNWIND_CFI_TABLE_H_

#include <elfutils/libdw.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/elf/elf_module.h"
#include "src/elf/module_cache.h"

namespace stackfire::unwind {

struct CfiRow {
  enum Kind : uint8_t {
    kNormal,     // the rules below apply
    kOutermost,  // the return address is undefined: the end of the stack
    kPlt,        // CFA = rsp + 8 + ((pc & 15) >= plt_threshold ? 8 : 0)
    kSignal,     // a signal trampoline (glibc's __restore_rt): the interrupted
                 // state is saved in memory at rsp + N (a ucontext): CFA =
                 // *(rsp + cfa_offset), pc = *(rsp + ra_offset), rbp =
                 // *(rsp + rbp_offset); the next pc is exact, not a return address
    kFallback,   // not expressible here: use the library unwinder
    kNoCfi,      // no CFI covers this address
  };
  enum RbpRule : uint8_t { kRbpSame, kRbpSaved, kRbpLost };

  uint64_t start = 0;  // ELF vaddr range [start, end)
  uint64_t end = 0;
  int32_t cfa_offset = 0;
  int32_t ra_offset = -8;   // return address at CFA + ra_offset
  int32_t rbp_offset = 0;   // for kRbpSaved: rbp at CFA + rbp_offset
  uint8_t cfa_reg = 7;      // DWARF number: 7 = rsp, 6 = rbp
  Kind kind = kNoCfi;
  RbpRule rbp_rule = kRbpSame;
  uint8_t plt_threshold = 11;
};

class CfiTable {
 public:
  // Reads the CFI of module (.eh_frame, then its .debug_frame), which must
  // outlive the table.
  explicit CfiTable(const elf::ElfModule& module);
  CfiTable(const CfiTable&) = delete;
  CfiTable& operator=(const CfiTable&) = delete;
  ~CfiTable();

  // The row covering vaddr; a kNoCfi row when there is none. The reference
  // stays valid until the next Find.
  const CfiRow& Find(uint64_t vaddr) {
    auto it = std::upper_bound(rows_.begin(), rows_.end(), vaddr,
                               [](uint64_t a, const CfiRow& r) { return a < r.start; });
    if (it != rows_.begin() && vaddr < (it - 1)->end) return *(it - 1);
    return Insert(it - rows_.begin(), vaddr);
  }

  size_t size() const { return rows_.size(); }
  // Whether the file has any CFI at all (.eh_frame or .debug_frame).
  bool has_cfi() const { return eh_cfi_ != nullptr || debug_cfi_ != nullptr; }

  // Decodes the CFI row for vaddr without caching it (exposed for tests).
  CfiRow Build(uint64_t vaddr) const;

 private:
  const CfiRow& Insert(size_t pos, uint64_t vaddr);
  CfiRow BuildAt(uint64_t vaddr) const;

  Dwarf_CFI* eh_cfi_ = nullptr;     // owned (dwarf_getcfi_elf)
  Dwarf_CFI* debug_cfi_ = nullptr;  // belongs to the module's Dwarf
  std::vector<CfiRow> rows_;  // sorted by start, disjoint
};

// The unwinder's side table: one CfiTable per module of the elf::ModuleCache
// it unwinds with, indexed by ModuleRef::index, with the counts of rows
// looked up and missing for the summary. It must be destroyed before that
// cache (its tables read the modules' ELF data). Not thread-safe.
class CfiTables {
 public:
  struct Entry {
    explicit Entry(const elf::ElfModule& m) : table(m), module(&m) {}
    CfiTable table;
    const elf::ElfModule* module;
    uint64_t lookups = 0;
    uint64_t misses = 0;
    // Misses where the frame pointer did not lead on either: the stack
    // stopped there. Code without CFI is normal in some modules (V8's
    // builtins in node's text, hand-written assembly): only stops are news.
    uint64_t stops = 0;
  };

  // The table of a usable ref (ref.module set), made on first use.
  Entry& For(const elf::ModuleRef& ref) {
    if (ref.index < entries_.size() && entries_[ref.index] != nullptr) {
      return *entries_[ref.index];
    }
    return Create(ref);
  }

  // One line per module where stacks stopped for want of CFI, or whose CFI
  // was missing for nearly every address looked up in it, in the order the
  // modules were first unwound through.
  void AppendWarnings(std::vector<std::string>* out) const;

 private:
  Entry& Create(const elf::ModuleRef& ref);

  std::vector<std::unique_ptr<Entry>> entries_;  // by ModuleRef::index
  std::vector<const Entry*> order_;
};

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_CFI_TABLE_H_
