// Builds the export model (export/export_profile.h) while recording, next to
// the folded profile, for `stackfire record -o profile.pb.gz` and
// `-o x.speedscope.json`.
//
// Folded text has only names; a recording knows more, and pprof has a place
// for all of it: every distinct sampled address becomes one ExportFrame with
// its address, its inline chain (innermost first, as pprof's Location.line),
// source files and lines when the symbolizer gives them, and the mapping it
// lies in (file, address range, file offset, build-id). Stacks are cached by
// the StackFolder's key, so the work is per unique stack, not per sample,
// and every name is the one the folded profile gets: the two outputs of one
// recording agree stack for stack.
//
// Not thread-safe: owned by the pipeline's worker thread.
#ifndef STACKFIRE_SRC_RECORD_EXPORT_COLLECTOR_H_
#define STACKFIRE_SRC_RECORD_EXPORT_COLLECTOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "export/export_profile.h"
#include "src/elf/module_cache.h"
#include "src/record/stack_folder.h"
#include "stackfire/process_maps.h"
#include "stackfire/symbolizer.h"

namespace stackfire::record {

class ExportCollector {
 public:
  // modules (borrowed, may be null) gives the build-ids of mapped files
  // whose MMAP2 record carried none.
  ExportCollector(Symbolizer* symbolizer, elf::ModuleCache* modules)
      : symbolizer_(symbolizer), modules_(modules) {}

  // Adds one sample of the stack `key` (as StackFolder::Fold takes it) under
  // the root frame `root` ("comm-pid/tid", "comm-pid", or empty for none),
  // with the event period the kernel reported for it.
  void Add(std::string_view root, const StackKey& key, const ProcessMaps& maps, uint64_t period);

  // What the event measures, set once before Take(): clock events
  // (cpu-clock, task-clock) count nanoseconds. frequency_hz gives the
  // nominal period (0 when sampling by period).
  struct Meta {
    std::string event = "cpu-clock";
    uint64_t frequency_hz = 0;
    int64_t time_nanos = 0;
    int64_t duration_nanos = 0;
  };
  // The model: weight = samples (count), extra[0] = the summed periods
  // (cpu nanoseconds for clock events, else counts of the event). Leaves
  // the collector empty.
  exporter::ExportProfile Take(const Meta& meta);

  size_t samples() const { return profile_.samples.size(); }

 private:
  uint32_t UserFrame(uint32_t pid, const ProcessMaps& maps, uint64_t pc, bool is_return);
  uint32_t KernelFrame(uint64_t pc);
  uint32_t NamedFrame(std::string_view name);
  int MappingFor(uint32_t pid, const Mapping& m);
  std::string BuildIdHexOf(const Mapping& m);

  Symbolizer* symbolizer_;
  elf::ModuleCache* modules_;
  exporter::ExportProfile profile_;
  std::string key_;
  std::vector<Frame> scratch_;
  std::vector<uint32_t> frames_;
  // Stack key -> index into stacks_ (frame ids, root first, no root frame).
  absl::flat_hash_map<std::string, uint32_t> stack_index_;
  std::vector<std::vector<uint32_t>> stacks_;
  // (root frame id + 1 or 0, stack index) -> sample index.
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, uint32_t> sample_index_;
  // (pid when unmapped else 0, mapping index, pc, is_return) -> frame id.
  absl::flat_hash_map<std::tuple<uint32_t, int, uint64_t, bool>, uint32_t> user_frames_;
  absl::flat_hash_map<uint64_t, uint32_t> kernel_frames_;
  absl::flat_hash_map<std::string, uint32_t> named_frames_;
  // (pid, start, end, pgoff, inode, path) -> mapping index.
  absl::flat_hash_map<std::tuple<uint32_t, uint64_t, uint64_t, uint64_t, uint64_t, std::string>,
                      int>
      mapping_index_;
};

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_EXPORT_COLLECTOR_H_
