#include "src/record/module_symbolizer.h"

#include "stackfire/profile.h"

namespace stackfire::record {

void ModuleSymbolizer::SymbolizeUser(int, const ProcessMaps& maps, uint64_t pc,
                                     bool is_return_address, std::vector<Frame>* out) {
  const Mapping* m = maps.Find(is_return_address ? pc - 1 : pc);
  Frame f;
  f.kind = Frame::Kind::kUnresolved;
  if (m == nullptr || m->path.empty()) {
    f.name = "[unknown]";
  } else {
    std::string_view base = m->path;
    if (size_t slash = base.rfind('/'); slash != std::string_view::npos) base.remove_prefix(slash + 1);
    f.name = SanitizeFrameName(base.front() == '[' ? std::string(base) : "[" + std::string(base) + "]");
  }
  out->push_back(std::move(f));
}

void ModuleSymbolizer::SymbolizeKernel(uint64_t, std::vector<Frame>* out) {
  out->push_back(Frame{"[kernel.kallsyms]_[k]", Frame::Kind::kKernel});
}

}  // namespace stackfire::record
