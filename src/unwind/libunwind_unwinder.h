// The library unwinder: libunwind's remote API over the sample's stack copy
// and the mapped ELF files (never the live process).
//
// Used alone (`--unwinder=libunwind`) and as the fallback for rows the CFI
// table cannot express (CFA expressions, signal frames). CFI is found through
// each module's .eh_frame_hdr (pitfall 6 of src/unwind/README.md) and
// libunwind's global cache is kept per pid, so one process's addresses never
// answer for another's, and flushed when the pid's maps change (dlclose and a
// new library at the same address, exec). Not thread-safe: one instance per unwinding thread.
#ifndef STACKFIRE_SRC_UNWIND_LIBUNWIND_UNWINDER_H_
#define STACKFIRE_SRC_UNWIND_LIBUNWIND_UNWINDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "src/elf/module_cache.h"
#include "stackfire/unwinder.h"

namespace stackfire::unwind {

class LibunwindUnwinder final : public Unwinder {
 public:
  // Uses `modules` when given (borrowed: the pipeline's, or a
  // TableUnwinder's), else its own.
  explicit LibunwindUnwinder(elf::ModuleCache* modules = nullptr);
  ~LibunwindUnwinder() override;

  UnwindOutcome Unwind(const RawSample& sample, const ProcessMaps& maps,
                       std::vector<uint64_t>* pcs) override;
  void AppendWarnings(std::vector<std::string>* out) const override {
    modules_->AppendWarnings(out);
  }

  // Public for the C callbacks in the .cc file.
  struct Context;

 private:
  void* AddressSpaceFor(uint32_t pid, const ProcessMaps& maps);

  struct Space {
    void* as = nullptr;         // unw_addr_space_t
    uint64_t fingerprint = 0;   // of the maps its cache was filled under
  };

  std::unique_ptr<elf::ModuleCache> owned_modules_;
  elf::ModuleCache* modules_;
  std::unique_ptr<Context> context_;
  absl::flat_hash_map<uint32_t, Space> spaces_;  // by pid
};

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_LIBUNWIND_UNWINDER_H_
