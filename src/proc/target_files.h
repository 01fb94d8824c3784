// Reading files that a target process names or controls: its perf maps
// (/tmp/perf-N.map inside its own root), and the debug files stackfire
// fetches for its modules (debuginfod answers).
//
// Everything in such a file is untrusted, and so is the file itself: a
// target can put a FIFO, a device, a 10 GB sparse file, or a symlink to a
// host file where a perf map is expected. Every such open in the symbolizer
// goes through OpenTargetFile, so that the checks live in one place:
//   - a path inside a target's root (/proc/PID/root) is resolved inside that
//     root (openat2 with RESOLVE_IN_ROOT, Linux 5.6 and later): an absolute
//     symlink or ".." in the container cannot reach the host's files;
//     procfs magic links are not followed. Older kernels fall back to a
//     plain open of root + path;
//   - the open never blocks (O_NONBLOCK: a FIFO without a writer would hang
//     a plain open) and never makes the file our controlling terminal;
//   - only a regular file is read (checked on the open descriptor, so a
//     path swapped after a stat changes nothing);
//   - at most max_bytes are read, whatever the file claims.
// Thread-safe (no state).
#ifndef STACKFIRE_SRC_PROC_TARGET_FILES_H_
#define STACKFIRE_SRC_PROC_TARGET_FILES_H_

#include <sys/stat.h>

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::proc {

// The most a perf map may hold: node with --perf-basic-prof writes ~100
// bytes per compiled function; 256 MiB is millions of functions.
inline constexpr size_t kMaxPerfMapBytes = size_t{256} << 20;

// Opens `path` for reading, resolved inside `root` (e.g. "/proc/123/root";
// empty: our own root, and `path` as it is), then checks that it is a
// regular file; *st gets its fstat (may be null). kNotFound when it does
// not exist, kFailedPrecondition when it is not a regular file, the errno's
// code otherwise. Messages name root + path.
absl::StatusOr<ScopedFd> OpenTargetFile(const std::string& root, const std::string& path,
                                        struct stat* st);

// Reads the whole regular file open at fd, of size st.st_size, at most
// max_bytes (it may grow while being read). kResourceExhausted when it is
// larger: nothing is returned then, so a caller never works on a cut file.
// `name` is for messages.
absl::StatusOr<std::string> ReadTargetFd(int fd, const struct stat& st, size_t max_bytes,
                                         const std::string& name);

// OpenTargetFile then ReadTargetFd.
absl::StatusOr<std::string> ReadTargetFile(const std::string& root, const std::string& path,
                                           size_t max_bytes);

}  // namespace stackfire::proc

#endif  // STACKFIRE_SRC_PROC_TARGET_FILES_H_
