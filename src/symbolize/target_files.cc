#include "src/symbolize/target_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stackfire::symbolize {

absl::StatusOr<ScopedFd> OpenTargetFile(const std::string& path, struct stat* st) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  struct stat local;
  if (st == nullptr) st = &local;
  if (::fstat(fd.get(), st) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("fstat ", path));
  if (!S_ISREG(st->st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a regular file"));
  }
  return fd;
}

absl::StatusOr<std::string> ReadTargetFile(const std::string& path, size_t max_bytes) {
  struct stat st;
  absl::StatusOr<ScopedFd> fd = OpenTargetFile(path, &st);
  if (!fd.ok()) return fd.status();
  auto too_large = [&](uint64_t size) {
    return absl::ResourceExhaustedError(absl::StrCat(path, " is larger than ", max_bytes,
                                                     " bytes (", size, "); not read"));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large(st.st_size);
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  size_t used = 0;
  // The file may grow while it is read (a JIT appending): read to its end,
  // but never past max_bytes.
  for (;;) {
    if (used == text.size()) {
      if (text.size() > max_bytes) return too_large(text.size());
      text.resize(std::min(max_bytes + 1, std::max<size_t>(text.size() * 2, 4096)));
    }
    const ssize_t n = ::read(fd->get(), text.data() + used, text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) return too_large(used);
  text.resize(used);
  return text;
}

}  // namespace stackfire::symbolize
