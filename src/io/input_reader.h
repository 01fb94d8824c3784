// Reads one whole input, a file or stdin, in large chunks, and inflates gzip
// transparently.
//
// The collapsers stream through their input, so a reader never holds more
// than one chunk (1 MiB, or the inflated output of one chunk): a 1 GB input
// needs no more memory than a small one. gzip is recognised by its magic
// bytes (1f 8b), not by the file name, and concatenated gzip members (as
// `cat a.gz b.gz` makes) are read one after the other.
//
// Errors name the input: "cannot open 'x.txt': No such file or directory".
// A corrupt or truncated gzip stream is an error (kDataLoss), never a silent
// partial result.
#ifndef STACKFIRE_SRC_IO_INPUT_READER_H_
#define STACKFIRE_SRC_IO_INPUT_READER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::io {

class InputReader {
 public:
  static constexpr size_t kChunkSize = 1 << 20;

  // Opens `path`; "-" is stdin.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<InputReader>> Open(std::string_view path);
  // Reads from an open descriptor, which the reader then owns. `name` is
  // what error messages call the input.
  [[nodiscard]] static std::unique_ptr<InputReader> FromFd(ScopedFd fd, std::string name);

  ~InputReader();
  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;

  // The next piece of the (inflated) input, valid until the next call; an
  // empty piece at the end.
  absl::StatusOr<std::string_view> Next();

  // The name given for the input: the path, or "<stdin>".
  const std::string& name() const { return name_; }
  // True once the input was seen to be gzip.
  bool gzip() const { return inflater_ != nullptr; }

 private:
  struct Inflater;
  InputReader(ScopedFd fd, std::string name);

  // Reads up to `size` raw bytes into `out`; 0 at end of file.
  absl::StatusOr<size_t> ReadRaw(char* out, size_t size);
  absl::StatusOr<std::string_view> NextInflated();

  ScopedFd fd_;
  std::string name_;
  bool started_ = false;
  bool raw_eof_ = false;
  std::vector<char> raw_;  // bytes read from fd_
  size_t raw_begin_ = 0, raw_end_ = 0;
  std::vector<char> out_;  // inflated bytes
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace stackfire::io

#endif  // STACKFIRE_SRC_IO_INPUT_READER_H_
