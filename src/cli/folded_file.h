// Opens folded input for the CLI: a regular file is mapped (no copy: the
// records point into the mapping, which the FoldedInput keeps alive), "-"
// and pipes are read as a stream.
#ifndef STACKFIRE_SRC_CLI_FOLDED_FILE_H_
#define STACKFIRE_SRC_CLI_FOLDED_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "collapse/folded.h"

namespace stackfire::cli {

// kNotFound / kPermissionDenied name the path; bad lines are only counted.
absl::Status ReadFoldedPath(const std::string& path, FoldedInput* out,
                            bool allow_two_columns = true);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_FOLDED_FILE_H_
