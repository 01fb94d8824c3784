// What the outputs read from a recording's stack model (stack_model.h): the
// folded profile (folded text, the SVG, the report) and the export model
// (pprof, speedscope). Both are views of the one symbolized stack, so the
// outputs of one recording agree stack for stack and name for name.
#ifndef STACKFIRE_SRC_RECORD_STACK_VIEWS_H_
#define STACKFIRE_SRC_RECORD_STACK_VIEWS_H_

#include <cstdint>
#include <string>

#include "export/export_profile.h"
#include "src/record/stack_model.h"
#include "stackfire/profile.h"

namespace stackfire::record {

// "root;frame;...;leaf weight" for every row, root first; rows whose
// stacks fold to the same text add up. Stacks keep their first-seen order.
// Weights in nanoseconds (off-CPU recordings) are written in microseconds,
// rounded per folded stack; stacks under half a microsecond are left out.
Profile ToFolded(const RecordedProfile& recorded);

// What the event measures, for the export model: clock events (cpu-clock,
// task-clock) count nanoseconds. frequency_hz gives the nominal period (0
// when sampling by period).
struct ExportMeta {
  std::string event = "cpu-clock";
  uint64_t frequency_hz = 0;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  bool off_cpu = false;  // weights are wall time in nanoseconds
};

// The export model: one ExportFrame per location (address, mapping, its
// inline chain innermost first, as pprof's Location.line), one sample per
// row with weight = the row's weight (samples) and extra[0] = its summed
// periods (cpu nanoseconds for clock events, else counts of the event). The
// main binary's mapping comes first, as pprof expects. Faithful to pprof
// when the stacks were built with addresses (StackBuilder::Options).
//
// Off-CPU recordings (weights in nanoseconds): the weight is wall/nanoseconds
// (the default type), extra[0] its on-CPU part (on-cpu/nanoseconds) and
// extra[1] its off-CPU part (off-cpu/nanoseconds): a stack is one or the
// other, by its "[off-cpu]" leaf.
exporter::ExportProfile ToExport(const RecordedProfile& recorded, const ExportMeta& meta);

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_STACK_VIEWS_H_
