// Writes a file all at once or not at all. Every command writes its file
// outputs (flame graphs, folded text, pprof, speedscope, palette.map)
// through this class.
//
// Contract:
//   - Create(path) opens a new temporary file in path's directory, named
//     "NAME.stackfire-tmp-PID-N" and created with O_EXCL, so two writers
//     of one path never share a temporary; Commit() flushes it and renames
//     it over path. A reader of path sees the old file or the whole new
//     one, never half of it.
//   - When anything fails (the disk fills up, a write error, the rename),
//     or the object is destroyed without Commit(), the temporary file is
//     removed and path keeps its old contents (or stays absent).
//   - The new file gets the permission bits the old one had; a new path
//     gets 0666 less the umask, as open(2) would give it.
//   - A symbolic link is followed: its target is replaced, the link stays.
//   - A path that exists and is not a regular file (/dev/null, /dev/stdout,
//     a FIFO) cannot be renamed over: it is opened and written in place. So
//     is a writable file in a folder where no new file can be created
//     (EACCES, EPERM). Neither is atomic.
//   - No fsync: a reader on the same machine never sees half a file, but
//     after a power failure the new file may be empty.
// Errors name the path and keep the errno of the failing call (ENOSPC
// says "No space left on device"). Not thread-safe; one writer per object.
#ifndef STACKFIRE_SRC_IO_ATOMIC_FILE_H_
#define STACKFIRE_SRC_IO_ATOMIC_FILE_H_

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stackfire::io {

class AtomicFile {
 public:
  // kNotFound when the folder does not exist, kPermissionDenied when
  // neither a temporary file nor path itself can be written,
  // kFailedPrecondition when path is a directory.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AtomicFile>> Create(const std::string& path);

  ~AtomicFile();  // without a successful Commit(): removes the temporary file
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Where to write the contents.
  std::ostream& stream() { return out_; }

  // Flushes, closes and renames the temporary file over path. On failure
  // the temporary file is gone and path is as it was. Call at most once.
  absl::Status Commit();

  // The path given to Create (what error messages should name).
  const std::string& path() const { return path_; }
  // The file actually written until Commit(): the temporary file, or the
  // target itself when it is written in place.
  const std::string& temp_path() const { return temp_; }
  bool in_place() const { return temp_ == target_; }

 private:
  AtomicFile(std::string path, std::string target, std::string temp);
  void Discard();

  std::string path_;    // as given
  std::string target_;  // what is replaced: path, or a symbolic link's target
  std::string temp_;    // the file being written (== target_ when in place)
  std::ofstream out_;
  bool done_ = false;
};

}  // namespace stackfire::io

#endif  // STACKFIRE_SRC_IO_ATOMIC_FILE_H_
