// The profile model that the exporters (pprof, speedscope) write: distinct
// frames, each with its inline chain, address and mapping, and samples that
// point at them. It is richer than folded stacks so that `stackfire record`
// can fill it directly (mappings with build-ids, addresses, inline chains);
// FromFolded() builds it from folded stacks, where only names are known.
//
// Conventions:
//   - ExportFrame::lines is innermost first, as pprof's Location.line: the
//     last line is the function that was really called, the ones before it
//     were inlined into it, deepest first.
//   - ExportSample::frames is ROOT FIRST (the folded order); writers reverse
//     it where their format wants the leaf first.
//   - Every name is untrusted bytes; writers escape them for their format.
#ifndef STACKFIRE_EXPORT_EXPORT_PROFILE_H_
#define STACKFIRE_EXPORT_EXPORT_PROFILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stackfire/profile.h"

namespace stackfire::exporter {

struct ExportMapping {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t file_offset = 0;
  std::string file;      // path, or "[vdso]"-style pseudo name
  std::string build_id;  // hex, as in .note.gnu.build-id; empty when unknown
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct ExportLine {
  std::string function;
  std::string file;  // source file; empty when unknown
  int64_t line = 0;  // 0 when unknown
};

struct ExportFrame {
  std::vector<ExportLine> lines;  // innermost first; never empty
  uint64_t address = 0;           // 0 when unknown
  int mapping = -1;               // index into ExportProfile::mappings, or -1
};

struct ExportSample {
  std::vector<uint32_t> frames;  // indices into ExportProfile::frames, root first
  double weight = 0;
  // One value per ExportProfile::extra_types (pprof only), e.g. the summed
  // periods in nanoseconds next to a weight that counts samples.
  std::vector<double> extra;
};

// A pprof ValueType: what a value measures and in what unit.
struct ExportValueType {
  std::string type;
  std::string unit;
};

struct ExportProfile {
  std::vector<ExportMapping> mappings;
  std::vector<ExportFrame> frames;
  std::vector<ExportSample> samples;

  // What a weight measures, as pprof's ValueType: ("samples", "count"), or
  // ("cpu", "nanoseconds") when the weights are periods of a clock event.
  std::string sample_type = "samples";
  std::string sample_unit = "count";
  // The type a viewer shows first (pprof's default_sample_type); "" leaves
  // it to the viewer (Go's pprof takes the last type).
  std::string default_sample_type;
  // Further values per sample, after the weight (pprof writes them as
  // further sample types; speedscope ignores them). Every sample's extra
  // has this size.
  std::vector<ExportValueType> extra_types;
  // The sampling period, when one is known (0 otherwise).
  std::string period_type;
  std::string period_unit;
  int64_t period = 0;
  int64_t time_nanos = 0;      // start of the recording, 0 when unknown
  int64_t duration_nanos = 0;  // 0 when unknown

  double total() const;
};

// How folded weights were measured, for FromFolded().
struct FoldedMeta {
  // The perf event the stacks were collapsed from ("cpu-clock", "cycles"),
  // empty when unknown. Clock events (cpu-clock, task-clock) have periods in
  // nanoseconds, so their weights become ("cpu", "nanoseconds").
  std::string event;
};

// The marker that stackcollapse-perf.pl --inline puts on inlined frames.
inline constexpr std::string_view kInlineSuffix = "_[i]";

// Builds the model from folded stacks. A run of frames ending in "_[i]"
// (root first: "main;outer;inl_a_[i];inl_b_[i]") was inlined into the frame
// just before it, so the run folds into that frame's ExportFrame:
// lines = {inl_b, inl_a, outer}, the suffix removed. A "_[i]" frame with no
// frame before it stays a frame of its own. Stacks keep the profile's
// bytewise order, so the output does not depend on the input order.
ExportProfile FromFolded(const Profile& profile, const FoldedMeta& meta = {});

}  // namespace stackfire::exporter

#endif  // STACKFIRE_EXPORT_EXPORT_PROFILE_H_
