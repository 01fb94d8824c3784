#include "src/proc/pid_namespace.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "stackfire/scoped_fd.h"

namespace stackfire::proc {

std::optional<int> ParseInnermostPid(std::string_view status) {
  constexpr std::string_view kKey = "NSpid:";
  size_t at = 0;
  while (at < status.size()) {
    size_t nl = status.find('\n', at);
    if (nl == std::string_view::npos) nl = status.size();
    std::string_view line = status.substr(at, nl - at);
    at = nl + 1;
    if (line.substr(0, kKey.size()) != kKey) continue;
    line.remove_prefix(kKey.size());
    std::optional<int> last;
    while (!line.empty()) {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      if (line.empty()) break;
      int value = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
      if (ec != std::errc() || value <= 0) return std::nullopt;
      last = value;
      line.remove_prefix(static_cast<size_t>(ptr - line.data()));
    }
    return last;
  }
  return std::nullopt;
}

std::optional<int> InnermostPid(int pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  // The status file is a few KB; NSpid is in its first half.
  std::string text(8192, '\0');
  size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  text.resize(used);
  return ParseInnermostPid(text);
}

}  // namespace stackfire::proc
