// libFuzzer entry point for the diff_svg target (body in targets.cc).
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  stackfire::fuzz::RunTarget("diff_svg", data, size);
  return 0;
}
