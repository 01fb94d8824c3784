#include "src/symbolize/debug_info.h"

#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "src/symbolize/demangle.h"
#include "src/elf/elf_module.h"

namespace stackfire::symbolize {
namespace {

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string DebugLink(Elf* elf) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return "";
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (name == nullptr || std::string_view(name) != ".gnu_debuglink") continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (data == nullptr || data->d_size == 0) return "";
    const char* p = static_cast<const char*>(data->d_buf);
    return std::string(p, strnlen(p, data->d_size));
  }
  return "";
}

// The file at path, opened, when its build-id is build_id (or any, when
// build_id is empty); else null.
std::unique_ptr<ElfFile> OpenIfBuildIdMatches(const std::string& path,
                                              const std::string& build_id) {
  std::unique_ptr<ElfFile> f = ElfFile::Open(path);
  if (f == nullptr) return nullptr;
  if (!build_id.empty() && elf::ReadBuildId(f->elf()) != build_id) return nullptr;
  return f;
}

// The DIE that carries a function's name: inlined instances point at their
// abstract origin, out-of-line definitions at their declaration.
Dwarf_Die NamedOrigin(Dwarf_Die* die) {
  Dwarf_Die cur = *die;
  for (int i = 0; i < 8; ++i) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&cur, DW_AT_abstract_origin, &attr) != nullptr ||
         dwarf_attr(&cur, DW_AT_specification, &attr) != nullptr) &&
        dwarf_formref_die(&attr, &next) != nullptr) {
      cur = next;
      continue;
    }
    break;
  }
  return cur;
}

}  // namespace

std::string InlineResolver::Name(Dwarf_Die* die, bool keep_parameters) {
  Dwarf_Attribute attr;
  if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) != nullptr ||
      dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr) != nullptr) {
    if (const char* s = dwarf_formstring(&attr)) return Demangle(s, keep_parameters);
  }
  // No linkage name (gcc omits it for some template instances): qualify
  // DW_AT_name with the enclosing namespaces and classes.
  Dwarf_Die origin = NamedOrigin(die);
  const Dwarf_Off key = dwarf_dieoffset(&origin);
  if (auto it = qualified_.find(key); it != qualified_.end()) return it->second;
  const char* base = dwarf_diename(&origin);
  std::string name = base != nullptr ? base : "??";
  Dwarf_Die* scopes = nullptr;
  const int n = dwarf_getscopes_die(&origin, &scopes);
  for (int i = 1; i < n; ++i) {
    const int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_namespace && tag != DW_TAG_class_type && tag != DW_TAG_structure_type &&
        tag != DW_TAG_union_type) {
      continue;
    }
    const char* scope = dwarf_diename(&scopes[i]);
    name = std::string(scope != nullptr ? scope : "(anonymous namespace)") + "::" + name;
  }
  std::free(scopes);
  qualified_.emplace(key, name);
  return name;
}

std::unique_ptr<ElfFile> ElfFile::Open(const std::string& path) {
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->fd_ = ScopedFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f->fd_) return nullptr;
  elf_version(EV_CURRENT);
  f->elf_ = elf_begin(f->fd_.get(), ELF_C_READ_MMAP, nullptr);
  if (f->elf_ == nullptr || elf_kind(f->elf_) != ELF_K_ELF) return nullptr;
  f->dwarf_ = dwarf_begin_elf(f->elf_, DWARF_C_READ, nullptr);
  return f;
}

ElfFile::~ElfFile() {
  if (dwarf_ != nullptr) dwarf_end(dwarf_);
  if (elf_ != nullptr) elf_end(elf_);
}

std::unique_ptr<ElfFile> FindDebugFile(Elf* binary, const std::string& binary_path,
                                       const std::string& build_id,
                                       const std::vector<std::string>& debug_dirs) {
  if (!build_id.empty()) {
    const std::string hex = elf::BuildIdHex(build_id);
    for (const std::string& dir : debug_dirs) {
      std::string path = dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) + ".debug";
      if (access(path.c_str(), R_OK) != 0) continue;
      if (std::unique_ptr<ElfFile> f = OpenIfBuildIdMatches(path, build_id)) return f;
    }
  }
  const std::string link = DebugLink(binary);
  if (link.empty() || link.find('/') != std::string::npos) return nullptr;
  const std::string dir = DirName(binary_path);
  std::vector<std::string> candidates = {dir + "/" + link, dir + "/.debug/" + link};
  for (const std::string& d : debug_dirs) candidates.push_back(d + dir + "/" + link);
  for (const std::string& path : candidates) {
    if (path == binary_path || access(path.c_str(), R_OK) != 0) continue;
    if (std::unique_ptr<ElfFile> f = OpenIfBuildIdMatches(path, build_id)) return f;
  }
  return nullptr;
}

