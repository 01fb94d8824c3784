#include "src/unwind/module_cache.h"

#include <utility>

namespace stackfire::unwind {

const ModuleRef* ModuleCache::LookupSlow(const Key& key, const Mapping& mapping) {
  auto it = by_mapping_.find(key);
  if (it == by_mapping_.end()) {
    auto ref = std::make_unique<ModuleRef>();
    if (mapping.open_path.empty() && mapping.image == nullptr) {
      // Anonymous memory, [heap], [stack], JIT code: nothing to open.
      it = by_mapping_.emplace(key, std::move(ref)).first;
      memo_[memo_next_] = Memo{key, it->second.get()};
      memo_next_ = (memo_next_ + 1) % kMemo;
      return it->second.get();
    }
    absl::StatusOr<std::unique_ptr<ElfModule>> opened = ElfModule::Open(mapping);
    if (!opened.ok()) {
      ++stats_.open_failures;
      last_error_ = opened.status().ToString();
    } else {
      ++stats_.files_opened;
      std::unique_ptr<ElfModule> module = *std::move(opened);
      ElfModule* shared = nullptr;
      if (!module->build_id().empty()) {
        auto found = by_build_id_.find(module->build_id());
        if (found != by_build_id_.end()) {
          ++stats_.shared_by_build_id;
          shared = found->second.get();
        } else {
          shared = module.get();
          by_build_id_.emplace(module->build_id(), std::move(module));
        }
      } else {
        shared = module.get();
        without_build_id_.push_back(std::move(module));
      }
      if (std::optional<uint64_t> bias = shared->BiasFor(mapping)) {
        ref->module = shared;
        ref->bias = *bias;
      }
    }
    it = by_mapping_.emplace(key, std::move(ref)).first;
  }
  memo_[memo_next_] = Memo{key, it->second.get()};
  memo_next_ = (memo_next_ + 1) % kMemo;
  return it->second.get();
}

}  // namespace stackfire::unwind
