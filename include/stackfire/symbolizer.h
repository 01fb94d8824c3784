// Names for program counters: user code through libdw (demangled, inline
// chains expanded), kernel code through /proc/kallsyms, JIT code through
// /tmp/perf-PID.map.
//
// Results are cached per module (by build-id) and per address, so the cost is
// per unique pc, not per sample.
#ifndef STACKFIRE_SYMBOLIZER_H_
#define STACKFIRE_SYMBOLIZER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "stackfire/process_maps.h"

namespace stackfire {

struct Frame {
  enum class Kind { kUser, kInlined, kKernel, kJit, kUnresolved };
  // The name as it goes into a folded stack, already passed through
  // SanitizeFrameName, with the folded suffix for its kind: "_[i]" for
  // inlined, "_[k]" for kernel, "_[j]" for JIT; an unresolved pc shows its
  // module, "[libfoo.so]", and "[unknown]" only when no module maps it.
  std::string name;
  Kind kind = Kind::kUser;
  // The function's source file and the line executing in it, when the
  // symbolizer was asked for them (symbolize::SymbolizerOptions::
  // source_lines) and the DWARF has them; otherwise empty and 0. For a
  // function that an inlined call sits in, the line is the call's.
  std::string file;
  int line = 0;
};

class Symbolizer {
 public:
  virtual ~Symbolizer() = default;
  // Appends the frames of one user pc to *out, innermost first (the inlined
  // callees before the function that contains them). is_return_address says
  // to look up pc - 1.
  virtual void SymbolizeUser(int pid, const ProcessMaps& maps, uint64_t pc,
                             bool is_return_address, std::vector<Frame>* out) = 0;
  virtual void SymbolizeKernel(uint64_t pc, std::vector<Frame>* out) = 0;
  // Sampling has started: until now (warm-up) only local files were read;
  // from now on a module that samples land in may fetch its names over the
  // network (debuginfod).
  virtual void BeginSampling() {}
  // Problems met with the target's files so far (unreadable or corrupt ELF,
  // no symbols, unreadable debug info), one line per file, for the summary.
  virtual void AppendWarnings(std::vector<std::string>* out) const { (void)out; }
};

}  // namespace stackfire

#endif  // STACKFIRE_SYMBOLIZER_H_
