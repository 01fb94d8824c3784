// Turns unwound program counters into the recording's one symbolized stack
// (stack_model.h): the pcs of a StackKey, symbolized, put root first, with a
// "[truncated]" or "[unknown]" marker at the root when the unwind was cut
// short or failed (so partial stacks gather under one root instead of
// posing as roots of their own).
//
// Symbolization is the expensive step, so stacks are cached by the whole
// key: a stack seen before costs one hash lookup, and the symbolizer runs
// once per unique stack (and, below it, once per unique pc). The cache key
// includes the process and its maps generation, because the same address
// means different code in different processes or after exec/dlopen.
//
// With addresses (pprof), a location is one sampled address in one mapping,
// symbolized once, and the mapping's build-id comes from the shared
// elf::ModuleCache when its MMAP2 record carried none. Without, a location
// is only its inline chain, so that the model grows with distinct names, not
// with the addresses a long recording visits.
//
// Not thread-safe: owned by the pipeline's worker thread.
#ifndef STACKFIRE_SRC_RECORD_STACK_BUILDER_H_
#define STACKFIRE_SRC_RECORD_STACK_BUILDER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "src/elf/module_cache.h"
#include "src/record/stack_model.h"
#include "stackfire/process_maps.h"
#include "stackfire/symbolizer.h"

namespace stackfire::record {

struct StackKey {
  uint32_t pid = 0;
  uint64_t maps_generation = 0;
  bool truncated = false;  // the unwind ran off the stack copy: "[truncated]" root
  bool failed = false;     // the unwind stopped on a bad frame: "[unknown]" root
  const std::vector<uint64_t>* user_pcs = nullptr;    // leaf first; [0] is the sampled pc
  const std::vector<uint64_t>* kernel_ips = nullptr;  // leaf first
  // Kernel frames known only by name (/proc/PID/task/TID/stack of a thread
  // blocked when the recording started), leaf first, below kernel_ips.
  const std::vector<std::string>* kernel_names = nullptr;
  // An off-CPU stack: ends in the "[off-cpu]" leaf (stackfire/profile.h).
  bool off_cpu = false;
};

// Appends the bytes that identify the stack of `key` (its process, maps
// generation, marker and pcs): equal bytes mean an equal symbolized stack.
void AppendStackKey(const StackKey& key, std::string* out);

class StackBuilder {
 public:
  struct Options {
    // Keep each location's address and mapping (pprof's model).
    bool addresses = false;
  };

  // symbolizer and store must outlive the builder; modules (may be null)
  // gives build-ids of mappings whose MMAP2 record had none.
  StackBuilder(Symbolizer* symbolizer, elf::ModuleCache* modules, Options options,
               StackStore* store)
      : symbolizer_(symbolizer), modules_(modules), options_(options), store_(store) {}

  // The id of key's stack in the store.
  uint32_t Build(const StackKey& key, const ProcessMaps& maps);
  // The location of a root frame (ThreadRootFrame, ProcessRootFrame).
  uint32_t Root(std::string_view name) { return Named(name, FrameKind::kRoot); }

  size_t cached_keys() const { return cache_.size(); }

 private:
  uint32_t Named(std::string_view name, FrameKind kind);
  uint32_t UserLocation(uint32_t pid, const ProcessMaps& maps, uint64_t pc, bool is_return);
  uint32_t KernelLocation(uint64_t pc);
  // Interns scratch_'s frames (innermost first) into frame_ids_.
  void InternFrames(int32_t module);
  // Without addresses: the location of frame_ids_, by content.
  uint32_t ChainLocation(LocationKind kind);
  int32_t MappingFor(uint32_t pid, const Mapping& m);
  // Entries made under an older maps generation of their process can never
  // be hit again. A process that keeps mapping code (dlopen churn, a JIT)
  // would otherwise grow the cache without bound: they are swept out once
  // the cache has doubled since the last sweep.
  void SweepStale();

  Symbolizer* symbolizer_;
  elf::ModuleCache* modules_;
  Options options_;
  StackStore* store_;

  absl::flat_hash_map<std::string, uint32_t> cache_;    // key bytes -> stack
  absl::flat_hash_map<uint32_t, uint64_t> generation_;  // pid -> newest seen
  bool stale_ = false;
  size_t sweep_at_ = 4096;
  std::string key_;
  std::vector<Frame> scratch_;
  std::vector<uint32_t> frame_ids_;
  std::vector<uint32_t> locations_;  // leaf first while building

  absl::flat_hash_map<std::pair<FrameKind, std::string>, uint32_t> named_;
  // Without addresses: (kind, frame ids) -> location.
  absl::flat_hash_map<std::pair<LocationKind, std::vector<uint32_t>>, uint32_t> chains_;
  // With addresses: (pid when unmapped else 0, mapping, pc, is_return) ->
  // location; kernel pc -> location.
  absl::flat_hash_map<std::tuple<uint32_t, int32_t, uint64_t, bool>, uint32_t> user_;
  absl::flat_hash_map<uint64_t, uint32_t> kernel_;
  // (pid, start, end, pgoff, inode, path) -> mapping.
  absl::flat_hash_map<std::tuple<uint32_t, uint64_t, uint64_t, uint64_t, uint64_t, std::string>,
                      int32_t>
      mappings_;
};

// "comm-pid/tid" with spaces turned into '_', as stackcollapse-perf.pl --tid
// names a thread.
std::string ThreadRootFrame(std::string_view comm, uint32_t pid, uint32_t tid);

// "comm-pid" with spaces turned into '_', as stackcollapse-perf.pl --pid
// names a process.
std::string ProcessRootFrame(std::string_view comm, uint32_t pid);

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_STACK_BUILDER_H_
