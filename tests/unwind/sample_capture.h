// Produces real RawSamples without perf, for the unwinder and symbolizer
// tests and the unwind benchmark: runs a target, stops it with
// PTRACE_INTERRUPT at random moments, takes its registers (converted to DWARF
// numbering, as the sampler does) and a copy of up to `stack_bytes` of its
// stack from rsp (cut at the end of the stack mapping, like dyn_size), and
// reads its maps (again at the end, so late-loaded libraries are known). The samples are then unwound offline, after the target is
// gone, exactly as recorded samples are.
#ifndef STACKFIRE_TESTS_UNWIND_SAMPLE_CAPTURE_H_
#define STACKFIRE_TESTS_UNWIND_SAMPLE_CAPTURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/process_maps.h"
#include "stackfire/raw_sample.h"

namespace stackfire::testing {

struct CaptureOptions {
  int samples = 300;
  uint32_t stack_bytes = 8192;
  int warmup_ms = 100;
  int min_gap_us = 200;
  int max_gap_us = 2000;
  unsigned seed = 1;
};

struct Capture {
  int pid = 0;
  ProcessMaps maps;
  std::vector<RawSample> samples;
};

// Runs `argv` (argv[0] is the binary path), captures, then kills it.
absl::StatusOr<Capture> CaptureSamples(const std::vector<std::string>& argv,
                                       const CaptureOptions& options);

// Removes the /tmp/perf-PID.map the target may have written (the workload's
// JIT phase does).
void RemoveJitMap(const Capture& capture);

// A copy of a sample with the stack copy cut to `bytes` (a tiny dyn_size).
RawSample TruncatedCopy(const RawSample& s, size_t bytes);

}  // namespace stackfire::testing

#endif  // STACKFIRE_TESTS_UNWIND_SAMPLE_CAPTURE_H_
