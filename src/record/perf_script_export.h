// A recording as `perf script` text, sample by sample in time order: what
// FlameScope, speedscope, the Firefox Profiler and stackcollapse-perf.pl
// read. Each sample is
//
//   COMM PID/TID SECONDS.MICROS: EVENT:
//   \t    ADDRESS NAME+0x0 (MODULE)      <- leaf first, one line per frame
//   ...
//   <blank line>
//
// with SECONDS on CLOCK_MONOTONIC (the sample's own time). NAME is the
// folded name of the frame without the "_[k]" and "_[j]" suffixes: kernel
// frames name the module [kernel.kallsyms] and JIT frames /tmp/perf-PID.map
// instead, which stackcollapse-perf.pl --all turns back into those
// suffixes; "_[i]" (inlined) stays in the name. A user module named
// "[...]" ([vdso]) loses its brackets, which the script would take for the
// kernel's. Every name ends in "+0x0",
// the offset the script strips, so a name that itself ends in "+0x..."
// (module+0xSTART for code without symbols) survives it. So
// `stackfire collapse --all` of this text gives back the recording's folded
// stacks under one more root frame, the process name that the script
// always adds (--tid or --pid: "comm-PID/TID" as --per-thread records), as
// long as no name holds what the script rewrites: "(" (arguments are cut
// off), quotes, "->".
//
// ADDRESS is the sampled pc (callers: the return address) when the stack
// model kept addresses, else 0.
#ifndef STACKFIRE_SRC_RECORD_PERF_SCRIPT_EXPORT_H_
#define STACKFIRE_SRC_RECORD_PERF_SCRIPT_EXPORT_H_

#include <cstddef>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "src/record/stack_model.h"

namespace stackfire::record {

// Writes samples timeline[begin, end) of `recorded`; event names the
// sampling event ("cpu-clock"). kDataLoss when the stream fails.
absl::Status WritePerfScript(const RecordedProfile& recorded, size_t begin, size_t end,
                             const std::string& event, std::ostream& out);

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_PERF_SCRIPT_EXPORT_H_
