#include "src/io/input_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stackfire::io {

struct InputReader::Inflater {
  z_stream z{};
  bool member_done = false;
  ~Inflater() { inflateEnd(&z); }
};

absl::StatusOr<std::unique_ptr<InputReader>> InputReader::Open(std::string_view path) {
  if (path == "-") {
    ScopedFd in(fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!in) return absl::FailedPreconditionError("cannot read stdin: it is closed");
    return FromFd(std::move(in), "<stdin>");
  }
  std::string p(path);
  ScopedFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    std::string msg = absl::StrCat("cannot open '", p, "': ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(msg);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
    return absl::ErrnoToStatus(err, absl::StrCat("cannot open '", p, "'"));
  }
  return FromFd(std::move(fd), std::move(p));
}

std::unique_ptr<InputReader> InputReader::FromFd(ScopedFd fd, std::string name) {
  return std::unique_ptr<InputReader>(new InputReader(std::move(fd), std::move(name)));
}

InputReader::InputReader(ScopedFd fd, std::string name)
    : fd_(std::move(fd)), name_(std::move(name)), raw_(kChunkSize) {}

InputReader::~InputReader() = default;

absl::StatusOr<size_t> InputReader::ReadRaw(char* out, size_t size) {
  while (true) {
    ssize_t n = ::read(fd_.get(), out, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    int err = errno;
    if (err == EISDIR) return absl::InvalidArgumentError(absl::StrCat("'", name_, "' is a directory"));
    return absl::DataLossError(absl::StrCat("cannot read '", name_, "': ", std::strerror(err)));
  }
}

absl::StatusOr<std::string_view> InputReader::Next() {
  if (!fd_) return absl::FailedPreconditionError(absl::StrCat("'", name_, "' is not open"));
  if (!started_) {
    started_ = true;
    // Enough bytes to see the gzip magic, even from a pipe that trickles.
    while (raw_end_ < 2 && !raw_eof_) {
      absl::StatusOr<size_t> n = ReadRaw(raw_.data() + raw_end_, raw_.size() - raw_end_);
      if (!n.ok()) return n.status();
      if (*n == 0) raw_eof_ = true;
      raw_end_ += *n;
    }
    if (raw_end_ >= 2 && static_cast<unsigned char>(raw_[0]) == 0x1f &&
        static_cast<unsigned char>(raw_[1]) == 0x8b) {
      inflater_ = std::make_unique<Inflater>();
      if (inflateInit2(&inflater_->z, 16 + MAX_WBITS) != Z_OK) {
        return absl::ResourceExhaustedError("cannot start zlib's inflate");
      }
      inflater_->z.next_in = reinterpret_cast<Bytef*>(raw_.data());
      inflater_->z.avail_in = static_cast<uInt>(raw_end_);
      raw_begin_ = raw_end_;
      out_.resize(kChunkSize);
    }
  }
  if (inflater_) return NextInflated();
  if (raw_begin_ < raw_end_) {
    std::string_view piece(raw_.data() + raw_begin_, raw_end_ - raw_begin_);
    raw_begin_ = raw_end_;
    return piece;
  }
  if (raw_eof_) return std::string_view();
  absl::StatusOr<size_t> n = ReadRaw(raw_.data(), raw_.size());
  if (!n.ok()) return n.status();
  if (*n == 0) raw_eof_ = true;
  raw_begin_ = raw_end_ = *n;
  return std::string_view(raw_.data(), *n);
}

absl::StatusOr<std::string_view> InputReader::NextInflated() {
  z_stream& z = inflater_->z;
  while (true) {
    if (z.avail_in == 0 && !raw_eof_) {
      absl::StatusOr<size_t> n = ReadRaw(raw_.data(), raw_.size());
      if (!n.ok()) return n.status();
      if (*n == 0) raw_eof_ = true;
      z.next_in = reinterpret_cast<Bytef*>(raw_.data());
      z.avail_in = static_cast<uInt>(*n);
    }
    if (inflater_->member_done) {
      if (z.avail_in == 0 && raw_eof_) return std::string_view();
      // Another gzip member follows (`cat a.gz b.gz`).
      inflateReset(&z);
      inflater_->member_done = false;
    }
    if (z.avail_in == 0 && raw_eof_) {
      return absl::DataLossError(
          absl::StrCat("'", name_, "' is a truncated gzip file: it ends in the middle of a stream"));
    }
    z.next_out = reinterpret_cast<Bytef*>(out_.data());
    z.avail_out = static_cast<uInt>(out_.size());
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      inflater_->member_done = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::DataLossError(absl::StrCat("'", name_, "' is not valid gzip data (zlib: ",
                                              z.msg != nullptr ? z.msg : zError(rc), ")"));
    }
    size_t produced = out_.size() - z.avail_out;
    if (produced > 0) return std::string_view(out_.data(), produced);
  }
}

}  // namespace stackfire::io
