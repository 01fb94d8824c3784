// See blocked_thread.h.
#include "src/proc/blocked_thread.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::proc {
namespace {

bool ParseHex(std::string_view field, uint64_t* out) {
  if (field.size() < 3 || field[0] != '0' || (field[1] != 'x' && field[1] != 'X')) return false;
  return absl::SimpleHexAtoi(absl::string_view(field.data() + 2, field.size() - 2), out);
}

// The whole of a small /proc file; nullopt when it cannot be opened or read.
std::optional<std::string> ReadSmallFile(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1u << 20)) break;  // procfs never sends this much
  }
  return text;
}

std::optional<SyscallState> ReadState(int pid, int tid) {
  std::optional<std::string> text =
      ReadSmallFile(absl::StrCat("/proc/", pid, "/task/", tid, "/syscall"));
  if (!text) return std::nullopt;
  return ParseSyscallState(*text);
}

}  // namespace

std::optional<SyscallState> ParseSyscallState(std::string_view text) {
  const absl::string_view line =
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  SyscallState state;
  if (line == "running") {
    state.running = true;
    return state;
  }
  std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
  if (fields.size() != 3 && fields.size() != 9) return std::nullopt;
  if (!absl::SimpleAtoi(fields[0], &state.nr) || state.nr < -1) return std::nullopt;
  if ((state.nr == -1) != (fields.size() == 3)) return std::nullopt;
  for (size_t i = 1; i < fields.size(); ++i) {
    uint64_t value = 0;
    if (!ParseHex(std::string_view(fields[i].data(), fields[i].size()), &value)) {
      return std::nullopt;
    }
    if (i == fields.size() - 2) state.sp = value;
    if (i == fields.size() - 1) state.pc = value;
  }
  return state;
}

std::vector<std::string> ParseKernelStack(std::string_view text) {
  std::vector<std::string> frames;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    if (frames.size() >= kMaxKernelFrames) break;
    line = absl::StripAsciiWhitespace(line);
    // "[<0000000000000000>] name+0x1f/0x90" (the address is hidden unless
    // kptr_restrict allows it).
    if (line.size() < 4 || line[0] != '[' || line[1] != '<') continue;
    const size_t close = line.find(">]");
    if (close == absl::string_view::npos) continue;
    absl::string_view name = absl::StripAsciiWhitespace(line.substr(close + 2));
    name = name.substr(0, name.find_first_of("+ \t\r\n\v\f"));
    if (name.empty()) continue;
    frames.emplace_back(name);
  }
  return frames;
}

char ParseStatState(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return 0;
  size_t i = close + 1;
  while (i < text.size() && text[i] == ' ') ++i;
  if (i >= text.size()) return 0;
  const char c = text[i];
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? c : 0;
}

std::vector<uint8_t> ReadMemory(int pid, uint64_t address, size_t bytes) {
  std::vector<uint8_t> out;
  ScopedFd fd(::open(absl::StrCat("/proc/", pid, "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || bytes == 0) return out;
  constexpr uint64_t kPage = 4096;
  out.resize(bytes);
  size_t done = 0;
  while (done < bytes) {
    const uint64_t at = address + done;
    // Up to the next page boundary: a short read ends at an unmapped page.
    const size_t chunk =
        static_cast<size_t>(std::min<uint64_t>(bytes - done, kPage - at % kPage));
    const ssize_t n = ::pread(fd.get(), out.data() + done, chunk, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < chunk) break;
  }
  out.resize(done);
  return out;
}

std::optional<BlockedThread> ReadBlockedThread(int pid, int tid, size_t stack_bytes,
                                               bool kernel) {
  std::optional<SyscallState> state = ReadState(pid, tid);
  if (!state) {
    // No ptrace access (or gone): the state letter says whether it runs.
    std::optional<std::string> stat =
        ReadSmallFile(absl::StrCat("/proc/", pid, "/task/", tid, "/stat"));
    const char letter = stat ? ParseStatState(*stat) : 0;
    if (letter == 0 || letter == 'R' || letter == 'Z' || letter == 'X') return std::nullopt;
    BlockedThread t;
    t.pid = pid;
    t.tid = tid;
    t.denied = true;
    return t;
  }
  if (state->running) return std::nullopt;
  BlockedThread t;
  t.pid = pid;
  t.tid = tid;
  t.state = *state;
  t.stack = ReadMemory(pid, state->sp, stack_bytes);
  if (kernel) {
    if (std::optional<std::string> text =
            ReadSmallFile(absl::StrCat("/proc/", pid, "/task/", tid, "/stack"))) {
      t.kernel_frames = ParseKernelStack(*text);
    }
  }
  // Still blocked where it was: the stack read is the stack it blocks on.
  std::optional<SyscallState> again = ReadState(pid, tid);
  if (!again || *again != *state) {
    t.unstable = true;
    t.stack.clear();
    t.kernel_frames.clear();
  }
  return t;
}

}  // namespace stackfire::proc
