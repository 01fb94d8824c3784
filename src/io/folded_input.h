// Folded stacks read from an InputReader: a plain regular file is parsed in
// place in its mapping (the records point into it; out->owners keeps the
// reader, and so the mapping, alive), anything else (stdin, a pipe, gzip)
// piece by piece into out->storage.
#ifndef STACKFIRE_SRC_IO_FOLDED_INPUT_H_
#define STACKFIRE_SRC_IO_FOLDED_INPUT_H_

#include <memory>

#include "absl/status/status.h"
#include "collapse/folded.h"
#include "src/io/input_reader.h"

namespace stackfire::io {

// Appends the reader's records to *out; lines are named after
// reader->name(). Fails only when reading fails (kDataLoss for a corrupt
// gzip stream); bad lines are counted in *out.
absl::Status ReadFoldedInput(std::unique_ptr<InputReader> reader, collapse::FoldedInput* out,
                             bool allow_two_columns = true);

}  // namespace stackfire::io

#endif  // STACKFIRE_SRC_IO_FOLDED_INPUT_H_
