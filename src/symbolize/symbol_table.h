// A module's function symbols, sorted once for O(log n) lookups
// (dwfl_module_addrname scans the whole table: ~100 us per call on libc).
//
// Built from .symtab (the file's or its separate debug file's) or, for
// stripped files, .dynsym. Names point into the ELF's string table, so the
// Elf that the table was built from must outlive it.
#ifndef STACKFIRE_SRC_SYMBOLIZE_SYMBOL_TABLE_H_
#define STACKFIRE_SRC_SYMBOLIZE_SYMBOL_TABLE_H_

#include <libelf.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace stackfire::symbolize {

class SymbolTable {
 public:
  struct Symbol {
    uint64_t addr;
    uint64_t size;
    const char* name;  // mangled, as in the ELF
  };

  // Reads the section of type SHT_SYMTAB or SHT_DYNSYM. Empty when absent.
  static SymbolTable FromElf(Elf* elf, uint32_t section_type);
  // The union of several such sections (MiniDebugInfo's .symtab lists only
  // what .dynsym does not); one name per address, chosen as above. A null
  // elf is skipped.
  struct Source {
    Elf* elf;
    uint32_t section_type;
  };
  static SymbolTable FromElfs(std::initializer_list<Source> sources);

  // The function that contains vaddr, or nullptr. A symbol without a size
  // covers the addresses up to the next symbol, at most 4 KiB.
  const Symbol* Lookup(uint64_t vaddr) const;

  bool empty() const { return symbols_.empty(); }
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;  // sorted by addr, one per address
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_SYMBOL_TABLE_H_
