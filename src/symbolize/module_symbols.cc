#include "src/symbolize/module_symbols.h"

#include <gelf.h>

#include "absl/strings/str_cat.h"

namespace stackfire::symbolize {

bool ModuleSymbols::WantsDebugFile() const {
  return debug_file == nullptr && std::string_view(source) != ".symtab";
}

bool ModuleSymbols::AdoptDebugFile(std::unique_ptr<ElfFile> file, Elf* plt_elf) {
  if (file == nullptr) return false;
  SymbolTable table = SymbolTable::FromElf(file->elf(), SHT_SYMTAB);
  debug_file = std::move(file);
  if (table.empty()) return false;
  table.AddPltStubs(plt_elf);
  symbols = std::move(table);
  mini.reset();
  source = "fetched debug file";
  return true;
}

void LoadModuleSymbols(const elf::ElfModule& module, const Mapping& mapping,
                       const std::vector<std::string>& debug_dirs, ModuleSymbols* out,
                       std::vector<std::string>* problems) {
  ModuleSymbols& s = *out;
  s.symbols = SymbolTable::FromElf(module.elf(), SHT_SYMTAB);
  if (!s.symbols.empty()) s.source = ".symtab";
  if (!mapping.open_path.empty()) {
    s.debug_file =
        FindDebugFile(module.elf(), mapping, module.build_id(), debug_dirs, problems);
  }
  if (s.symbols.empty() && s.debug_file != nullptr) {
    s.symbols = SymbolTable::FromElf(s.debug_file->elf(), SHT_SYMTAB);
    if (!s.symbols.empty()) s.source = "debug file";
  }
  if (s.symbols.empty()) {
    std::string error;
    s.mini = MiniDebugInfo::Read(module.elf(), &error);
    if (!error.empty()) problems->push_back(absl::StrCat(mapping.path, ": ", error));
    if (s.mini != nullptr) {
      s.symbols = SymbolTable::FromElfs({{s.mini->elf(), SHT_SYMTAB}, {module.elf(), SHT_DYNSYM}});
      if (!s.symbols.empty()) s.source = ".gnu_debugdata";
    }
  }
  if (s.symbols.empty()) {
    s.symbols = SymbolTable::FromElf(module.elf(), SHT_DYNSYM);
    if (!s.symbols.empty()) s.source = ".dynsym";
  }
  // PLT stubs have no symbol in any table; the relocations of the mapped
  // file name them.
  s.symbols.AddPltStubs(module.elf());
}

}  // namespace stackfire::symbolize
