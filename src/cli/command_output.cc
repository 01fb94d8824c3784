// See command_output.h.
#include "src/cli/command_output.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace stackfire::cli {

absl::StatusOr<CommandOutput> CommandOutput::Open(std::string_view path) {
  if (path.empty() || path == "-") return CommandOutput(nullptr);
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::Create(std::string(path));
  if (!file.ok()) return file.status();
  return CommandOutput(*std::move(file));
}

std::ostream& CommandOutput::stream() { return file_ != nullptr ? file_->stream() : std::cout; }

absl::Status CommandOutput::Finish(std::string_view what) {
  if (file_ != nullptr) return file_->Commit();
  std::cout.flush();
  if (!std::cout)
    return absl::DataLossError(absl::StrCat("cannot write ", std::string(what), " to stdout"));
  return absl::OkStatus();
}

}  // namespace stackfire::cli
