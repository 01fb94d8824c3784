#include "tests/unwind/sample_capture.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stackfire::testing {
namespace {

void FillRegs(const user_regs_struct& r, RawSample* s) {
  s->regs[kRax] = r.rax;
  s->regs[kRdx] = r.rdx;
  s->regs[kRcx] = r.rcx;
  s->regs[kRbx] = r.rbx;
  s->regs[kRsi] = r.rsi;
  s->regs[kRdi] = r.rdi;
  s->regs[kRbp] = r.rbp;
  s->regs[kRsp] = r.rsp;
  s->regs[kR8] = r.r8;
  s->regs[kR9] = r.r9;
  s->regs[kR10] = r.r10;
  s->regs[kR11] = r.r11;
  s->regs[kR12] = r.r12;
  s->regs[kR13] = r.r13;
  s->regs[kR14] = r.r14;
  s->regs[kR15] = r.r15;
  s->regs[kRip] = r.rip;
}

// Waits for the stop that PTRACE_INTERRUPT asked for, passing on any signal
// the target received meanwhile. False if the target died.
bool WaitInterruptStop(int pid) {
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, __WALL) != pid) return false;
    if (!WIFSTOPPED(status)) return false;
    if ((status >> 16) == PTRACE_EVENT_STOP) return true;
    ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(WSTOPSIG(status))));
  }
}

std::string MapsText(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

uint64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

bool PassSignalsFor(int pid, int micros) {
  const uint64_t deadline = NowUs() + static_cast<uint64_t>(micros);
  while (NowUs() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid, &status, __WALL | WNOHANG);
    if (r < 0) return false;
    if (r == pid) {
      if (!WIFSTOPPED(status)) return false;
      ptrace(PTRACE_CONT, pid, nullptr,
             reinterpret_cast<void*>(static_cast<long>(WSTOPSIG(status))));
      continue;
    }
    usleep(20);
  }
  return true;
}

absl::Status CaptureOne(int pid, const ProcessMaps& maps, uint32_t stack_bytes, RawSample* s) {
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("PTRACE_GETREGS pid ", pid));
  }
  s->pid = s->tid = static_cast<uint32_t>(pid);
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s->time_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
  s->has_user_regs = true;
  FillRegs(regs, s);
  s->stack_requested = stack_bytes;
  const Mapping* stack = maps.Find(regs.rsp);
  uint64_t len = stack_bytes;
  if (stack != nullptr) len = std::min<uint64_t>(len, stack->end - regs.rsp);
  s->stack.resize(len);
  iovec local{s->stack.data(), len};
  iovec remote{reinterpret_cast<void*>(regs.rsp), len};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  s->stack.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Capture> CaptureSamples(const std::vector<std::string>& argv,
                                       const CaptureOptions& options) {
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(cargv[0], cargv.data());
    _exit(127);
  }
  Capture capture;
  capture.pid = pid;
  auto cleanup = [pid] {
    kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, __WALL) == pid && !WIFEXITED(status) && !WIFSIGNALED(status)) {
    }
  };
  usleep(static_cast<useconds_t>(options.warmup_ms) * 1000);
  // A loaded machine can stretch the target's start (exec, ld.so, imports):
  // wait until its maps stop changing, at most 3 s.
  for (int i = 0; i < 150; ++i) {
    std::string before = MapsText(pid);
    usleep(20000);
    if (!before.empty() && before == MapsText(pid)) break;
  }
  if (ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0) {
    absl::Status st = absl::ErrnoToStatus(errno, absl::StrCat("PTRACE_SEIZE ", argv[0]));
    cleanup();
    return st;
  }
  absl::StatusOr<ProcessMaps> maps = ProcessMaps::Read(pid);
  if (!maps.ok()) {
    cleanup();
    return maps.status();
  }
  capture.maps = *std::move(maps);
  std::mt19937 rng(options.seed);
  std::uniform_int_distribution<int> gap(options.min_gap_us, options.max_gap_us);
  for (int i = 0; i < options.samples; ++i) {
    // The target's own signals stop it (signal-delivery-stop) until the
    // tracer passes them on; pass them on at once, or every sample would land
    // where the target raised a signal.
    if (!PassSignalsFor(pid, gap(rng))) {
      cleanup();
      return absl::InternalError(absl::StrCat(argv[0], " (pid ", pid, ") died while sampled"));
    }
    if (ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0 || !WaitInterruptStop(pid)) {
      cleanup();
      return absl::InternalError(absl::StrCat(argv[0], " (pid ", pid, ") died while sampled"));
    }
    RawSample s;
    absl::Status st = CaptureOne(pid, capture.maps, options.stack_bytes, &s);
    if (!st.ok()) {
      cleanup();
      return st;
    }
    capture.samples.push_back(std::move(s));
    ptrace(PTRACE_CONT, pid, nullptr, nullptr);
  }
  // Libraries loaded while sampling (a slow start, dlopen) are in the final
  // maps; the sampler follows them with PERF_RECORD_MMAP2 instead.
  if (absl::StatusOr<ProcessMaps> last = ProcessMaps::Read(pid); last.ok()) {
    capture.maps = *std::move(last);
  }
  cleanup();
  return capture;
}

void RemoveJitMap(const Capture& capture) {
  std::remove(("/tmp/perf-" + std::to_string(capture.pid) + ".map").c_str());
}

RawSample TruncatedCopy(const RawSample& s, size_t bytes) {
  RawSample t;
  t.pid = s.pid;
  t.tid = s.tid;
  t.time_ns = s.time_ns;
  t.has_user_regs = s.has_user_regs;
  t.regs = s.regs;
  t.stack_requested = static_cast<uint32_t>(bytes);
  t.stack.assign(s.stack.begin(), s.stack.begin() + static_cast<ptrdiff_t>(std::min(bytes, s.stack.size())));
  t.kernel_ips = s.kernel_ips;
  t.user_ips = s.user_ips;
  return t;
}

}  // namespace stackfire::testing
