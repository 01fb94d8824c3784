// Maps a Mapping to its ElfModule and load bias. Files are opened once and
// shared by build-id: the same library mapped by two processes, or by one
// process twice, is parsed once and its CFI table filled once.
//
// Lookup is on the hot path of every frame: a repeated mapping is answered
// from a four-entry memo, then from a hash map keyed by the mapping's identity
// (range, offset, device, inode); only a mapping never seen before opens a
// file. Failures are remembered too, so a missing file costs one open().
// Not thread-safe: one cache per unwinding thread.
#ifndef STACKFIRE_SRC_UNWIND_MODULE_CACHE_H_
#define STACKFIRE_SRC_UNWIND_MODULE_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "stackfire/process_maps.h"
#include "src/unwind/elf_module.h"

namespace stackfire::unwind {

struct ModuleRef {
  ElfModule* module = nullptr;  // null: the mapping has no usable ELF
  uint64_t bias = 0;            // run-time address - ELF vaddr
};

class ModuleCache {
 public:
  struct Stats {
    uint64_t files_opened = 0;
    uint64_t open_failures = 0;
    uint64_t shared_by_build_id = 0;
  };

  ModuleCache() = default;
  ModuleCache(const ModuleCache&) = delete;
  ModuleCache& operator=(const ModuleCache&) = delete;

  // Never null; ref->module is null when the mapping cannot be used.
  const ModuleRef* Lookup(const Mapping& mapping) {
    const Key key = KeyOf(mapping);
    for (const Memo& m : memo_) {
      if (m.ref != nullptr && m.key == key) return m.ref;
    }
    return LookupSlow(key, mapping);
  }

  // A target that maps code at ever new addresses (dlopen churn) would grow
  // the per-mapping index without bound: past a few thousand entries it is
  // dropped (the modules themselves stay). This invalidates every ModuleRef
  // handed out, so call it only where none is held: at the start of a
  // sample's unwind or of a symbol lookup.
  void TrimIfLarge();

  // The error of the last failed open, for diagnostics.
  const std::string& last_error() const { return last_error_; }
  // One line per file that could not be used (the first error met), and,
  // with cfi true, per module whose CFI was missing for many of the
  // addresses looked up in it (ElfModule::CountCfiLookup).
  void AppendWarnings(bool cfi, std::vector<std::string>* out) const;
  const Stats& stats() const { return stats_; }

 private:
  // A MMAP2 record that carries a build-id has no device and inode (the
  // kernel sends one or the other), so the build-id is part of the identity:
  // without it, two libraries loaded in turn at the same address (dlopen,
  // dlclose, dlopen) would share the first one's module. Its first 8 bytes
  // are as unique as the whole (it is a hash).
  struct Key {
    uint64_t start, end, pgoff, inode, build_id;
    uint32_t dev_major, dev_minor;
    const void* image;
    bool operator==(const Key& o) const {
      return start == o.start && end == o.end && pgoff == o.pgoff && inode == o.inode &&
             build_id == o.build_id && dev_major == o.dev_major && dev_minor == o.dev_minor &&
             image == o.image;
    }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.start, k.end, k.pgoff, k.inode, k.build_id, k.dev_major,
                        k.dev_minor, k.image);
    }
  };
  static Key KeyOf(const Mapping& m) {
    uint64_t id = 0;
    std::memcpy(&id, m.build_id.data(), std::min(m.build_id.size(), sizeof id));
    return Key{m.start, m.end, m.pgoff, m.inode, id, m.dev_major, m.dev_minor, m.image.get()};
  }
  const ModuleRef* LookupSlow(const Key& key, const Mapping& mapping);
  std::unique_ptr<ModuleRef> Resolve(const Mapping& mapping);
  void NoteFailure(const Mapping& mapping, std::string message);

  // Stacks alternate between a few modules (the program, libc, ...).
  struct Memo {
    Key key{};
    const ModuleRef* ref = nullptr;
  };
  static constexpr size_t kMemo = 4;
  static constexpr size_t kMaxMappings = 4096;

  absl::flat_hash_map<Key, std::unique_ptr<ModuleRef>> by_mapping_;
  absl::flat_hash_map<std::string, std::unique_ptr<ElfModule>> by_build_id_;
  std::vector<std::unique_ptr<ElfModule>> without_build_id_;
  Memo memo_[kMemo];
  size_t memo_next_ = 0;
  std::string last_error_;
  absl::flat_hash_map<std::string, std::string> failures_;  // path -> first error
  std::vector<std::string> failure_order_;
  Stats stats_;
};

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_MODULE_CACHE_H_
