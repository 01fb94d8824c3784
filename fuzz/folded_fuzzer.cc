// libFuzzer entry point for the folded target (body in targets.cc).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stackfire::fuzz::RunTarget("folded", data, size);
  return 0;
}
