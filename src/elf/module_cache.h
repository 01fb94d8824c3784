// Maps a Mapping to its ElfModule and load bias: the one place where a
// recording opens the target's ELF files. The record session owns one cache
// and lends it to the unwinder (CFI), the symbolizer (symbols, DWARF) and the
// stack table (build-ids), so each file is opened and parsed once per
// recording, however many of them look at it.
//
// Files are shared by build-id (the same library mapped by two processes, or
// loaded again after dlclose) and, for mappings that carry no build-id (read
// from /proc/PID/maps at attach), by device and inode: the several mappings
// of one file (r--p, r-xp, r--p) never open it twice.
//
// Lookup is on the hot path of every frame: a repeated mapping is answered
// from a four-entry memo, then from a hash map keyed by the mapping's identity
// (range, offset, device, inode, build-id); only a mapping never seen before
// can open a file. Failures are remembered per mapping, so a missing file
// costs one open() per mapping of it.
//
// Modules live as long as the cache: ElfModule pointers and ModuleRef::index
// stay valid until it is destroyed (side tables such as the unwinder's CFI
// tables are keyed by them, and must be destroyed first). Not thread-safe:
// one cache per worker thread.
#ifndef STACKFIRE_SRC_ELF_MODULE_CACHE_H_
#define STACKFIRE_SRC_ELF_MODULE_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "src/elf/elf_module.h"
#include "stackfire/process_maps.h"

namespace stackfire::elf {

struct ModuleRef {
  ElfModule* module = nullptr;  // null: the mapping has no usable ELF
  uint64_t bias = 0;            // run-time address - ELF vaddr
  // The module's dense number in its cache (0, 1, 2, ... in the order the
  // files were opened): the key of side tables. Valid when module is set.
  uint32_t index = 0;
  // The file behind the mapping when it could be opened, even when module
  // is null because no PT_LOAD matches the mapping's offset: its build-id
  // still names the file.
  const ElfModule* file = nullptr;
};

class ModuleCache {
 public:
  struct Stats {
    uint64_t files_opened = 0;        // successful ElfModule::Open
    uint64_t open_failures = 0;
    uint64_t shared_by_build_id = 0;  // mappings served by a module of the same build-id
    uint64_t shared_by_inode = 0;     // mappings served by a module of the same file
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

  // The raw build-id of the file behind mapping: the kernel's
  // (PERF_RECORD_MMAP2) when the mapping has one, else the file's own, read
  // through the cache; "" when there is none or no file.
  std::string BuildIdOf(const Mapping& mapping);

  // A target that maps code at ever new addresses (dlopen churn) would grow
  // the per-mapping index without bound: past a few thousand entries it is
  // dropped (the modules themselves stay). This invalidates every ModuleRef
  // pointer handed out, so call it only where none is held: at the start of
  // a sample's unwind or of a symbol lookup.
  void TrimIfLarge();

  // The error of the last failed open, for diagnostics.
  const std::string& last_error() const { return last_error_; }
  // One line per file that could not be used (the first error met).
  void AppendWarnings(std::vector<std::string>* out) const;
  const Stats& stats() const { return stats_; }
  size_t module_count() const { return modules_.size(); }

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
  // A file on disk: device and inode.
  using FileKey = std::tuple<uint32_t, uint32_t, uint64_t>;

  const ModuleRef* LookupSlow(const Key& key, const Mapping& mapping);
  std::unique_ptr<ModuleRef> Resolve(const Mapping& mapping);
  // The module of the file behind mapping, opened if no module of the same
  // build-id or file is known; null when it cannot be opened. *index is its
  // dense number.
  ElfModule* Find(const Mapping& mapping, uint32_t* index);
  void NoteFailure(const Mapping& mapping, std::string message);

  // Stacks alternate between a few modules (the program, libc, ...).
  struct Memo {
    Key key{};
    const ModuleRef* ref = nullptr;
  };
  static constexpr size_t kMemo = 4;
  static constexpr size_t kMaxMappings = 4096;

  absl::flat_hash_map<Key, std::unique_ptr<ModuleRef>> by_mapping_;
  std::vector<std::unique_ptr<ElfModule>> modules_;  // by index
  absl::flat_hash_map<std::string, uint32_t> by_build_id_;
  absl::flat_hash_map<FileKey, uint32_t> by_file_;
  Memo memo_[kMemo];
  size_t memo_next_ = 0;
  std::string last_error_;
  absl::flat_hash_map<std::string, std::string> failures_;  // path -> first error
  std::vector<std::string> failure_order_;
  Stats stats_;
};

}  // namespace stackfire::elf

#endif  // STACKFIRE_SRC_ELF_MODULE_CACHE_H_
