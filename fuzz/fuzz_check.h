// FUZZ_CHECK for the target bodies (fuzz/*.cc): a broken output property
// prints what broke and aborts, which libFuzzer reports as a crash and the
// regression test (tests/fuzz) as a failed test.
#ifndef STACKFIRE_FUZZ_FUZZ_CHECK_H_
#define STACKFIRE_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace stackfire::fuzz {

[[noreturn]] inline void FuzzFail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz check failed: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline std::string_view FuzzText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace stackfire::fuzz

#define FUZZ_CHECK(cond, detail)                                   \
  do {                                                             \
    if (!(cond)) ::stackfire::fuzz::FuzzFail(#cond, (detail));     \
  } while (0)

#endif  // STACKFIRE_FUZZ_FUZZ_CHECK_H_
