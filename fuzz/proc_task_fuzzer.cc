// libFuzzer entry point for the proc_task target (body in targets.cc).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stackfire::fuzz::RunTarget("proc_task", data, size);
  return 0;
}
