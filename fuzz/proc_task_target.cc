// The proc_task target: the parsers of /proc/PID/task/TID/{syscall,stack,stat}
// (src/proc/blocked_thread.h) over arbitrary text, as a hostile or corrupted
// procfs could send it. The input is split at the first two NUL bytes into a
// syscall text, a stack text and a stat text.
//
// Checked, beyond "no crash": a parsed syscall state prints back (as the
// kernel writes it) to text that parses to the same state, and a blocked
// state has nr >= -1; kernel frames are at most kMaxKernelFrames, each
// non-empty without '+', blanks or newlines; a stat state is a letter, the
// first non-blank after the last ')'.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/targets.h"
#include "src/proc/blocked_thread.h"

namespace stackfire::fuzz {
namespace {

std::string Print(const proc::SyscallState& s) {
  if (s.running) return "running\n";
  if (s.nr == -1) return absl::StrCat("-1 0x", absl::Hex(s.sp), " 0x", absl::Hex(s.pc), "\n");
  return absl::StrCat(s.nr, " 0x0 0x1 0x2 0x3 0x4 0x5 0x", absl::Hex(s.sp), " 0x",
                      absl::Hex(s.pc), "\n");
}

}  // namespace

void FuzzProcTask(const uint8_t* data, size_t size) {
  std::string_view text = FuzzText(data, size);
  std::string_view parts[3];
  for (int i = 0; i < 2; ++i) {
    const size_t nul = text.find('\0');
    parts[i] = text.substr(0, nul);
    text = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
  }
  parts[2] = text;

  if (std::optional<proc::SyscallState> s = proc::ParseSyscallState(parts[0])) {
    FUZZ_CHECK(s->running || s->nr >= -1, absl::StrCat("syscall number ", s->nr));
    const std::string printed = Print(*s);
    std::optional<proc::SyscallState> again = proc::ParseSyscallState(printed);
    FUZZ_CHECK(again.has_value() && *again == *s,
               "a parsed syscall state does not parse back from " + printed);
  }

  const std::vector<std::string> frames = proc::ParseKernelStack(parts[1]);
  FUZZ_CHECK(frames.size() <= proc::kMaxKernelFrames,
             absl::StrCat(frames.size(), " kernel frames"));
  for (const std::string& f : frames) {
    FUZZ_CHECK(!f.empty() && f.find_first_of("+ \t\n\r") == std::string::npos,
               "bad kernel frame name: '" + f + "'");
  }

  const char state = proc::ParseStatState(parts[2]);
  if (state != 0) {
    FUZZ_CHECK((state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z'),
               absl::StrCat("stat state ", static_cast<int>(state)));
    const size_t close = parts[2].rfind(')');
    FUZZ_CHECK(close != std::string_view::npos, "a state without a ')'");
    const size_t at = parts[2].find_first_not_of(' ', close + 1);
    FUZZ_CHECK(at != std::string_view::npos && parts[2][at] == state,
               "the state is not the first field after the last ')'");
  }
}

}  // namespace stackfire::fuzz
