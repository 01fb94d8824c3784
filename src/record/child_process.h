// A command launched under the profiler: forked at once, held before exec
// until the sampling events are attached, then released.
//
// The child blocks reading a pipe. Release() writes to it and waits for the
// exec to happen: a second, close-on-exec pipe carries errno back when
// execvp fails, so "command not found" is reported by the parent instead of
// being a silent exit status. Destroying an unreleased child kills it.
#ifndef STACKFIRE_SRC_RECORD_CHILD_PROCESS_H_
#define STACKFIRE_SRC_RECORD_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::record {

class ChildProcess {
 public:
  // kNotFound when argv[0] is not an executable file (searched in PATH when
  // it has no '/'), before anything is forked. With stdout_to_stderr, the
  // command's standard output goes to standard error: stackfire's own stdout
  // then carries only the profile (`record -o -`, `--report`).
  // With run_as, the command runs as that user: its supplementary groups,
  // gid and uid are set (in that order) just before exec, and HOME, USER
  // and LOGNAME are the user's, as `sudo -u` does; a failure is reported
  // by Release() like an exec error.
  struct User {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
  };
  [[nodiscard]] static absl::StatusOr<ChildProcess> Spawn(const std::vector<std::string>& argv,
                                                          bool stdout_to_stderr = false,
                                                          const User* run_as = nullptr);

  ChildProcess(ChildProcess&& other) noexcept { *this = std::move(other); }
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    pid_ = std::exchange(other.pid_, -1);
    go_ = std::move(other.go_);
    error_ = std::move(other.error_);
    status_ = other.status_;
    released_ = other.released_;
    name_ = std::move(other.name_);
    return *this;
  }
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Lets the child exec; returns the exec error, if any.
  absl::Status Release();
  // Non-blocking: the exit status once the child is gone (waitpid).
  std::optional<int> Poll();
  // SIGTERM, then SIGKILL after a grace period; reaps the child.
  void Terminate();

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  ScopedFd go_;     // write end: the child execs when it reads from it
  ScopedFd error_;  // read end: errno of a failed exec
  std::optional<int> status_;
  bool released_ = false;
  std::string name_;
};

// Where execvp would find name, or "" when nowhere.
std::string FindExecutable(const std::string& name);

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_CHILD_PROCESS_H_
