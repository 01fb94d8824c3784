// libFuzzer entry point for the pprof target (body in pprof_target.cc).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stackfire::fuzz::RunTarget("pprof", data, size);
  return 0;
}
