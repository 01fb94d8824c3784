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
#include <deque>
#include <initializer_list>
#include <string>
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

  // Adds a symbol "NAME@plt" for every PLT stub of `elf` (.plt, .plt.sec and
  // .plt.got: each stub jumps through a GOT slot, and the slot's JUMP_SLOT or
  // GLOB_DAT relocation names the function), as perf and objdump name them.
  // Without this a sample in a stub takes the name of the symbol before the
  // PLT (usually _init), a function it is not in. Symbols already at a
  // stub's address win. Cost: one pass over the PLT and the relocations.
  void AddPltStubs(Elf* elf);

  // The function that contains vaddr, or nullptr. A symbol without a size
  // covers the addresses up to the next symbol, at most 4 KiB.
  const Symbol* Lookup(uint64_t vaddr) const;

  bool empty() const { return symbols_.empty(); }
  // False when the only names are the PLT stubs' (a stripped executable).
  bool has_functions() const { return symbols_.size() > plt_stubs_; }
  size_t size() const { return symbols_.size(); }

 private:
  std::vector<Symbol> symbols_;  // sorted by addr, one per address
  size_t plt_stubs_ = 0;  // how many of symbols_ AddPltStubs added
  std::deque<std::string> owned_names_;  // the "@plt" names; a deque keeps them in place
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_SYMBOL_TABLE_H_
