#include "src/proc/threads.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::proc {

absl::StatusOr<std::vector<ThreadInfo>> ListThreads(int pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/task");
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no process with pid ", pid));
    return absl::ErrnoToStatus(errno, absl::StrCat("opendir ", dir));
  }
  std::vector<ThreadInfo> threads;
  while (dirent* e = ::readdir(d.get())) {
    int tid = 0;
    const char* end = e->d_name + std::strlen(e->d_name);
    auto [ptr, ec] = std::from_chars(e->d_name, end, tid);
    if (ec != std::errc() || ptr != end || tid <= 0) continue;
    threads.push_back({tid, ReadThreadComm(pid, tid)});
  }
  std::sort(threads.begin(), threads.end(),
            [](const ThreadInfo& a, const ThreadInfo& b) { return a.tid < b.tid; });
  return threads;
}

std::string ReadThreadComm(int pid, int tid) {
  const std::string path = absl::StrCat("/proc/", pid, "/task/", tid, "/comm");
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  char buf[64];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return {};
  std::string comm(buf, static_cast<size_t>(n));
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == '\0')) comm.pop_back();
  return comm;
}

bool ProcessExists(int pid) {
  return ::access(absl::StrCat("/proc/", pid, "/stat").c_str(), F_OK) == 0;
}

bool ProcessAlive(int pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/stat");
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  char buf[512];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  std::string_view stat(buf, static_cast<size_t>(n));
  size_t paren = stat.rfind(')');  // comm may contain spaces and parentheses
  if (paren == std::string_view::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}

}  // namespace stackfire::proc
