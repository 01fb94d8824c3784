// Where a module's function names come from, in order (the first source
// that has any wins, as gdb and perf choose):
//   1. its own .symtab;
//   2. a separate debug file found locally (debug_info.h: FindDebugFile);
//   3. its MiniDebugInfo (.gnu_debugdata, mini_debuginfo.h), merged with
//      .dynsym, whose names it leaves out on purpose;
//   4. .dynsym alone (a stripped library's exported functions).
// A module left without a .symtab and without a local debug file may later
// get a debug file from debuginfod (AdoptDebugFile), which then wins over 3
// and 4. The debug file, when there is one, also serves DWARF for inline
// frames.
#ifndef STACKFIRE_SRC_SYMBOLIZE_MODULE_SYMBOLS_H_
#define STACKFIRE_SRC_SYMBOLIZE_MODULE_SYMBOLS_H_

#include <memory>
#include <string>
#include <vector>

#include "src/symbolize/debug_info.h"
#include "src/symbolize/mini_debuginfo.h"
#include "src/symbolize/symbol_table.h"
#include "src/elf/elf_module.h"
#include "stackfire/process_maps.h"

namespace stackfire::symbolize {

struct ModuleSymbols {
  std::unique_ptr<ElfFile> debug_file;  // may be null
  std::unique_ptr<MiniDebugInfo> mini;  // owns the names of `symbols` when used
  SymbolTable symbols;                  // points into the ELFs above or the module
  const char* source = "";              // ".symtab", "debug file", ... ("" for none)

  // True when a debug file from elsewhere (debuginfod) could add names:
  // there is neither a .symtab nor a local debug file.
  bool WantsDebugFile() const;
  // Takes a fetched debug file: its .symtab, when it has one, replaces
  // MiniDebugInfo's and .dynsym's names; the PLT stubs are named from
  // `plt_elf` (the mapped file: a debug file's .plt holds no bytes). False
  // when it holds no symbols.
  bool AdoptDebugFile(std::unique_ptr<ElfFile> file, Elf* plt_elf);
};

// Loads the names of `module`, mapped as `mapping`, from local sources. A
// corrupt .gnu_debugdata is reported in *problems (one line); finding no
// names at all is left to the caller to report, as a debug file may still
// come.
void LoadModuleSymbols(const elf::ElfModule& module, const Mapping& mapping,
                       const std::vector<std::string>& debug_dirs, ModuleSymbols* out,
                       std::vector<std::string>* problems);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_MODULE_SYMBOLS_H_