InlineResolver::InlineResolver(Dwarf* dwarf) : dwarf_(dwarf) {
  if (dwarf_ == nullptr) return;
  Dwarf_CU* cu = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version;
  uint8_t unit_type;
  Dwarf_Die cudie;
  while (dwarf_get_units(dwarf_, cu, &next, &version, &unit_type, &cudie, nullptr) == 0) {
    cu = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial) continue;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t it = 0;
    while ((it = dwarf_ranges(&cudie, it, &base, &lo, &hi)) > 0) {
      if (hi > lo) ranges_.push_back({lo, hi, dwarf_dieoffset(&cudie)});
    }
  }
  std::sort(ranges_.begin(), ranges_.end(),
            [](const CuRange& a, const CuRange& b) { return a.lo < b.lo; });
}

bool InlineResolver::FindCu(uint64_t vaddr, Dwarf_Die* cudie) {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), vaddr,
                             [](uint64_t a, const CuRange& r) { return a < r.lo; });
  // Ranges of different CUs do not overlap in practice; look back a little.
  for (int back = 0; back < 4 && it != ranges_.begin(); ++back) {
    --it;
    if (vaddr >= it->hi) continue;
    return dwarf_offdie(dwarf_, it->cu_offset, cudie) != nullptr;
  }
  return false;
}

int InlineResolver::ConcreteScopes(uint64_t vaddr, Dwarf_Die* cudie, Dwarf_Die** scopes) {
  *scopes = nullptr;
  if (!FindCu(vaddr, cudie)) return 0;
  Dwarf_Die* pc_scopes = nullptr;
  const int n_pc = dwarf_getscopes(cudie, vaddr, &pc_scopes);
  if (n_pc <= 0) {
    std::free(pc_scopes);
    return 0;
  }
  bool inlined = false;
  for (int i = 0; i < n_pc && !inlined; ++i) {
    inlined = dwarf_tag(&pc_scopes[i]) == DW_TAG_inlined_subroutine;
  }
  if (!inlined) {  // no inlined call: these are the concrete scopes already
    *scopes = pc_scopes;
    return n_pc;
  }
  // Above an inlined call, dwarf_getscopes lists the scopes of its abstract
  // definition, not its callers: nested inlines would be lost. The concrete
  // callers are the scopes that hold the innermost DIE.
  Dwarf_Die innermost = pc_scopes[0];
  std::free(pc_scopes);
  const int n = dwarf_getscopes_die(&innermost, scopes);
  return n > 0 ? n : 0;
}

void InlineResolver::InlineChain(uint64_t vaddr, bool keep_parameters,
                                 std::vector<std::string>* out) {
  Dwarf_Die cudie;
  Dwarf_Die* scopes = nullptr;
  const int n = ConcreteScopes(vaddr, &cudie, &scopes);
  for (int i = 0; i < n; ++i) {
    const int tag = dwarf_tag(&scopes[i]);
    if (tag == DW_TAG_subprogram) break;
    if (tag == DW_TAG_inlined_subroutine) out->push_back(Name(&scopes[i], keep_parameters));
  }
  std::free(scopes);
}

void InlineResolver::SourceLocations(uint64_t vaddr, std::vector<SourceLocation>* out) {
  Dwarf_Die cudie;
  Dwarf_Die* scopes = nullptr;
  const int n = ConcreteScopes(vaddr, &cudie, &scopes);
  int line = 0;
  if (n > 0) {
    if (Dwarf_Line* l = dwarf_getsrc_die(&cudie, vaddr); l != nullptr) dwarf_lineno(l, &line);
  }
  for (int i = 0; i < n; ++i) {
    const int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    // dwarf_decl_file follows abstract_origin and specification.
    const char* file = dwarf_decl_file(&scopes[i]);
    out->push_back(SourceLocation{file != nullptr ? file : "", line});
    if (tag == DW_TAG_subprogram) break;
    // The caller's line is this inlined call's.
    Dwarf_Attribute attr;
    Dwarf_Word call_line = 0;
    line = dwarf_attr(&scopes[i], DW_AT_call_line, &attr) != nullptr &&
                   dwarf_formudata(&attr, &call_line) == 0
               ? static_cast<int>(call_line)
               : 0;
  }
  std::free(scopes);
}

}  // namespace stackfire::symbolize
