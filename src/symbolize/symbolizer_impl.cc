// The libdw-backed Symbolizer: see symbolizers.h for the contract.
#include <gelf.h>

#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "src/elf/module_cache.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/demangle.h"
#include "src/symbolize/function_starts.h"
#include "src/symbolize/module_symbols.h"
#include "src/symbolize/jit_maps.h"
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

// What one module offers for names: its symbol table (module_symbols.h)
// and inline chains.
struct SymModule : ModuleSymbols {
  std::unique_ptr<InlineResolver> inlines;
  std::unique_ptr<FunctionStarts> starts;  // made at the first unnamed address
  std::string path;        // as the target maps it
  std::string unresolved;  // "[libfoo.so]"
  bool fetch_tried = false;  // debuginfod asked (or not wanted)
};

class SymbolizerImpl final : public Symbolizer {
 public:
  SymbolizerImpl(const SymbolizerOptions& options, elf::ModuleCache* modules)
      : options_(options),
        owned_modules_(modules == nullptr ? std::make_unique<elf::ModuleCache>() : nullptr),
        modules_(modules == nullptr ? *owned_modules_ : *modules) {
    if (options_.debuginfod) debuginfod_ = DebuginfodClient::Create(options_.debuginfod_options);
  }

  void SymbolizeUser(int pid, const ProcessMaps& maps, uint64_t pc, bool is_return_address,
                     std::vector<Frame>* out) override {
    const uint64_t addr = is_return_address ? pc - 1 : pc;
    const Mapping* m = maps.Find(addr);
    if (m == nullptr || m->path.empty() || m->path == "//anon" ||
        m->path.rfind("[anon", 0) == 0) {
      if (const std::string* jit = jit_maps_.Lookup(pid, addr)) {
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
    // A module met at warm-up may fetch its debug file at its first sample.
    if (sampling_ && !pending_fetch_.empty()) {
      if (auto p = pending_fetch_.find(ref->module); p != pending_fetch_.end()) {
        pending_fetch_.erase(p);
        FetchDebugFile(ref->module, *m, sym_modules_[ref->module].get());
      }
    }
    const Key key{ref->module, addr - ref->bias};
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      it = cache_.emplace(key, Resolve(ref->module, *m, key.vaddr, is_return_address)).first;
    }
    out->insert(out->end(), it->second.begin(), it->second.end());
  }

  void BeginSampling() override { sampling_ = true; }

  void AppendWarnings(std::vector<std::string>* out) const override {
    modules_.AppendWarnings(out);
    for (const SymModule* s : module_order_) {
      if (s->symbols.has_functions()) continue;
      out->push_back(absl::StrCat(
          s->path, ": no function symbols could be read (.symtab, debug file, .gnu_debugdata, "
                   ".dynsym); its frames show as ",
          options_.unnamed_by_address ? BaseName(s->path) + "+0x<function start>"
                                      : s->unresolved));
    }
    out->insert(out->end(), problems_.begin(), problems_.end());
    jit_maps_.AppendWarnings(out);
    if (debuginfod_ != nullptr) debuginfod_->AppendWarnings(out);
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

  static std::string UnresolvedName(const std::string& path) {
    if (!path.empty() && path.front() == '[') return path;
    return absl::StrCat("[", BaseName(path), "]");
  }

  SymModule& ModuleFor(ElfModule* module, const Mapping& m) {
    std::unique_ptr<SymModule>& slot = sym_modules_[module];
    if (slot != nullptr) return *slot;
    slot = std::make_unique<SymModule>();
    SymModule& s = *slot;
    s.path = m.path;
    s.unresolved = UnresolvedName(m.path);
    module_order_.push_back(&s);
    LoadModuleSymbols(*module, m, options_.debug_dirs, &s, &problems_);
    s.fetch_tried = debuginfod_ == nullptr || !s.WantsDebugFile() || module->build_id().empty();
    if (!s.fetch_tried && !sampling_) pending_fetch_.insert(module);
    LoadInlines(module, m, &s);
    return s;
  }

  // Once sampling runs, a module that samples land in and that has no names
  // of its own gets its debug file from debuginfod (the first time only).
  // Warm-up does not fetch: only modules that samples show are worth a
  // download.
  void FetchDebugFile(ElfModule* module, const Mapping& m, SymModule* s) {
    if (s->fetch_tried) return;
    s->fetch_tried = true;
    const std::string path = debuginfod_->FetchDebugInfo(module->build_id(), m.path);
    if (path.empty()) return;
    if (!s->AdoptDebugFile(ElfFile::Open(path), module->elf()) && s->debug_file == nullptr) return;
    LoadInlines(module, m, s);
    // Names given before (at warm-up) were the unnamed ones.
    absl::erase_if(cache_, [module](const auto& entry) { return entry.first.module == module; });
  }

  void LoadInlines(ElfModule* module, const Mapping& m, SymModule* sp) {
    SymModule& s = *sp;
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
  }

  std::vector<Frame> Resolve(ElfModule* module, const Mapping& m, uint64_t vaddr,
                             bool is_return_address) {
    SymModule& s = ModuleFor(module, m);
    if (!s.fetch_tried && sampling_) FetchDebugFile(module, m, &s);
    std::vector<Frame> frames;
    const SymbolTable::Symbol* sym = s.symbols.Lookup(vaddr);
    // A signal handler "returns" to the first byte of the trampoline
    // (__restore_rt): pc - 1 lies before it, pc inside it.
    if (sym == nullptr && is_return_address) {
      sym = s.symbols.Lookup(vaddr + 1);
      if (sym != nullptr) vaddr += 1;
    }
    if (sym == nullptr) {
      std::optional<uint64_t> start;
      if (options_.unnamed_by_address) {
        if (s.starts == nullptr) s.starts = std::make_unique<FunctionStarts>(*module);
        start = s.starts->Find(vaddr);
      }
      frames.push_back(MakeFrame(start ? AddressFrameName(m.path, *start) : s.unresolved,
                                 Frame::Kind::kUnresolved));
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

  SymbolizerOptions options_;
  std::unique_ptr<elf::ModuleCache> owned_modules_;
  elf::ModuleCache& modules_;
  absl::flat_hash_map<const ElfModule*, std::unique_ptr<SymModule>> sym_modules_;
  absl::flat_hash_map<Key, std::vector<Frame>> cache_;
  JitMaps jit_maps_{options_.jit_map_dir};
  std::vector<std::string> problems_;
  std::unique_ptr<DebuginfodClient> debuginfod_;
  std::vector<const SymModule*> module_order_;  // as first met, for warnings
  bool sampling_ = false;
  // Modules loaded before sampling that want a debug file (debuginfod).
  absl::flat_hash_set<const ElfModule*> pending_fetch_;
  TextSymbols kallsyms_;
  bool kallsyms_loaded_ = false;
};

}  // namespace

std::unique_ptr<Symbolizer> CreateSymbolizer(const SymbolizerOptions& options,
                                             elf::ModuleCache* modules) {
  return std::make_unique<SymbolizerImpl>(options, modules);
}

}  // namespace stackfire::symbolize
