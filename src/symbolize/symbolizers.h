// Factory for the Symbolizer (include/stackfire/symbolizer.h).
//
//   auto symbolizer = stackfire::symbolize::CreateSymbolizer({});
//   symbolizer->SymbolizeUser(pid, maps, pc, /*is_return_address=*/i > 0, &frames);
//   symbolizer->SymbolizeKernel(kernel_pc, &frames);
//
// User pcs: the module is found by mapping and shared by build-id; its
// symbols (.symtab of the file or of its separate debug file, else .dynsym)
// are loaded once into a sorted table, and each (module, address) is resolved
// once, with its inline chain from DWARF, then served from a cache. The ELF
// files come from an elf::ModuleCache, borrowed (the record pipeline's, which
// the unwinder shares) or owned. Not thread-safe: one instance per
// symbolizing thread.
#ifndef STACKFIRE_SRC_SYMBOLIZE_SYMBOLIZERS_H_
#define STACKFIRE_SRC_SYMBOLIZE_SYMBOLIZERS_H_

#include <memory>
#include <string>
#include <vector>

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
  // Where perf-PID.map files are looked for.
  std::string jit_map_dir = "/tmp";
};

// modules, when given, must outlive the symbolizer.
std::unique_ptr<Symbolizer> CreateSymbolizer(const SymbolizerOptions& options = {},
                                             elf::ModuleCache* modules = nullptr);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_SYMBOLIZERS_H_
