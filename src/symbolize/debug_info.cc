#include "src/symbolize/debug_info.h"

#include <dwarf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/elf/elf_module.h"
#include "src/proc/mapped_file.h"
#include "src/proc/target_files.h"
#include "src/symbolize/demangle.h"

namespace stackfire::symbolize {
namespace {

// Debug files hold all of a program's DWARF: libLLVM's is ~2 GiB.
constexpr uint64_t kMaxDebugFileBytes = uint64_t{16} << 30;

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
  absl::StatusOr<ScopedFd> fd = proc::OpenTargetFile("", path, nullptr);
  return fd.ok() ? FromFd(*std::move(fd)) : nullptr;
}

std::unique_ptr<ElfFile> ElfFile::FromFd(ScopedFd fd) {
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->fd_ = std::move(fd);
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

std::unique_ptr<ElfFile> FindDebugFile(Elf* binary, const Mapping& mapping,
                                       const std::string& build_id,
                                       const std::vector<std::string>& debug_dirs,
                                       std::vector<std::string>* problems) {
  // Every candidate is opened as target_files.h says (no FIFO, device or
  // symlink out of the target's root); one that exists but cannot be used
  // is reported, a missing one is not (most candidates are).
  auto try_open = [&](const std::string& root, const std::string& path)
      -> std::unique_ptr<ElfFile> {
    struct stat st;
    absl::StatusOr<ScopedFd> fd = proc::OpenTargetFile(root, path, &st);
    if (!fd.ok()) {
      if (!absl::IsNotFound(fd.status()) && problems != nullptr) {
        problems->push_back(absl::StrCat(mapping.path, ": debug file candidate ",
                                         fd.status().message(), "; skipped"));
      }
      return nullptr;
    }
    if (static_cast<uint64_t>(st.st_size) > kMaxDebugFileBytes) {
      if (problems != nullptr) {
        problems->push_back(absl::StrCat(mapping.path, ": debug file candidate ", root, path,
                                         " is larger than ", kMaxDebugFileBytes >> 30,
                                         " GiB; skipped"));
      }
      return nullptr;
    }
    if (st.st_ino == mapping.inode && major(st.st_dev) == mapping.dev_major &&
        minor(st.st_dev) == mapping.dev_minor) {
      return nullptr;  // the binary itself
    }
    std::unique_ptr<ElfFile> f = ElfFile::FromFd(*std::move(fd));
    if (f == nullptr) return nullptr;
    if (!build_id.empty() && elf::ReadBuildId(f->elf()) != build_id) return nullptr;
    return f;
  };
  if (!build_id.empty()) {
    const std::string hex = elf::BuildIdHex(build_id);
    for (const std::string& dir : debug_dirs) {
      if (auto f = try_open("", dir + "/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) +
                                    ".debug")) {
        return f;
      }
    }
  }
  const std::string link = DebugLink(binary);
  if (link.empty()) return nullptr;
  // The name is the target's: a directory part or a dot name could reach any
  // file (gdb and elfutils take a plain file name too).
  if (link.find('/') != std::string::npos || link == "." || link == "..") {
    if (problems != nullptr) {
      problems->push_back(absl::StrCat(mapping.path, ": .gnu_debuglink '",
                                       link.substr(0, 100), "' is not a plain file name; ignored"));
    }
    return nullptr;
  }
  const std::string root = proc::MappingRoot(mapping);
  const std::string dir = DirName(proc::MappingPathInRoot(mapping));
  for (const std::string& path : {dir + "/" + link, dir + "/.debug/" + link}) {
    if (auto f = try_open(root, path)) return f;
  }
  for (const std::string& d : debug_dirs) {
    if (auto f = try_open("", d + dir + "/" + link)) return f;
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
      // Address 0 is where the linker leaves code it discarded (ld's
      // tombstone in .debug_ranges and DW_AT_low_pc); no function lives there.
      if (lo != 0 && hi > lo) ranges_.push_back({lo, hi, dwarf_dieoffset(&cudie)});
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

namespace {

// Bounds on the DIE tree walks: hostile DWARF can nest without end or import
// a unit from itself.
constexpr int kMaxDepth = 64;

// 1 when die's ranges hold pc, 0 when they do not, -1 when die has none.
int HasPc(Dwarf_Die* die, uint64_t pc) {
  if (!dwarf_hasattr(die, DW_AT_low_pc) && !dwarf_hasattr(die, DW_AT_ranges)) return -1;
  return dwarf_haspc(die, pc) == 1 ? 1 : 0;
}

// Appends the scopes under parent that hold pc, outermost first: at each
// level the child whose ranges hold it. A lexical block without ranges
// (gcc emits some) is looked through.
bool Descend(Dwarf_Die* parent, uint64_t pc, int depth, std::vector<Dwarf_Die>* chain) {
  Dwarf_Die child;
  if (depth > kMaxDepth || dwarf_child(parent, &child) != 0) return false;
  do {
    const int tag = dwarf_tag(&child);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block &&
        tag != DW_TAG_subprogram && tag != DW_TAG_try_block && tag != DW_TAG_catch_block &&
        tag != DW_TAG_with_stmt) {
      continue;
    }
    const int has = HasPc(&child, pc);
    if (has == 1) {
      chain->push_back(child);
      Descend(&child, pc, depth + 1, chain);
      return true;
    }
    if (has < 0 && tag == DW_TAG_lexical_block && Descend(&child, pc, depth + 1, chain)) {
      return true;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return false;
}

}  // namespace

void InlineResolver::IndexFunctions(Dwarf_Die* parent, int depth, CuFunctions* out) {
  Dwarf_Die child;
  if (depth > kMaxDepth || dwarf_child(parent, &child) != 0) return;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_subprogram: {
        // Declarations and abstract (inline-only) instances have no ranges.
        Dwarf_Addr base, lo, hi;
        ptrdiff_t it = 0;
        while ((it = dwarf_ranges(&child, it, &base, &lo, &hi)) > 0) {
          if (lo != 0 && hi > lo) out->ranges.push_back({lo, hi, dwarf_dieoffset(&child)});
        }
        break;
      }
      // rustc nests functions in their path's namespaces, and methods in
      // impl namespaces or types; C++ may define functions in a class body.
      case DW_TAG_namespace:
      case DW_TAG_module:
      case DW_TAG_class_type:
      case DW_TAG_structure_type:
      case DW_TAG_union_type:
      case DW_TAG_interface_type:
        IndexFunctions(&child, depth + 1, out);
        break;
      case DW_TAG_imported_unit: {  // dwz: DIEs shared between CUs
        Dwarf_Attribute attr;
        Dwarf_Die unit;
        if (dwarf_attr(&child, DW_AT_import, &attr) != nullptr &&
            dwarf_formref_die(&attr, &unit) != nullptr &&
            out->imported.insert(dwarf_dieoffset(&unit)).second) {
          IndexFunctions(&unit, depth + 1, out);
        }
        break;
      }
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

const InlineResolver::CuFunctions& InlineResolver::FunctionsOf(Dwarf_Die* cudie) {
  const Dwarf_Off key = dwarf_dieoffset(cudie);
  auto it = functions_.find(key);
  if (it != functions_.end()) return it->second;
  CuFunctions f;
  IndexFunctions(cudie, 0, &f);
  std::sort(f.ranges.begin(), f.ranges.end(),
            [](const FunctionRange& a, const FunctionRange& b) { return a.lo < b.lo; });
  f.imported.clear();
  return functions_.emplace(key, std::move(f)).first->second;
}

void InlineResolver::ConcreteScopes(uint64_t vaddr, Dwarf_Die* cudie,
                                    std::vector<Dwarf_Die>* scopes) {
  scopes->clear();
  if (!FindCu(vaddr, cudie)) return;
  const std::vector<FunctionRange>& fns = FunctionsOf(cudie).ranges;
  auto it = std::upper_bound(fns.begin(), fns.end(), vaddr,
                             [](uint64_t a, const FunctionRange& r) { return a < r.lo; });
  // Functions do not overlap, but identical code folded by the linker can
  // give two the same range: the nearest start that holds vaddr wins.
  Dwarf_Die function;
  bool found = false;
  for (int back = 0; back < 8 && it != fns.begin() && !found; ++back) {
    --it;
    found = vaddr < it->hi && dwarf_offdie(dwarf_, it->die_offset, &function) != nullptr;
  }
  if (!found) return;
  scopes->push_back(function);
  Descend(&function, vaddr, 0, scopes);
  std::reverse(scopes->begin(), scopes->end());
}

void InlineResolver::InlineChain(uint64_t vaddr, bool keep_parameters,
                                 std::vector<std::string>* out) {
  Dwarf_Die cudie;
  std::vector<Dwarf_Die> scopes;
  ConcreteScopes(vaddr, &cudie, &scopes);
  for (Dwarf_Die& scope : scopes) {
    const int tag = dwarf_tag(&scope);
    if (tag == DW_TAG_subprogram) break;
    if (tag == DW_TAG_inlined_subroutine) out->push_back(Name(&scope, keep_parameters));
  }
}

void InlineResolver::SourceLocations(uint64_t vaddr, std::vector<SourceLocation>* out) {
  Dwarf_Die cudie;
  std::vector<Dwarf_Die> scopes;
  ConcreteScopes(vaddr, &cudie, &scopes);
  int line = 0;
  if (!scopes.empty()) {
    if (Dwarf_Line* l = dwarf_getsrc_die(&cudie, vaddr); l != nullptr) dwarf_lineno(l, &line);
  }
  for (Dwarf_Die& scope : scopes) {
    const int tag = dwarf_tag(&scope);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    // dwarf_decl_file follows abstract_origin and specification.
    const char* file = dwarf_decl_file(&scope);
    out->push_back(SourceLocation{file != nullptr ? file : "", line});
    if (tag == DW_TAG_subprogram) break;
    // The caller's line is this inlined call's.
    Dwarf_Attribute attr;
    Dwarf_Word call_line = 0;
    line = dwarf_attr(&scope, DW_AT_call_line, &attr) != nullptr &&
                   dwarf_formudata(&attr, &call_line) == 0
               ? static_cast<int>(call_line)
               : 0;
  }
}

}  // namespace stackfire::symbolize
