// The libdw-backed Symbolizer: see symbolizers.h for the contract.
#include <gelf.h>
#include <sys/stat.h>
#include <time.h>

#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "src/elf/module_cache.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/demangle.h"
#include "src/symbolize/symbol_table.h"
#include "src/symbolize/symbolizers.h"
#include "src/symbolize/text_symbols.h"
#include "stackfire/profile.h"

namespace stackfire::symbolize {
namespace {

using elf::ElfModule;

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

bool HasSection(Elf* elf, std::string_view wanted) {
  size_t shstrndx = 0;
  if (elf == nullptr || elf_getshdrstrndx(elf, &shstrndx) != 0) return false;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) continue;
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (name != nullptr && wanted == name) return true;
  }
  return false;
}

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

Frame MakeFrame(std::string_view name, Frame::Kind kind) {
  Frame f;
  f.kind = kind;
  f.name = SanitizeFrameName(name);
  switch (kind) {
    case Frame::Kind::kInlined: f.name += "_[i]"; break;
    case Frame::Kind::kKernel: f.name += "_[k]"; break;
    case Frame::Kind::kJit: f.name += "_[j]"; break;
    default: break;
  }
  return f;
}

// What one module offers for names: its symbol table and inline chains.
struct SymModule {
  std::unique_ptr<ElfFile> debug_file;
  SymbolTable symbols;
  std::unique_ptr<InlineResolver> inlines;
  std::string unresolved;  // "[libfoo.so]"
};

class SymbolizerImpl final : public Symbolizer {
 public:
  SymbolizerImpl(const SymbolizerOptions& options, elf::ModuleCache* modules)
      : options_(options),
        owned_modules_(modules == nullptr ? std::make_unique<elf::ModuleCache>() : nullptr),
        modules_(modules == nullptr ? *owned_modules_ : *modules) {}

