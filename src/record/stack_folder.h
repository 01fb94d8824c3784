// Turns unwound program counters into folded stacks ("main;work;leaf").
//
// Symbolization is the expensive step, so results are cached by the whole pc
// vector: a stack seen before costs one hash lookup, and the symbolizer runs
// once per unique stack (and, below it, once per unique pc). The cache key
// includes the process and its maps generation, because the same address
// means different code in different processes or after exec/dlopen.
//
// Not thread-safe: owned by the pipeline's worker thread.
#ifndef STACKFIRE_SRC_RECORD_STACK_FOLDER_H_
#define STACKFIRE_SRC_RECORD_STACK_FOLDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "stackfire/process_maps.h"
#include "stackfire/symbolizer.h"

namespace stackfire::record {

inline constexpr char kTruncatedFrame[] = "[truncated]";
inline constexpr char kUnknownFrame[] = "[unknown]";

struct StackKey {
  uint32_t pid = 0;
  uint64_t maps_generation = 0;
  bool truncated = false;  // the unwind ran off the stack copy: "[truncated]" root
  bool failed = false;     // the unwind stopped on a bad frame: "[unknown]" root
  const std::vector<uint64_t>* user_pcs = nullptr;    // leaf first; [0] is the sampled pc
  const std::vector<uint64_t>* kernel_ips = nullptr;  // leaf first
};

class StackFolder {
 public:
  explicit StackFolder(Symbolizer* symbolizer) : symbolizer_(symbolizer) {}

  // The folded stack, root first: a "[truncated]" or "[unknown]" marker when
  // the unwind was cut short or failed (so partial stacks gather under one
  // root instead of posing as roots of their own), the user frames, then the
  // kernel frames. The reference stays
  // valid until the next call.
  const std::string& Fold(const StackKey& key, const ProcessMaps& maps);

  size_t unique_stacks() const { return cache_.size(); }

 private:
  // Entries made under an older maps generation of their process can never
  // be hit again. A process that keeps mapping code (dlopen churn, a JIT)
  // would otherwise grow the cache without bound: they are swept out once
  // the cache has doubled since the last sweep.
  void SweepStale();

  Symbolizer* symbolizer_;
  absl::flat_hash_map<std::string, std::string> cache_;
  absl::flat_hash_map<uint32_t, uint64_t> generation_;  // pid -> newest seen
  bool stale_ = false;
  size_t sweep_at_ = 4096;
  std::string key_;
  std::vector<Frame> frames_;
  std::vector<Frame> scratch_;
};

// Appends the bytes that identify the stack of `key` (its process, maps
// generation, marker and pcs): equal bytes mean an equal folded stack.
void AppendStackKey(const StackKey& key, std::string* out);

// "comm-pid/tid" with spaces turned into '_', as stackcollapse-perf.pl --tid
// names a thread.
std::string ThreadRootFrame(std::string_view comm, uint32_t pid, uint32_t tid);

// "comm-pid" with spaces turned into '_', as stackcollapse-perf.pl --pid
// names a process.
std::string ProcessRootFrame(std::string_view comm, uint32_t pid);

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_STACK_FOLDER_H_
