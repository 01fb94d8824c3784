// See atomic_file.h.
#include "src/io/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace stackfire::io {
namespace {

absl::Status WriteError(int err, const std::string& path, const char* what = "cannot write") {
  std::string msg = absl::StrCat(what, " '", path, "': ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::Status(absl::ErrnoToStatus(err, "").code(), msg);
}

// Creates a new file beside `target`; returns its name, or the errno.
absl::StatusOr<std::string> CreateTemp(const std::string& target, int* err) {
  static unsigned serial = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp = absl::StrCat(target, ".stackfire-tmp-", ::getpid(), "-", serial++);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      return temp;
    }
    if (errno != EEXIST) break;
  }
  *err = errno;
  return absl::UnknownError("");
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string target, std::string temp)
    : path_(std::move(path)), target_(std::move(target)), temp_(std::move(temp)) {}

absl::StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(const std::string& path) {
  std::string target = path;
  struct stat lst;
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) != nullptr) target = resolved;
  }
  struct stat st;
  const bool exists = ::stat(target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write '", path, "': it is a directory"));
  }
  // A dangling symbolic link, a device or a FIFO: written in place.
  bool in_place = (exists && !S_ISREG(st.st_mode)) || (!exists && target != path);
  std::string temp = target;
  if (!in_place) {
    int err = 0;
    absl::StatusOr<std::string> created = CreateTemp(target, &err);
    if (created.ok()) {
      temp = *std::move(created);
      if (exists) ::chmod(temp.c_str(), st.st_mode & 07777);
    } else if (err == EACCES || err == EPERM) {
      in_place = true;  // the folder is closed to new files; path may still be writable
    } else {
      return WriteError(err, path);
    }
  }
  auto file = std::unique_ptr<AtomicFile>(new AtomicFile(path, target, temp));
  errno = 0;
  file->out_.open(temp, std::ios::binary | std::ios::trunc);
  if (!file->out_) {
    const int err = errno != 0 ? errno : EIO;
    file->Discard();
    return WriteError(err, path);
  }
  return file;
}

AtomicFile::~AtomicFile() {
  if (!done_) Discard();
}

void AtomicFile::Discard() {
  done_ = true;
  if (out_.is_open()) out_.close();
  if (!in_place()) ::unlink(temp_.c_str());
}

absl::Status AtomicFile::Commit() {
  if (done_) return absl::FailedPreconditionError(absl::StrCat("'", path_, "' is already closed"));
  out_.flush();
  if (out_) out_.close();
  if (!out_) {
    // The stream keeps the errno of the write that failed (ENOSPC, EIO).
    const int err = errno != 0 ? errno : EIO;
    Discard();
    return WriteError(err, path_, "cannot write");
  }
  done_ = true;
  if (in_place()) return absl::OkStatus();
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    return WriteError(err, path_, "cannot replace");
  }
  return absl::OkStatus();
}

}  // namespace stackfire::io
