#include "src/symbolize/symbol_table.h"

#include <gelf.h>

#include <algorithm>
#include <cstring>

namespace stackfire::symbolize {
namespace {

// Among aliases at one address, prefer a sized, global, non-underscore name
// ("memcpy" over "__memcpy_avx_unaligned" is not decidable; be stable).
int Rank(const GElf_Sym& sym, const char* name) {
  int r = 0;
  if (sym.st_size > 0) r += 4;
  if (GELF_ST_BIND(sym.st_info) == STB_GLOBAL) r += 2;
  if (name[0] != '_') r += 1;
  return r;
}

}  // namespace

SymbolTable SymbolTable::FromElf(Elf* elf, uint32_t section_type) {
  SymbolTable table;
  struct Ranked {
    Symbol sym;
    int rank;
  };
  std::vector<Ranked> all;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != section_type) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || shdr.sh_entsize == 0) continue;
    const size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      const int type = GELF_ST_TYPE(sym.st_info);
      if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
          sym.st_value == 0) {
        continue;
      }
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (name == nullptr || name[0] == '\0') continue;
      all.push_back({{sym.st_value, sym.st_size, name}, Rank(sym, name)});
    }
  }
  std::sort(all.begin(), all.end(), [](const Ranked& a, const Ranked& b) {
    if (a.sym.addr != b.sym.addr) return a.sym.addr < b.sym.addr;
    if (a.rank != b.rank) return a.rank > b.rank;
    return std::strcmp(a.sym.name, b.sym.name) < 0;
  });
  table.symbols_.reserve(all.size());
  for (const Ranked& r : all) {
    if (!table.symbols_.empty() && table.symbols_.back().addr == r.sym.addr) continue;
    table.symbols_.push_back(r.sym);
  }
  return table;
}

const SymbolTable::Symbol* SymbolTable::Lookup(uint64_t vaddr) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), vaddr,
                             [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (it == symbols_.begin()) return nullptr;
  const Symbol* sym = &*(it - 1);
  uint64_t limit = sym->size;
  if (limit == 0) {
    limit = 4096;
    if (it != symbols_.end()) limit = std::min<uint64_t>(limit, it->addr - sym->addr);
  }
  return vaddr - sym->addr < limit ? sym : nullptr;
}

}  // namespace stackfire::symbolize
