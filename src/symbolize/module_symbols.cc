#include "src/symbolize/module_symbols.h"

#include <gelf.h>

#include "absl/strings/str_cat.h"

namespace stackfire::symbolize {

ModuleSymbols LoadModuleSymbols(const unwind::ElfModule& module, const Mapping& mapping,
                                const std::vector<std::string>& debug_dirs,
                                DebuginfodClient* debuginfod, const std::string& unnamed,
                                std::vector<std::string>* problems) {
  ModuleSymbols s;
  s.symbols = SymbolTable::FromElf(module.elf(), SHT_SYMTAB);
  if (!s.symbols.empty()) s.source = ".symtab";
  std::string debug_path =
      mapping.open_path.empty()
          ? ""
          : FindDebugFile(module.elf(), mapping.open_path, module.build_id(), debug_dirs);
  if (debug_path.empty() && s.symbols.empty() && debuginfod != nullptr) {
    debug_path = debuginfod->FetchDebugInfo(module.build_id(), mapping.path);
  }
  if (!debug_path.empty()) s.debug_file = ElfFile::Open(debug_path);
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
  if (s.symbols.empty()) {
    problems->push_back(absl::StrCat(mapping.path,
                                     ": no function symbols could be read (.symtab, debug file, "
                                     ".gnu_debugdata, .dynsym); its frames show as ",
                                     unnamed));
  }
  return s;
}

}  // namespace stackfire::symbolize
