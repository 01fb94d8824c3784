// Helpers shared by the collapse tests: testdata paths and whole-file reads
// through the same reader the CLI uses (so .gz files read transparently).
#ifndef STACKFIRE_TESTS_COLLAPSE_TEST_FILES_H_
#define STACKFIRE_TESTS_COLLAPSE_TEST_FILES_H_

#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "src/io/input_reader.h"

namespace stackfire::testing {

// $STACKFIRE_TESTDATA, set by meson for every test.
inline std::string TestdataDir() {
  const char* dir = std::getenv("STACKFIRE_TESTDATA");
  return dir != nullptr ? dir : "";
}

inline absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<io::InputReader>> reader = io::InputReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::string all;
  while (true) {
    absl::StatusOr<std::string_view> piece = (*reader)->Next();
    if (!piece.ok()) return piece.status();
    if (piece->empty()) return all;
    all.append(*piece);
  }
}

}  // namespace stackfire::testing

#endif  // STACKFIRE_TESTS_COLLAPSE_TEST_FILES_H_
