// The one model of what a recording found: symbolized stacks and their
// weights. StackBuilder (stack_builder.h) fills it from unwound pcs; every
// output reads it (stack_views.h): the folded profile (and from it the SVG
// and the report), pprof and speedscope. So a stack is symbolized, marked
// ([truncated], [unknown]) and put root-first in one place only.
//
//   frame     one function level: name, kind, module, source file and line.
//             Interned: equal frames share one id.
//   location  one sampled address (pprof's Location): the frames of its
//             inline chain, innermost first, with the address and mapping
//             when addresses are kept (for pprof), else just the chain.
//   stack     locations root-first. Interned: equal stacks share one id.
//   weights   (root, stack) -> weight and summed periods, in first-seen
//             order. The root is the "comm-pid[/tid]" location of
//             --per-pid/--per-thread, or kNoRoot.
//
// Weights are int64 in a unit the model names: samples today; off-CPU
// recordings (wall time) use nanoseconds, so that on-CPU periods and
// blocked times add up in one unit. Row indices are stable, so the per-sample
// timeline (time, tid, row: 16 bytes a sample) points into the rows.
//
// Append-only; not thread-safe: the pipeline's worker builds it, and hands
// it over when the recording ends.
#ifndef STACKFIRE_SRC_RECORD_STACK_MODEL_H_
#define STACKFIRE_SRC_RECORD_STACK_MODEL_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "stackfire/timeline.h"

namespace stackfire::record {

inline constexpr char kTruncatedFrame[] = "[truncated]";
inline constexpr char kUnknownFrame[] = "[unknown]";

// The symbolizer's kinds (stackfire/symbolizer.h, same order), then the
// frames a recording adds itself.
enum class FrameKind : uint8_t {
  kUser,
  kInlined,
  kKernel,
  kJit,
  kUnresolved,
  kMarker,  // "[truncated]", "[unknown]": why a stack is partial
  kRoot,    // "comm-pid", "comm-pid/tid": whose stack it is
};

struct StackFrame {
  // As in folded text: passed through SanitizeFrameName, with the suffix of
  // its kind ("_[i]" inlined, "_[k]" kernel, "_[j]" JIT).
  std::string name;
  FrameKind kind = FrameKind::kUser;
  int32_t module = -1;  // index into StackStore::modules(); -1: none
  std::string file;     // source file, when the symbolizer was asked for it
  int line = 0;

  bool operator==(const StackFrame& o) const {
    return kind == o.kind && module == o.module && line == o.line && name == o.name &&
           file == o.file;
  }
  template <typename H>
  friend H AbslHashValue(H h, const StackFrame& f) {
    return H::combine(std::move(h), f.name, f.kind, f.module, f.file, f.line);
  }
};

enum class LocationKind : uint8_t { kUser, kKernel, kNamed };

struct StackLocation {
  LocationKind kind = LocationKind::kUser;
  uint64_t address = 0;       // the pc (callers: the return address); 0 when not kept
  int32_t mapping = -1;       // index into StackStore::mappings(); -1: none or not kept
  uint32_t frames_begin = 0;  // range in StackStore's frame-id list, innermost first
  uint32_t frames_end = 0;
};

// A mapped file as pprof describes it; kept only with addresses.
struct StackMapping {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t file_offset = 0;
  std::string file;
  std::string build_id;  // raw bytes; empty when unknown
};

class StackStore {
 public:
  StackStore() = default;
  // Moves rebuild the stack index (its hash looks stacks up in this
  // object); copies are not needed.
  StackStore(StackStore&& other) noexcept { *this = std::move(other); }
  StackStore& operator=(StackStore&& other) noexcept;
  StackStore(const StackStore&) = delete;
  StackStore& operator=(const StackStore&) = delete;

  uint32_t InternFrame(const StackFrame& frame);
  int32_t InternModule(std::string_view path);
  int32_t AddMapping(StackMapping mapping);
  // frames: ids, innermost first.
  uint32_t AddLocation(LocationKind kind, uint64_t address, int32_t mapping,
                       std::span<const uint32_t> frames);
  // locations: ids, root first.
  uint32_t InternStack(std::span<const uint32_t> locations);

