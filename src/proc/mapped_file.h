// Opening the file that a target really maps, not whatever its path names now.
//
// A path in /proc/PID/maps (or a PERF_RECORD_MMAP2) is only a name: a
// package upgrade renames a new library over it (`mv libc.so.6.new
// libc.so.6`, the maps line keeps the old name), a binary deleted after it
// started reads "(deleted)", and a target can put a FIFO, a device or a
// symlink to a host file there. Names read from a replaced file are wrong
// names, worse than none. So:
//   - the path is opened inside the target's root, without blocking, and only
//     as a regular file (target_files.h);
//   - when the maps line names the device and inode (and the process is
//     known: Mapping::pid), the open file must be that inode; when it is not (replaced), or the path says "(deleted)",
//     or it cannot be opened, the mapped inode itself is read through
//     /proc/PID/map_files/START-END (root, or CAP_CHECKPOINT_RESTORE; the
//     kernel keeps the inode alive while it is mapped);
//   - otherwise the error says why, and the caller names the mapping's
//     frames by module and address.
// A MMAP2 record that carries a build-id carries no inode: the caller
// checks the build-id of what it read and asks again with
// kMapFilesOnly when it differs.
// Thread-safe (no state); each call costs a few syscalls.
#ifndef STACKFIRE_SRC_PROC_MAPPED_FILE_H_
#define STACKFIRE_SRC_PROC_MAPPED_FILE_H_

#include <sys/stat.h>

#include <string>

#include "absl/status/statusor.h"
#include "stackfire/process_maps.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::proc {

struct MappedFile {
  ScopedFd fd;
  struct stat st {};
  // What was opened, for messages: the path as stackfire reached it, or
  // /proc/PID/map_files/START-END.
  std::string source;
  bool via_map_files = false;
};

enum class MappedFileMode {
  kPathFirst,     // the path when it is the mapped inode, else map_files
  kMapFilesOnly,  // the path is known to be wrong (its build-id differs)
};

// The regular file behind `mapping` (which must name a file: open_path set).
// kNotFound/kPermissionDenied/kFailedPrecondition with a message that names
// the path and says why neither it nor map_files could be used.
absl::StatusOr<MappedFile> OpenMappedFile(const Mapping& mapping,
                                          MappedFileMode mode = MappedFileMode::kPathFirst);

// The target's root for `mapping` ("/proc/PID/root", or "" when the pid is
// unknown) and the path inside it (the mapped path without " (deleted)").
std::string MappingRoot(const Mapping& mapping);
std::string MappingPathInRoot(const Mapping& mapping);

}  // namespace stackfire::proc

#endif  // STACKFIRE_SRC_PROC_MAPPED_FILE_H_