  void SymbolizeUser(int pid, const ProcessMaps& maps, uint64_t pc, bool is_return_address,
                     std::vector<Frame>* out) override {
    const uint64_t addr = is_return_address ? pc - 1 : pc;
    const Mapping* m = maps.Find(addr);
    if (m == nullptr || m->path.empty() || m->path == "//anon" ||
        m->path.rfind("[anon", 0) == 0) {
      if (const std::string* jit = LookupJit(pid, addr)) {
        out->push_back(MakeFrame(*jit, Frame::Kind::kJit));
      } else {
        out->push_back(MakeFrame("[unknown]", Frame::Kind::kUnresolved));
      }
      return;
    }
    modules_.TrimIfLarge();
    const elf::ModuleRef* ref = modules_.Lookup(*m);
    if (ref->module == nullptr) {
      out->push_back(MakeFrame(UnresolvedName(m->path), Frame::Kind::kUnresolved));
      return;
    }
    const Key key{ref->module, addr - ref->bias};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      it = cache_.emplace(key, Resolve(ref->module, *m, key.vaddr, is_return_address)).first;
    }
    out->insert(out->end(), it->second.begin(), it->second.end());
  }

  void AppendWarnings(std::vector<std::string>* out) const override {
    modules_.AppendWarnings(out);
    out->insert(out->end(), problems_.begin(), problems_.end());
  }

  void SymbolizeKernel(uint64_t pc, std::vector<Frame>* out) override {
    if (!kallsyms_loaded_) {
      kallsyms_loaded_ = true;
      std::string text;
      if (ReadFile(options_.kallsyms_path, &text)) kallsyms_ = TextSymbols::ParseKallsyms(text);
    }
    const std::string* name = kallsyms_.Lookup(pc);
    out->push_back(MakeFrame(name != nullptr ? *name : "[kernel.kallsyms]", Frame::Kind::kKernel));
  }

 private:
  struct Key {
    const ElfModule* module;
    uint64_t vaddr;
    bool operator==(const Key& o) const { return module == o.module && vaddr == o.vaddr; }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.module, k.vaddr);
    }
  };
  struct JitMap {
    TextSymbols symbols;
    struct timespec mtime {};
    off_t size = -1;
    uint64_t checked_ns = 0;
  };

  static std::string UnresolvedName(const std::string& path) {
    if (!path.empty() && path.front() == '[') return path;
    return "[" + BaseName(path) + "]";
  }

  SymModule& ModuleFor(ElfModule* module, const Mapping& m) {
    std::unique_ptr<SymModule>& slot = sym_modules_[module];
    if (slot != nullptr) return *slot;
    slot = std::make_unique<SymModule>();
    SymModule& s = *slot;
    s.unresolved = UnresolvedName(m.path);
    if (!m.open_path.empty()) {
      s.debug_file =
          FindDebugFile(module->elf(), m.open_path, module->build_id(), options_.debug_dirs);
    }
    s.symbols = SymbolTable::FromElf(module->elf(), SHT_SYMTAB);
    if (s.symbols.empty() && s.debug_file != nullptr) {
      s.symbols = SymbolTable::FromElf(s.debug_file->elf(), SHT_SYMTAB);
    }
    if (s.symbols.empty()) s.symbols = SymbolTable::FromElf(module->elf(), SHT_DYNSYM);
    if (s.symbols.empty()) {
      problems_.push_back(absl::StrCat(m.path, ": no function symbols could be read (.symtab, ",
                                       ".dynsym); its frames show as ", s.unresolved));
    }
    if (options_.inline_frames) {
      s.inlines = std::make_unique<InlineResolver>(module->dwarf());
      if (s.inlines->empty() && s.debug_file != nullptr && s.debug_file->dwarf() != nullptr) {
        s.inlines = std::make_unique<InlineResolver>(s.debug_file->dwarf());
      }
      // There is debug info, but not one compilation unit could be read.
      if (s.inlines->empty() &&
          (HasSection(module->elf(), ".debug_info") ||
           (s.debug_file != nullptr && HasSection(s.debug_file->elf(), ".debug_info")))) {
        problems_.push_back(absl::StrCat(
            m.path, ": its DWARF debug info (.debug_info) is unreadable or corrupt; inlined calls "
                    "are not shown"));
      }
    }
    return s;
  }

  std::vector<Frame> Resolve(ElfModule* module, const Mapping& m, uint64_t vaddr,
                             bool is_return_address) {
    SymModule& s = ModuleFor(module, m);
    std::vector<Frame> frames;
    const SymbolTable::Symbol* sym = s.symbols.Lookup(vaddr);
    // A signal handler "returns" to the first byte of the trampoline
    // (__restore_rt): pc - 1 lies before it, pc inside it.
    if (sym == nullptr && is_return_address) {
      sym = s.symbols.Lookup(vaddr + 1);
      if (sym != nullptr) vaddr += 1;
    }
    if (sym == nullptr) {
      frames.push_back(MakeFrame(s.unresolved, Frame::Kind::kUnresolved));
      return frames;
    }
    if (s.inlines != nullptr) {
      std::vector<std::string> chain;
      s.inlines->InlineChain(vaddr, options_.keep_parameters, &chain);
      for (const std::string& name : chain) frames.push_back(MakeFrame(name, Frame::Kind::kInlined));
    }
    // .symtab spells versioned symbols "name@@GLIBC_2.34".
    std::string_view raw(sym->name);
    std::string name(raw.substr(0, raw.find('@')));
    frames.push_back(MakeFrame(Demangle(name.c_str(), options_.keep_parameters), Frame::Kind::kUser));
    if (options_.source_lines && s.inlines != nullptr) {
      std::vector<InlineResolver::SourceLocation> where;
      s.inlines->SourceLocations(vaddr, &where);
      // Only when DWARF saw the same levels as the frames: never shifted.
      if (where.size() == frames.size()) {
        for (size_t i = 0; i < frames.size(); ++i) {
          frames[i].file = std::move(where[i].file);
          frames[i].line = where[i].line;
        }
      }
    }
    return frames;
  }

  const std::string* LookupJit(int pid, uint64_t addr) {
    JitMap& jit = jit_maps_[pid];
    const std::string* hit = jit.symbols.Lookup(addr);
    const uint64_t now = NowNs();
    // A miss may be code the JIT wrote since the last read: look at the
    // file again, but at most every 50 ms.
    if (hit != nullptr || now - jit.checked_ns < 50'000'000) return hit;
    jit.checked_ns = now;
    const std::string path = absl::StrCat(options_.jit_map_dir, "/perf-", pid, ".map");
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return nullptr;
    if (st.st_size != jit.size || st.st_mtim.tv_sec != jit.mtime.tv_sec ||
        st.st_mtim.tv_nsec != jit.mtime.tv_nsec) {
      std::string text;
      if (!ReadFile(path, &text)) return nullptr;
      jit.symbols = TextSymbols::ParsePerfMap(text);
      jit.size = st.st_size;
      jit.mtime = st.st_mtim;
    }
    return jit.symbols.Lookup(addr);
  }

  SymbolizerOptions options_;
  std::unique_ptr<elf::ModuleCache> owned_modules_;
  elf::ModuleCache& modules_;
  absl::flat_hash_map<const ElfModule*, std::unique_ptr<SymModule>> sym_modules_;
  absl::flat_hash_map<Key, std::vector<Frame>> cache_;
  absl::flat_hash_map<int, JitMap> jit_maps_;
  std::vector<std::string> problems_;
  TextSymbols kallsyms_;
  bool kallsyms_loaded_ = false;
};

}  // namespace

std::unique_ptr<Symbolizer> CreateSymbolizer(const SymbolizerOptions& options,
                                             elf::ModuleCache* modules) {
  return std::make_unique<SymbolizerImpl>(options, modules);
}

}  // namespace stackfire::symbolize
