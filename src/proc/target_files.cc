#include "src/proc/target_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stackfire::proc {
namespace {

constexpr int kOpenFlags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

// -1 with errno set; ENOSYS when the kernel has no openat2.
int OpenInRoot(const std::string& root, const std::string& path) {
  ScopedFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return -1;
  open_how how{};
  how.flags = kOpenFlags;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    const long fd = ::syscall(SYS_openat2, dir.get(), path.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return static_cast<int>(fd);
  }
}

}  // namespace

absl::StatusOr<ScopedFd> OpenTargetFile(const std::string& root, const std::string& path,
                                        struct stat* st) {
  const std::string name = root + path;
  ScopedFd fd;
  if (root.empty()) {
    fd.reset(::open(path.c_str(), kOpenFlags));
  } else {
    fd.reset(OpenInRoot(root, path));
    if (!fd && errno == ENOSYS) fd.reset(::open(name.c_str(), kOpenFlags));
  }
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("open ", name));
  struct stat local;
  if (st == nullptr) st = &local;
  if (::fstat(fd.get(), st) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("fstat ", name));
  if (!S_ISREG(st->st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(name, " is not a regular file"));
  }
  return fd;
}

absl::StatusOr<std::string> ReadTargetFd(int fd, const struct stat& st, size_t max_bytes,
                                         const std::string& name) {
  auto too_large = [&](uint64_t size) {
    return absl::ResourceExhaustedError(
        absl::StrCat(name, " is larger than ", max_bytes, " bytes (", size, "); not read"));
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
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("read ", name));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) return too_large(used);
  text.resize(used);
  return text;
}

absl::StatusOr<std::string> ReadTargetFile(const std::string& root, const std::string& path,
                                           size_t max_bytes) {
  struct stat st;
  absl::StatusOr<ScopedFd> fd = OpenTargetFile(root, path, &st);
  if (!fd.ok()) return fd.status();
  return ReadTargetFd(fd->get(), st, max_bytes, root + path);
}

}  // namespace stackfire::proc