  const StackFrame& frame(uint32_t id) const { return frames_[id]; }
  const StackLocation& location(uint32_t id) const { return locations_[id]; }
  std::span<const uint32_t> frames_of(const StackLocation& l) const {
    return std::span<const uint32_t>(location_frames_)
        .subspan(l.frames_begin, l.frames_end - l.frames_begin);
  }
  std::span<const uint32_t> locations_of(uint32_t stack) const {
    const auto [begin, end] = stacks_[stack];
    return std::span<const uint32_t>(stack_locations_).subspan(begin, end - begin);
  }
  // Calls fn(const StackFrame&) for every frame of stack, root first (each
  // location's inline chain outermost first).
  template <typename Fn>
  void ForEachFrame(uint32_t stack, Fn&& fn) const {
    for (uint32_t loc : locations_of(stack)) {
      const std::span<const uint32_t> chain = frames_of(locations_[loc]);
      for (size_t i = chain.size(); i-- > 0;) fn(frames_[chain[i]]);
    }
  }

  size_t frame_count() const { return frames_.size(); }
  size_t location_count() const { return locations_.size(); }
  size_t stack_count() const { return stacks_.size(); }
  const std::vector<std::string>& modules() const { return modules_; }
  const std::vector<StackMapping>& mappings() const { return mappings_; }

 private:
  // Hash and equality over a stack's location ids, looked up in
  // stack_locations_ (the index stores stack ids, not copies).
  struct StackHash {
    using is_transparent = void;
    const StackStore* store;
    size_t operator()(uint32_t stack) const { return (*this)(store->locations_of(stack)); }
    size_t operator()(std::span<const uint32_t> locations) const;
  };
  struct StackEq {
    using is_transparent = void;
    const StackStore* store;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, std::span<const uint32_t> b) const;
    bool operator()(std::span<const uint32_t> a, uint32_t b) const { return (*this)(b, a); }
  };

  std::vector<StackFrame> frames_;
  absl::flat_hash_map<StackFrame, uint32_t> frame_index_;
  std::vector<std::string> modules_;
  absl::flat_hash_map<std::string, int32_t> module_index_;
  std::vector<StackMapping> mappings_;
  std::vector<StackLocation> locations_;
  std::vector<uint32_t> location_frames_;
  std::vector<std::pair<uint32_t, uint32_t>> stacks_;  // ranges in stack_locations_
  std::vector<uint32_t> stack_locations_;
  using StackIndex = absl::flat_hash_set<uint32_t, StackHash, StackEq>;
  StackIndex stack_index_{0, StackHash{this}, StackEq{this}};
};

// What a weight counts.
enum class WeightUnit : uint8_t { kSamples, kNanoseconds };

inline constexpr uint32_t kNoRoot = UINT32_MAX;

struct WeightedStack {
  uint32_t root = kNoRoot;  // location id of the root frame, or kNoRoot
  uint32_t stack = 0;
  int64_t weight = 0;  // in StackWeights::unit()
  int64_t period = 0;  // the event's summed periods (nanoseconds for clock events)
};

class StackWeights {
 public:
  explicit StackWeights(WeightUnit unit = WeightUnit::kSamples) : unit_(unit) {}

  // Adds to the row of (root, stack), made on first use; returns its index.
  uint32_t Add(uint32_t root, uint32_t stack, int64_t weight, int64_t period) {
    auto [it, inserted] =
        index_.try_emplace(std::make_pair(root, stack), static_cast<uint32_t>(rows_.size()));
    if (inserted) rows_.push_back(WeightedStack{root, stack, 0, 0});
    WeightedStack& row = rows_[it->second];
    row.weight += weight;
    row.period += period;
    total_ += weight;
    return it->second;
  }

  // Adds delta to a row's weight and period (off-CPU recordings rescale a
  // thread's on-CPU samples to its measured time).
  void AdjustRow(uint32_t row, int64_t delta) {
    rows_[row].weight += delta;
    rows_[row].period += delta;
    total_ += delta;
  }

  const std::vector<WeightedStack>& rows() const { return rows_; }  // first-seen order
  WeightUnit unit() const { return unit_; }
  int64_t total() const { return total_; }

 private:
  WeightUnit unit_;
  std::vector<WeightedStack> rows_;
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, uint32_t> index_;
  int64_t total_ = 0;
};

// Who a sampled thread is, for outputs that name every sample's thread
// (perf script text).
struct ThreadIdentity {
  uint32_t pid = 0;
  std::string comm;
};

// A recording's stacks and their weights, and when each sample happened.
struct RecordedProfile {
  StackStore stacks;
  StackWeights weights;
  // One entry per sample, in the order the worker added them (time order
  // within a batch; batches follow each other in time): time_ns on
  // CLOCK_MONOTONIC, tid, and stack = the row of weights it added to.
  std::vector<TimedSample> timeline;
  absl::flat_hash_map<uint32_t, ThreadIdentity> threads;  // by tid, every sampled thread
};

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_STACK_MODEL_H_
