// Where a command writes its result: stdout for "" or "-", else a file
// written all at once through io::AtomicFile (a reader never sees half of
// it; when the command fails, the old file stays as it was).
#ifndef STACKFIRE_SRC_CLI_COMMAND_OUTPUT_H_
#define STACKFIRE_SRC_CLI_COMMAND_OUTPUT_H_

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/io/atomic_file.h"

namespace stackfire::cli {

class CommandOutput {
 public:
  // Fails (kNotFound, kPermissionDenied, ...) with a message naming path
  // when the file cannot be created; stdout always opens.
  [[nodiscard]] static absl::StatusOr<CommandOutput> Open(std::string_view path);

  std::ostream& stream();
  bool to_stdout() const { return file_ == nullptr; }

  // Ends the output: stdout is flushed and checked, a file is committed.
  // Without Finish(), a file is discarded. `what` names the contents in
  // the message of a failed write to stdout ("the SVG").
  absl::Status Finish(std::string_view what = "the output");

 private:
  explicit CommandOutput(std::unique_ptr<io::AtomicFile> file) : file_(std::move(file)) {}
  std::unique_ptr<io::AtomicFile> file_;
};

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_COMMAND_OUTPUT_H_
