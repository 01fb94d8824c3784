// Factory for the Symbolizer (include/stackfire/symbolizer.h).
//
//   auto symbolizer = stackfire::symbolize::CreateSymbolizer({});
//   symbolizer->SymbolizeUser(pid, maps, pc, /*is_return_address=*/i > 0, &frames);
//   symbolizer->SymbolizeKernel(kernel_pc, &frames);
//
// User pcs: the module is found by mapping and shared by build-id; its
// symbols are loaded once into a sorted table, from the first source that
// has them: the file's .symtab, its separate debug file (found locally, else
// fetched from debuginfod when enabled), its MiniDebugInfo (.gnu_debugdata)
// together with .dynsym, then .dynsym alone. Each (module, address) is
// resolved once, with its inline chain from DWARF, then served from a cache.
// An address no symbol covers is named by its module and the start of its
// function from the CFI. The ELF files come from an elf::ModuleCache,
// borrowed (the record pipeline's, which the unwinder shares) or owned. Not
// thread-safe: one instance per symbolizing thread.
#ifndef STACKFIRE_SRC_SYMBOLIZE_SYMBOLIZERS_H_
#define STACKFIRE_SRC_SYMBOLIZE_SYMBOLIZERS_H_

#include <memory>
#include <string>
#include <vector>

#include "src/symbolize/debuginfod_client.h"
#include "stackfire/symbolizer.h"

namespace stackfire::elf {
class ModuleCache;
}  // namespace stackfire::elf

namespace stackfire::symbolize {

struct SymbolizerOptions {
  // Keep "(int, char const*)" after demangled names. Off by default, as
  // stackcollapse-perf.pl's tidying drops it.
  bool keep_parameters = false;
  // Expand inlined calls into their own "_[i]" frames.
  bool inline_frames = true;
  // Fill Frame::file and Frame::line from DWARF (for exports that carry
  // source locations, e.g. pprof). Costs a line-table lookup per unique pc.
  bool source_lines = false;
  // Roots searched for separate debug files (.build-id/ and .gnu_debuglink).
  std::vector<std::string> debug_dirs = {"/usr/lib/debug"};
  std::string kallsyms_path = "/proc/kallsyms";
  // Where perf-PID.map files are looked for, inside the target's mount
  // namespace (jit_maps.h).
  std::string jit_map_dir = "/tmp";
  // Code that no symbol names is named by its module and function start,
  // "liblzma.so.5.4.1+0x1a2b0" (function_starts.h); false: by its module
  // alone, "[liblzma.so.5.4.1]", as perf does.
  bool unnamed_by_address = true;
  // Fetch the debug info of modules that have no symbols of their own (no
  // .symtab, no local debug file) from the servers in DEBUGINFOD_URLS
  // (debuginfod_client.h). Off unless asked for: `stackfire record` asks.
  bool debuginfod = false;
  DebuginfodOptions debuginfod_options;
};

// modules, when given, must outlive the symbolizer.
std::unique_ptr<Symbolizer> CreateSymbolizer(const SymbolizerOptions& options = {},
                                             elf::ModuleCache* modules = nullptr);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_SYMBOLIZERS_H_
