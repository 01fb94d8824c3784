// Reading files that a target process names or controls: its perf maps
// (/proc/PID/root/tmp/perf-N.map), and the debug files stackfire fetches for
// its modules (debuginfod answers, .gnu_debugdata inside its binaries).
//
// Everything in such a file is untrusted, and so is the file itself: a
// target can put a FIFO, a device or a 10 GB sparse file where a perf map is
// expected. Every read of a target-derived file in the symbolizer goes
// through the functions here, so that the checks live in one place:
//   - the open never blocks (O_NONBLOCK: a FIFO without a writer would hang
//     a plain open) and never makes the file our controlling terminal;
//   - only a regular file is read (checked on the open descriptor, so a
//     path swapped after a stat changes nothing);
//   - at most max_bytes are read, whatever the file claims.
// Thread-safe (no state).
#ifndef STACKFIRE_SRC_SYMBOLIZE_TARGET_FILES_H_
#define STACKFIRE_SRC_SYMBOLIZE_TARGET_FILES_H_

#include <sys/stat.h>

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::symbolize {

// The most a perf map may hold: node with --perf-basic-prof writes ~100
// bytes per compiled function; 256 MiB is millions of functions.
inline constexpr size_t kMaxPerfMapBytes = size_t{256} << 20;

// Opens a target-derived path for reading: O_RDONLY | O_NONBLOCK |
// O_CLOEXEC | O_NOCTTY, then checks that it is a regular file. *st gets its
// fstat (may be null). kNotFound when it does not exist, kFailedPrecondition
// when it is not a regular file, the errno's code otherwise.
absl::StatusOr<ScopedFd> OpenTargetFile(const std::string& path, struct stat* st);

// Reads a whole target-derived text file of at most max_bytes.
// kResourceExhausted (with the file's size in the message) when it is
// larger: nothing is returned then, so a caller never works on a cut file.
absl::StatusOr<std::string> ReadTargetFile(const std::string& path, size_t max_bytes);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_TARGET_FILES_H_
