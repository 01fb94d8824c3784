// A thread that is off CPU when a recording starts (a server idle in
// epoll_wait, a main thread in pthread_join): where it waits, read from
// /proc, so that an off-CPU recording can count its time from the start
// with the stack it is blocked in.
//
//   /proc/PID/task/TID/syscall  "running", or the syscall number, its six
//                               arguments, then the user sp and pc; "-1 sp
//                               pc" when it is off CPU outside a syscall
//                               (preempted, in a fault).
//   /proc/PID/mem               the user stack from sp up: it does not
//                               change while the thread is blocked.
//   /proc/PID/task/TID/stack    the kernel stack, "[<0>] name+0x1f/0x90"
//                               per frame, leaf first; root only.
//
// The first two need ptrace access to the target (what reading its memory
// needs: the same user and no Yama restriction, or CAP_SYS_PTRACE).
// Without it the thread is still known to be off CPU from the state letter
// of /proc/PID/task/TID/stat (readable by anyone), only its stack is not.
//
// The parsers are pure (fuzzed by the proc_maps target); ReadBlockedThread
// does the I/O. Thread-safe: no shared state.
#ifndef STACKFIRE_SRC_PROC_BLOCKED_THREAD_H_
#define STACKFIRE_SRC_PROC_BLOCKED_THREAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stackfire::proc {

// One reading of /proc/PID/task/TID/syscall.
struct SyscallState {
  bool running = false;  // on a CPU (or about to be): nothing else is valid
  int64_t nr = -1;       // the syscall it is blocked in; -1: not in one
  uint64_t sp = 0;       // user registers at the syscall (or the interruption)
  uint64_t pc = 0;
  bool operator==(const SyscallState&) const = default;
};

// nullopt when the text is neither "running" nor "NR [6 ARGS] SP PC" with
// NR a decimal number and the rest 0x-prefixed hexadecimal.
std::optional<SyscallState> ParseSyscallState(std::string_view text);

// The function names of a /proc/PID/task/TID/stack text, leaf first, with
// "+offset/size" dropped; lines that do not look like "[<ADDR>] NAME..." are
// skipped. At most kMaxKernelFrames.
inline constexpr size_t kMaxKernelFrames = 128;
std::vector<std::string> ParseKernelStack(std::string_view text);

// The state letter of a /proc/PID/task/TID/stat text ("R", "S", "D", ...):
// the first field after the last ')' (the name in parentheses may hold any
// byte). 0 when there is none.
char ParseStatState(std::string_view text);

struct BlockedThread {
  int pid = 0;
  int tid = 0;
  SyscallState state;
  // The user stack from state.sp up, as much of stack_bytes as is mapped;
  // empty when /proc/PID/mem could not be read.
  std::vector<uint8_t> stack;
  // Leaf first; empty unless kernel frames were asked for and readable.
  std::vector<std::string> kernel_frames;
  // The stack changed while it was read (the thread woke up): stack and
  // kernel_frames were dropped.
  bool unstable = false;
  // The syscall file could not be read (no ptrace access): the thread is
  // off CPU by its stat state; state.sp and state.pc are 0.
  bool denied = false;
};

// Reads one thread. nullopt when it is running or gone. Reads up to
// stack_bytes of its stack, and its kernel stack when kernel is true.
std::optional<BlockedThread> ReadBlockedThread(int pid, int tid, size_t stack_bytes, bool kernel);

// Reads up to `bytes` of the target's memory at `address` through
// /proc/PID/mem, page by page, stopping at the first unreadable page.
std::vector<uint8_t> ReadMemory(int pid, uint64_t address, size_t bytes);

}  // namespace stackfire::proc

#endif  // STACKFIRE_SRC_PROC_BLOCKED_THREAD_H_
