// libFuzzer entry point for the perf_record target (body in targets.cc).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stackfire::fuzz::RunTarget("perf_record", data, size);
  return 0;
}
