#include "src/symbolize/symbol_table.h"

#include <gelf.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string_view>

#include "absl/container/flat_hash_map.h"

namespace stackfire::symbolize {
namespace {

// Among aliases at one address, pick the one perf picks (tools/perf/util/
// symbol.c, choose_best_symbol), so that names match `perf script`: a sized
// symbol, then a non-weak one, then a global one, then fewer leading
// underscores, then the longer name. One rule is added: a name without a
// symbol version beats a versioned alias ("free" over "cfree@GLIBC_2.2.5").
struct Candidate {
  uint64_t addr;
  uint64_t size;
  const char* name;
  bool weak;
  bool global;
  bool versioned;  // "cfree@GLIBC_2.2.5": a compatibility alias
  int underscores;
  size_t length;
};

bool Better(const Candidate& a, const Candidate& b) {
  if ((a.size > 0) != (b.size > 0)) return a.size > 0;
  if (a.weak != b.weak) return !a.weak;
  if (a.global != b.global) return a.global;
  if (a.versioned != b.versioned) return !a.versioned;
  if (a.underscores != b.underscores) return a.underscores < b.underscores;
  if (a.length != b.length) return a.length > b.length;
  return std::strcmp(a.name, b.name) < 0;
}

void Collect(Elf* elf, uint32_t section_type, std::vector<Candidate>* out) {
  std::vector<Candidate>& all = *out;
  // .dynsym spells versions in .gnu.version: the hidden bit marks the
  // non-default ("name@VERSION") aliases.
  Elf_Data* versym = nullptr;
  if (section_type == SHT_DYNSYM) {
    Elf_Scn* v = nullptr;
    while ((v = elf_nextscn(elf, v)) != nullptr) {
      GElf_Shdr vh;
      if (gelf_getshdr(v, &vh) != nullptr && vh.sh_type == SHT_GNU_versym) {
        versym = elf_getdata(v, nullptr);
        break;
      }
    }
  }
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != section_type) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || shdr.sh_entsize == 0) continue;
    // The data libelf handed out, not the header's claim: a corrupt sh_size
    // must not make this loop run for billions of entries.
    const size_t count = std::min<uint64_t>(shdr.sh_size, data->d_size) / shdr.sh_entsize;
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
      const int bind = GELF_ST_BIND(sym.st_info);
      int underscores = 0;
      while (name[underscores] == '_') ++underscores;
      bool versioned = std::strchr(name, '@') != nullptr;
      GElf_Versym vs;
      if (versym != nullptr && gelf_getversym(versym, static_cast<int>(i), &vs) != nullptr) {
        versioned |= (vs & 0x8000) != 0;
      }
      all.push_back({sym.st_value, sym.st_size, name, bind == STB_WEAK, bind == STB_GLOBAL,
                     versioned, underscores, std::strlen(name)});
    }
  }
}

// GOT slot address -> the name of the function its relocation binds.
absl::flat_hash_map<uint64_t, const char*> GotSlotNames(Elf* elf) {
  absl::flat_hash_map<uint64_t, const char*> names;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_RELA ||
        shdr.sh_entsize == 0) {
      continue;
    }
    Elf_Scn* symscn = elf_getscn(elf, shdr.sh_link);
    GElf_Shdr symhdr;
    if (symscn == nullptr || gelf_getshdr(symscn, &symhdr) == nullptr ||
        symhdr.sh_type != SHT_DYNSYM) {
      continue;
    }
    Elf_Data* rela = elf_getdata(scn, nullptr);
    Elf_Data* syms = elf_getdata(symscn, nullptr);
    if (rela == nullptr || syms == nullptr) continue;
    const size_t count = std::min<uint64_t>(shdr.sh_size, rela->d_size) / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Rela r;
      if (gelf_getrela(rela, static_cast<int>(i), &r) == nullptr) continue;
      const uint64_t type = GELF_R_TYPE(r.r_info);
      if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
      GElf_Sym sym;
      if (gelf_getsym(syms, static_cast<int>(GELF_R_SYM(r.r_info)), &sym) == nullptr) continue;
      const char* name = elf_strptr(elf, symhdr.sh_link, sym.st_name);
      if (name != nullptr && name[0] != '\0') names.emplace(r.r_offset, name);
    }
  }
  return names;
}

// The GOT slot an x86-64 PLT stub jumps through: the first `jmp *disp32(%rip)`
// (ff 25, optionally after endbr64 and a bnd prefix) in its first bytes.
bool StubSlot(const uint8_t* code, size_t size, uint64_t addr, uint64_t* slot) {
  for (size_t i = 0; i + 6 <= size && i <= 8; ++i) {
    if (code[i] != 0xff || code[i + 1] != 0x25) continue;
    int32_t disp;
    std::memcpy(&disp, code + i + 2, sizeof(disp));
    *slot = addr + i + 6 + static_cast<int64_t>(disp);
    return true;
  }
  return false;
}

}  // namespace

void SymbolTable::AddPltStubs(Elf* elf) {
  if (elf == nullptr) return;
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) == nullptr || ehdr.e_machine != EM_X86_64) return;
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return;
  absl::flat_hash_map<uint64_t, const char*> slots;
  bool slots_read = false;
  std::vector<Symbol> stubs;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_PROGBITS) continue;
    const char* sname = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (sname == nullptr) continue;
    const std::string_view section(sname);
    if (section != ".plt" && section != ".plt.sec" && section != ".plt.got") continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) continue;
    if (!slots_read) {
      slots = GotSlotNames(elf);
      slots_read = true;
    }
    uint64_t step = shdr.sh_entsize;
    if (step != 8 && step != 16) step = section == ".plt.got" ? 8 : 16;
    const auto* code = static_cast<const uint8_t*>(data->d_buf);
    const size_t size = std::min<uint64_t>(shdr.sh_size, data->d_size);
    for (size_t off = 0; off + step <= size; off += step) {
      uint64_t slot = 0;
      if (!StubSlot(code + off, step, shdr.sh_addr + off, &slot)) continue;  // PLT0
      auto it = slots.find(slot);
      if (it == slots.end()) continue;
      owned_names_.push_back(std::string(it->second) + "@plt");
      stubs.push_back({shdr.sh_addr + off, step, owned_names_.back().c_str()});
    }
  }
  if (stubs.empty()) return;
  std::vector<Symbol> merged;
  merged.reserve(symbols_.size() + stubs.size());
  std::sort(stubs.begin(), stubs.end(),
            [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  std::merge(symbols_.begin(), symbols_.end(), stubs.begin(), stubs.end(),
             std::back_inserter(merged),
             [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  // One per address: std::merge puts the existing symbol first.
  merged.erase(std::unique(merged.begin(), merged.end(),
                           [](const Symbol& a, const Symbol& b) { return a.addr == b.addr; }),
               merged.end());
  plt_stubs_ += merged.size() - symbols_.size();
  symbols_ = std::move(merged);
}

SymbolTable SymbolTable::FromElf(Elf* elf, uint32_t section_type) {
  return FromElfs({{elf, section_type}});
}

SymbolTable SymbolTable::FromElfs(std::initializer_list<Source> sources) {
  SymbolTable table;
  std::vector<Candidate> all;
  for (const Source& source : sources) {
    if (source.elf != nullptr) Collect(source.elf, source.section_type, &all);
  }
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    return Better(a, b);
  });
  table.symbols_.reserve(all.size());
  for (const Candidate& c : all) {
    if (!table.symbols_.empty() && table.symbols_.back().addr == c.addr) continue;
    table.symbols_.push_back({c.addr, c.size, c.name});
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
