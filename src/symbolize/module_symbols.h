// Where a module's function names come from, in order (the first source
// that has any wins, as gdb and perf choose):
//   1. its own .symtab;
//   2. a separate debug file found locally (debug_info.h: FindDebugFile);
//   3. else, when the module has no .symtab, a debug file fetched by
//      build-id from debuginfod (debuginfod_client.h), if a client is given;
//   4. its MiniDebugInfo (.gnu_debugdata, mini_debuginfo.h), merged with
//      .dynsym, whose names it leaves out on purpose;
//   5. .dynsym alone (a stripped library's exported functions).
// The debug file, when there is one, also serves DWARF for inline frames.
#ifndef STACKFIRE_SRC_SYMBOLIZE_MODULE_SYMBOLS_H_
#define STACKFIRE_SRC_SYMBOLIZE_MODULE_SYMBOLS_H_

#include <memory>
#include <string>
#include <vector>

#include "src/symbolize/debug_info.h"
#include "src/symbolize/debuginfod_client.h"
#include "src/symbolize/mini_debuginfo.h"
#include "src/symbolize/symbol_table.h"
#include "src/unwind/elf_module.h"
#include "stackfire/process_maps.h"

namespace stackfire::symbolize {

struct ModuleSymbols {
  std::unique_ptr<ElfFile> debug_file;  // local or from debuginfod; may be null
  std::unique_ptr<MiniDebugInfo> mini;  // owns the names of `symbols` when used
  SymbolTable symbols;                  // points into the ELFs above or the module
  const char* source = "";              // ".symtab", "debug file", ... for tests
};

// Loads the names of `module`, mapped as `mapping`. Problems (a corrupt
// .gnu_debugdata, no names at all) are appended to *problems, one line
// each; `unnamed` is how the module's frames show without names.
ModuleSymbols LoadModuleSymbols(const unwind::ElfModule& module, const Mapping& mapping,
                                const std::vector<std::string>& debug_dirs,
                                DebuginfodClient* debuginfod, const std::string& unnamed,
                                std::vector<std::string>* problems);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_MODULE_SYMBOLS_H_
