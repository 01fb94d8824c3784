#include "src/elf/module_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace stackfire::elf {
namespace {

std::string ModuleFrame(const std::string& path) {
  if (!path.empty() && path.front() == '[') return path;
  const size_t slash = path.rfind('/');
  return "[" + (slash == std::string::npos ? path : path.substr(slash + 1)) + "]";
}

}  // namespace

void ModuleCache::AppendWarnings(std::vector<std::string>* out) const {
  for (const std::string& path : failure_order_) {
    out->push_back(
        absl::StrCat(path, ": ", failures_.at(path), "; its frames show as ", ModuleFrame(path)));
  }
}

void ModuleCache::TrimIfLarge() {
  if (by_mapping_.size() < kMaxMappings) return;
  by_mapping_.clear();
  for (Memo& m : memo_) m = Memo{};
}

void ModuleCache::NoteFailure(const Mapping& mapping, std::string message) {
  // Only code matters to the summary: a stray pc in a data file is not news.
  if (!mapping.executable()) return;
  if (failures_.emplace(mapping.path, std::move(message)).second) {
    failure_order_.push_back(mapping.path);
  }
}

std::string ModuleCache::BuildIdOf(const Mapping& mapping) {
  // The kernel's is the one of the file that was really mapped, even when
  // it has been replaced on disk since.
  if (!mapping.build_id.empty()) return mapping.build_id;
  const ModuleRef* ref = Lookup(mapping);
  return ref->file != nullptr ? ref->file->build_id() : std::string();
}

ElfModule* ModuleCache::Find(const Mapping& mapping, uint32_t* index) {
  // The sampler's MMAP2 records name the build-id: a library loaded again
  // (dlopen churn) needs no new open and parse.
  if (!mapping.build_id.empty()) {
    if (auto known = by_build_id_.find(mapping.build_id); known != by_build_id_.end()) {
      ++stats_.shared_by_build_id;
      *index = known->second;
      return modules_[known->second].get();
    }
  }
  // Mappings read from /proc/PID/maps carry the file's device and inode
  // instead: the other mappings of a file already opened share it.
  const FileKey file{mapping.dev_major, mapping.dev_minor, mapping.inode};
  const bool on_disk = mapping.inode != 0 && mapping.image == nullptr;
  if (on_disk) {
    if (auto known = by_file_.find(file); known != by_file_.end()) {
      ElfModule* module = modules_[known->second].get();
      if (mapping.build_id.empty() || mapping.build_id == module->build_id()) {
        ++stats_.shared_by_inode;
        *index = known->second;
        return module;
      }
    }
  }
  absl::StatusOr<std::unique_ptr<ElfModule>> opened = ElfModule::Open(mapping);
  if (!opened.ok()) {
    ++stats_.open_failures;
    last_error_ = opened.status().ToString();
    NoteFailure(mapping, std::string(opened.status().message()));
    return nullptr;
  }
  ++stats_.files_opened;
  std::unique_ptr<ElfModule> module = *std::move(opened);
  uint32_t found = static_cast<uint32_t>(modules_.size());
  if (!module->build_id().empty()) {
    auto [it, inserted] = by_build_id_.try_emplace(module->build_id(), found);
    if (!inserted) {
      // A copy of a file already open under another name or inode.
      ++stats_.shared_by_build_id;
      found = it->second;
    }
  }
  if (found == modules_.size()) modules_.push_back(std::move(module));
  if (on_disk) by_file_.try_emplace(file, found);
  *index = found;
  return modules_[found].get();
}

std::unique_ptr<ModuleRef> ModuleCache::Resolve(const Mapping& mapping) {
  auto ref = std::make_unique<ModuleRef>();
  // Anonymous memory, [heap], [stack], JIT code: nothing to open.
  if (mapping.open_path.empty() && mapping.image == nullptr) return ref;
  uint32_t index = 0;
  ElfModule* module = Find(mapping, &index);
  if (module == nullptr) return ref;
  ref->file = module;
  if (std::optional<uint64_t> bias = module->BiasFor(mapping)) {
    ref->module = module;
    ref->bias = *bias;
    ref->index = index;
  } else {
    NoteFailure(mapping,
                absl::StrCat("no PT_LOAD segment at file offset 0x", absl::Hex(mapping.pgoff)));
  }
  return ref;
}

const ModuleRef* ModuleCache::LookupSlow(const Key& key, const Mapping& mapping) {
  auto it = by_mapping_.find(key);
  if (it == by_mapping_.end()) it = by_mapping_.emplace(key, Resolve(mapping)).first;
  memo_[memo_next_] = Memo{key, it->second.get()};
  memo_next_ = (memo_next_ + 1) % kMemo;
  return it->second.get();
}

}  // namespace stackfire::elf
