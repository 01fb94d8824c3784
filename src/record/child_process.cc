#include "src/record/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace stackfire::record {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return IsExecutableFile(name) ? name : std::string();
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return {};
}

absl::StatusOr<ChildProcess> ChildProcess::Spawn(const std::vector<std::string>& argv,
                                                 bool stdout_to_stderr, const User* run_as) {
  if (argv.empty()) return absl::InvalidArgumentError("no command to run");
  if (FindExecutable(argv[0]).empty()) {
    if (argv[0].find('/') != std::string::npos && ::access(argv[0].c_str(), F_OK) == 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot run ", argv[0], ": not an executable file"));
    }
    return absl::NotFoundError(absl::StrCat("command not found: ", argv[0]));
  }
  int go[2], err[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(go[0]);
    ::close(go[1]);
    return absl::ErrnoToStatus(errno, "pipe");
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The user's groups are looked up here: the child only makes system calls.
  std::vector<gid_t> groups;
  if (run_as != nullptr) {
    int n = 64;
    groups.resize(static_cast<size_t>(n));
    while (::getgrouplist(run_as->name.c_str(), run_as->gid, groups.data(), &n) < 0) {
      if (n <= static_cast<int>(groups.size())) n = static_cast<int>(groups.size()) * 2;
      groups.resize(static_cast<size_t>(n));
    }
    groups.resize(static_cast<size_t>(n));
  }

  pid_t pid = ::fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) {
    ::close(go[1]);
    ::close(err[0]);
    char byte;
    ssize_t n;
    do {
      n = ::read(go[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) ::_exit(127);  // the parent gave up before releasing us
    if (stdout_to_stderr) ::dup2(STDERR_FILENO, STDOUT_FILENO);
    if (run_as != nullptr) {
      if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(run_as->gid) != 0 ||
          ::setuid(run_as->uid) != 0) {
        int e = errno;
        (void)!::write(err[1], &e, sizeof e);
        ::_exit(127);
      }
      ::setenv("HOME", run_as->home.c_str(), 1);
      ::setenv("USER", run_as->name.c_str(), 1);
      ::setenv("LOGNAME", run_as->name.c_str(), 1);
    }
    ::execvp(args[0], args.data());
    int e = errno;
    (void)!::write(err[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(go[0]);
  ::close(err[1]);
  ChildProcess child;
  child.pid_ = pid;
  child.go_.reset(go[1]);
  child.error_.reset(err[0]);
  child.name_ = argv[0];
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) {
    if (!released_) {
      go_.reset();  // the child exits without exec
      int st;
      ::waitpid(pid_, &st, 0);
    } else {
      Terminate();
    }
  }
}

absl::Status ChildProcess::Release() {
  released_ = true;
  char byte = 1;
  if (::write(go_.get(), &byte, 1) != 1) return absl::ErrnoToStatus(errno, "releasing the command");
  go_.reset();
  int e = 0;
  ssize_t n;
  do {
    n = ::read(error_.get(), &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  error_.reset();
  if (n == sizeof e) {
    int st;
    ::waitpid(pid_, &st, 0);
    status_ = st;
    if (e == ENOENT) return absl::NotFoundError(absl::StrCat("command not found: ", name_));
    return absl::ErrnoToStatus(e, absl::StrCat("cannot run ", name_));
  }
  return absl::OkStatus();
}

std::optional<int> ChildProcess::Poll() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) status_ = st;
  return status_;
}

void ChildProcess::Terminate() {
  if (pid_ <= 0 || Poll()) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (Poll()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int st = 0;
  if (::waitpid(pid_, &st, 0) == pid_) status_ = st;
}

}  // namespace stackfire::record
