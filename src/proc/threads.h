// The threads of a process, from /proc/PID/task, with their names (comm).
//
// The list is a snapshot: threads may start or exit right after it is taken.
// The sampler scans it again after opening its events to close that race.
#ifndef STACKFIRE_SRC_PROC_THREADS_H_
#define STACKFIRE_SRC_PROC_THREADS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace stackfire::proc {

struct ThreadInfo {
  int tid = 0;
  std::string comm;  // empty if the thread exited while being listed
};

// kNotFound when the process does not exist.
absl::StatusOr<std::vector<ThreadInfo>> ListThreads(int pid);

// /proc/PID/task/TID/comm without the trailing newline; empty if gone.
std::string ReadThreadComm(int pid, int tid);

// True if /proc/PID exists (the process may be a zombie).
bool ProcessExists(int pid);
// True if the process exists and is neither a zombie nor dead.
bool ProcessAlive(int pid);

}  // namespace stackfire::proc

#endif  // STACKFIRE_SRC_PROC_THREADS_H_
