#include "src/io/input_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
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
  struct stat st;
  if (fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("'", p, "' is a directory, not a file"));
  }
  return FromFd(std::move(fd), std::move(p));
}

std::unique_ptr<InputReader> InputReader::FromFd(ScopedFd fd, std::string name) {
  return std::unique_ptr<InputReader>(new InputReader(std::move(fd), std::move(name)));
}

InputReader::InputReader(ScopedFd fd, std::string name)
    : fd_(std::move(fd)), name_(std::move(name)) {}

InputReader::~InputReader() = default;

absl::StatusOr<size_t> InputReader::ReadSome(char* out, size_t size) {
  while (true) {
    ssize_t n = ::read(fd_.get(), out, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    int err = errno;
    if (err == EISDIR) {
      return absl::InvalidArgumentError(absl::StrCat("'", name_, "' is a directory, not a file"));
    }
    return absl::DataLossError(absl::StrCat("cannot read '", name_, "': ", std::strerror(err)));
  }
}

absl::Status InputReader::Start() {
  started_ = true;
  if (!fd_) return absl::FailedPreconditionError(absl::StrCat("'", name_, "' is not open"));
  struct stat st;
  if (fstat(fd_.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* addr = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd_.get(), 0);
    if (addr != MAP_FAILED) {
      map_ = MmapRegion(addr, st.st_size);
      madvise(addr, st.st_size, MADV_SEQUENTIAL);
    }
  }
  if (map_.valid()) {
    first_ = std::string_view(static_cast<const char*>(map_.data()), 0);
  } else {
    buf_.resize(kChunkSize);
    // Enough bytes to see the gzip magic and the head of the text, even
    // from a pipe that trickles.
    size_t have = 0;
    while (have < kHeadSize && !raw_eof_) {
      absl::StatusOr<size_t> n = ReadSome(buf_.data() + have, buf_.size() - have);
      if (!n.ok()) return n.status();
      if (*n == 0) raw_eof_ = true;
      have += *n;
    }
    first_ = std::string_view(buf_.data(), have);
  }
  std::string_view head = map_.valid() ? std::string_view(static_cast<const char*>(map_.data()),
                                                          map_.size())
                                       : first_;
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
      static_cast<unsigned char>(head[1]) == 0x8b) {
    inflater_ = std::make_unique<Inflater>();
    if (inflateInit2(&inflater_->z, 16 + MAX_WBITS) != Z_OK) {
      inflater_.reset();
      return absl::ResourceExhaustedError("cannot start zlib's inflate");
    }
    out_.resize(kChunkSize);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> InputReader::NextRaw() {
  if (map_.valid()) {
    // The caller is done with the window handed out before.
    ReleaseMapped(map_dropped_, map_pos_);
    map_dropped_ = map_pos_;
    size_t n = std::min(kWindowSize, map_.size() - map_pos_);
    std::string_view piece(static_cast<const char*>(map_.data()) + map_pos_, n);
    map_pos_ += n;
    if (n == 0) raw_eof_ = true;
    return piece;
  }
  if (!first_.empty()) {
    std::string_view piece = first_;
    first_ = {};
    return piece;
  }
  if (raw_eof_) return std::string_view();
  absl::StatusOr<size_t> n = ReadSome(buf_.data(), buf_.size());
  if (!n.ok()) return n.status();
  if (*n == 0) raw_eof_ = true;
  return std::string_view(buf_.data(), *n);
}

absl::StatusOr<std::optional<std::string_view>> InputReader::Mapped() {
  if (!started_) {
    absl::Status s = Start();
    if (!s.ok()) return s;
  }
  if (!map_.valid() || inflater_) return std::optional<std::string_view>();
  return std::optional<std::string_view>(
      std::string_view(static_cast<const char*>(map_.data()), map_.size()));
}

void InputReader::ReleaseMapped(size_t begin, size_t end) {
  if (!map_.valid()) return;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  begin = (begin + page - 1) / page * page;
  end = std::min(end, map_.size());
  // The last page may be partial: it ends the mapping.
  if (end != map_.size()) end = end / page * page;
  if (begin >= end) return;
  madvise(static_cast<char*>(map_.data()) + begin, end - begin, MADV_DONTNEED);
}

absl::StatusOr<std::string_view> InputReader::Head() {
  if (!started_) {
    absl::Status s = Start();
    if (!s.ok()) return s;
  }
  if (inflater_) {
    if (!pending_) {
      absl::StatusOr<std::string_view> piece = NextInflated();
      if (!piece.ok()) return piece.status();
      pending_ = *piece;
    }
    return pending_->substr(0, kHeadSize);
  }
  if (map_.valid()) {
    return std::string_view(static_cast<const char*>(map_.data()),
                            std::min(map_.size(), kHeadSize));
  }
  return first_.substr(0, kHeadSize);
}

absl::StatusOr<std::string_view> InputReader::Next() {
  if (!started_) {
    absl::Status s = Start();
    if (!s.ok()) return s;
  }
  if (pending_) {
    std::string_view piece = *pending_;
    pending_.reset();
    return piece;
  }
  if (inflater_) return NextInflated();
  return NextRaw();
}

absl::StatusOr<std::string_view> InputReader::NextInflated() {
  z_stream& z = inflater_->z;
  while (true) {
    if (z.avail_in == 0 && !RawDone()) {
      absl::StatusOr<std::string_view> in = NextRaw();
      if (!in.ok()) return in.status();
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in->data()));
      z.avail_in = static_cast<uInt>(in->size());
    }
    if (inflater_->member_done) {
      if (z.avail_in == 0 && RawDone()) return std::string_view();
      // Another gzip member follows (`cat a.gz b.gz`).
      inflateReset(&z);
      inflater_->member_done = false;
    }
    if (z.avail_in == 0 && RawDone()) {
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
