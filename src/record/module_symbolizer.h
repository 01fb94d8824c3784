// A symbolizer that names every pc by its module only ("[libc.so.6]",
// "[kernel.kallsyms]_[k]"): what the Symbolizer contract prescribes for an
// address it cannot resolve. Used only in builds without src/symbolize (the
// libdw symbolizer), so that `record` still produces a correct, if coarse,
// profile.
#ifndef STACKFIRE_SRC_RECORD_MODULE_SYMBOLIZER_H_
#define STACKFIRE_SRC_RECORD_MODULE_SYMBOLIZER_H_

#include "stackfire/symbolizer.h"

namespace stackfire::record {

class ModuleSymbolizer : public Symbolizer {
 public:
  void SymbolizeUser(int pid, const ProcessMaps& maps, uint64_t pc, bool is_return_address,
                     std::vector<Frame>* out) override;
  void SymbolizeKernel(uint64_t pc, std::vector<Frame>* out) override;
};

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_MODULE_SYMBOLIZER_H_
