#include "src/unwind/module_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace stackfire::unwind {
namespace {

std::string ModuleFrame(const std::string& path) {
  if (!path.empty() && path.front() == '[') return path;
  const size_t slash = path.rfind('/');
  return "[" + (slash == std::string::npos ? path : path.substr(slash + 1)) + "]";
}

}  // namespace

void ModuleCache::AppendWarnings(bool cfi, std::vector<std::string>* out) const {
  for (const std::string& path : failure_order_) {
    out->push_back(absl::StrCat(path, ": ", failures_.at(path), "; its frames show as ",
                                ModuleFrame(path)));
  }
  if (!cfi) return;
  auto check = [&](const ElfModule& m) {
    // Code without CFI that a frame pointer crosses is normal in some
    // modules (V8's builtins in node's text, hand-written assembly): news
    // are the stacks that stopped there, or a module where nearly every
    // address lacks CFI (its .eh_frame is missing or corrupt: frame
    // pointers rarely lead far in code built without them).
    const bool stopped = m.cfi_stops() >= 10 && m.cfi_stops() * 20 >= m.cfi_lookups();
    const bool most_missing = m.cfi_misses() >= 10 && m.cfi_misses() * 5 >= m.cfi_lookups() * 4;
    if (!stopped && !most_missing) return;
    const char* reason = !m.has_cfi()   ? "the file has no .eh_frame or .debug_frame"
                         : most_missing ? ".eh_frame corrupt or incomplete"
                                        : "code built without unwind tables, or hand-written "
                                          "assembly";
    out->push_back(absl::StrCat(
        m.path(), ": no unwind information (CFI) for ", m.cfi_misses(), " of ", m.cfi_lookups(),
        " addresses sampled in it (", reason, "); ",
        stopped ? absl::StrCat("no frame pointer to follow at ", m.cfi_stops(),
                               " of them: those stacks stop there")
                : std::string("they were crossed by frame pointer, which may cut stacks short")));
  };
  for (const auto& [id, m] : by_build_id_) check(*m);
  for (const auto& m : without_build_id_) check(*m);
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

std::unique_ptr<ModuleRef> ModuleCache::Resolve(const Mapping& mapping) {
  auto ref = std::make_unique<ModuleRef>();
  // Anonymous memory, [heap], [stack], JIT code: nothing to open.
  if (mapping.open_path.empty() && mapping.image == nullptr) return ref;
  ElfModule* shared = nullptr;
  // The sampler's MMAP2 records name the build-id: a library loaded again
  // (dlopen churn) needs no new open and parse.
  if (auto known = mapping.build_id.empty() ? by_build_id_.end()
                                            : by_build_id_.find(mapping.build_id);
      known != by_build_id_.end()) {
    ++stats_.shared_by_build_id;
    shared = known->second.get();
  } else {
    absl::StatusOr<std::unique_ptr<ElfModule>> opened = ElfModule::Open(mapping);
    if (!opened.ok()) {
      ++stats_.open_failures;
      last_error_ = opened.status().ToString();
      NoteFailure(mapping, std::string(opened.status().message()));
      return ref;
    }
    ++stats_.files_opened;
    std::unique_ptr<ElfModule> module = *std::move(opened);
    shared = module.get();
    if (module->build_id().empty()) {
      without_build_id_.push_back(std::move(module));
    } else if (auto found = by_build_id_.find(module->build_id()); found != by_build_id_.end()) {
      ++stats_.shared_by_build_id;
      shared = found->second.get();
    } else {
      by_build_id_.emplace(module->build_id(), std::move(module));
    }
  }
  if (std::optional<uint64_t> bias = shared->BiasFor(mapping)) {
    ref->module = shared;
    ref->bias = *bias;
  } else {
    NoteFailure(mapping, absl::StrCat("no PT_LOAD segment at file offset 0x",
                                      absl::Hex(mapping.pgoff)));
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

}  // namespace stackfire::unwind
