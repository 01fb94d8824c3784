// A process's own pid inside its pid namespace (containers, `unshare
// --pid`): the last number of the NSpid line of /proc/PID/status. A process
// in a container writes /tmp/perf-<that pid>.map inside its own mount
// namespace, which stackfire reads through /proc/PID/root.
#ifndef STACKFIRE_SRC_PROC_PID_NAMESPACE_H_
#define STACKFIRE_SRC_PROC_PID_NAMESPACE_H_

#include <optional>
#include <string_view>

namespace stackfire::proc {

// The innermost pid of `pid`, or nullopt when /proc/PID/status cannot be
// read (the process is gone) or has no NSpid line (kernels before 4.1: then
// the process is in our namespace).
std::optional<int> InnermostPid(int pid);

// The innermost pid from the text of a status file (for tests).
std::optional<int> ParseInnermostPid(std::string_view status);

}  // namespace stackfire::proc

#endif  // STACKFIRE_SRC_PROC_PID_NAMESPACE_H_
