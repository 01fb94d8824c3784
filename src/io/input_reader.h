// Reads one whole input, a file or stdin, in large chunks, and inflates gzip
// transparently.
//
// The collapsers stream through their input, so a reader never holds more
// than one chunk: a 1 GB input needs no more memory than a small one. A
// regular file is mapped (no copy) and handed out one window at a time, each
// window dropped from the process's resident set once the next is asked for;
// pipes and stdin are read() in 256 KiB chunks. A mapped file must not be
// truncated while it is read (as with any mmap, that would raise SIGBUS). gzip is recognised by its magic
// bytes (1f 8b), not by the file name, and concatenated gzip members (as
// `cat a.gz b.gz` makes) are read one after the other.
//
// Head() shows the first bytes (inflated) before anything is consumed, so a
// reader of text can refuse binary input first (input_format.h); to make
// that possible a pipe is read until kHeadSize bytes or its end have come.
//
// Errors name the input: "cannot open 'x.txt': No such file or directory".
// A corrupt or truncated gzip stream is an error (kDataLoss), never a silent
// partial result.
#ifndef STACKFIRE_SRC_IO_INPUT_READER_H_
#define STACKFIRE_SRC_IO_INPUT_READER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::io {

class InputReader {
 public:
  static constexpr size_t kChunkSize = 256 << 10;  // read() and inflate size
  static constexpr size_t kWindowSize = 256 << 10;  // Next(): mapped window size
  static constexpr size_t kHeadSize = 4096;         // Head(): at most this much

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

  // The first bytes of the (inflated) input: up to kHeadSize of them, fewer
  // only when the input is shorter (or a gzip member inflates to less in
  // its first piece). Reading is not affected: Next() and Mapped() still
  // start at the beginning. Valid until the first Next().
  absl::StatusOr<std::string_view> Head();

  // The whole input at once, when it is a plain (not gzip) regular file,
  // mapped; nullopt otherwise, and then Next() gives it piece by piece. Do
  // not mix the two ways of reading.
  absl::StatusOr<std::optional<std::string_view>> Mapped();
  // Drops the pages that lie wholly within bytes [begin, end) of the mapping
  // from the resident set (they stay readable: touching them again reads the
  // file again). Safe to call from several threads.
  void ReleaseMapped(size_t begin, size_t end);

  // The name given for the input: the path, or "<stdin>".
  const std::string& name() const { return name_; }
  // True once the input was seen to be gzip.
  bool gzip() const { return inflater_ != nullptr; }

 private:
  struct Inflater;
  InputReader(ScopedFd fd, std::string name);

  absl::Status Start();
  // Reads up to `size` bytes into `out`; 0 at end of file.
  absl::StatusOr<size_t> ReadSome(char* out, size_t size);
  // The next raw (maybe compressed) bytes; empty at end of file.
  absl::StatusOr<std::string_view> NextRaw();
  absl::StatusOr<std::string_view> NextInflated();
  // No raw bytes left: the end of the input was seen and what Start() read
  // ahead was handed out.
  bool RawDone() const { return raw_eof_ && first_.empty(); }

  ScopedFd fd_;
  std::string name_;
  bool started_ = false;
  bool raw_eof_ = false;
  std::string_view first_;  // raw bytes read to sniff the format, not yet handed out
  std::optional<std::string_view> pending_;  // an inflated piece that Head() looked at
  // A regular file: mapped whole, handed out window by window.
  MmapRegion map_;
  size_t map_pos_ = 0;
  size_t map_dropped_ = 0;  // Next(): bytes before this were released
  // Otherwise: read() into this buffer.
  std::vector<char> buf_;
  std::vector<char> out_;  // inflated bytes
  std::unique_ptr<Inflater> inflater_;
};

}  // namespace stackfire::io

#endif  // STACKFIRE_SRC_IO_INPUT_READER_H_
