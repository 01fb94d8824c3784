#include <algorithm>
#include "tests/record/record_harness.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

namespace stackfire::record_test {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

pid_t SpawnWithFds(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    setpgid(0, 0);  // a test's SIGINT must not reach the test runner
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int WaitWithTimeout(pid_t pid, int timeout_s, int* status) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return 0;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string PerfUnavailableReason() {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.freq = 1;
  attr.sample_freq = 99;
  attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
  attr.sample_regs_user = 0xff0fff;
  attr.sample_stack_user = 8192;
  attr.exclude_kernel = 1;
  attr.disabled = 1;
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  if (fd >= 0) {
    close(fd);
    return "";
  }
  return std::string("perf_event_open is refused here (") + std::strerror(errno) +
         "); see kernel.perf_event_paranoid";
}

std::string StackfireBin() { return Env("STACKFIRE_BIN"); }
std::string Workload(const std::string& name) { return Env("RECORD_WORKLOADS") + "/" + name; }

// Removes the temporary directory after the run, unless a test failed (the
// files are then kept for a post-mortem).
class TempDirCleanup : public ::testing::Environment {
 public:
  explicit TempDirCleanup(std::string dir) : dir_(std::move(dir)) {}
  void TearDown() override {
    if (::testing::UnitTest::GetInstance()->Passed()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      std::fprintf(stderr, "record tests: files kept in %s\n", dir_.c_str());
    }
  }

 private:
  std::string dir_;
};

std::string TempPath(const std::string& name) {
  static std::string dir = [] {
    char tmpl[] = "/tmp/stackfire_record_test.XXXXXX";
    char* d = mkdtemp(tmpl);
    if (d == nullptr) return std::string("/tmp");
    ::testing::AddGlobalTestEnvironment(new TempDirCleanup(d));
    return std::string(d);
  }();
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string prefix = info ? std::string(info->name()) + "_" : "";
  // Parameterized tests are named "Test/param": keep the file in `dir`.
  std::replace(prefix.begin(), prefix.end(), '/', '_');
  return dir + "/" + prefix + name;
}

RunResult RunCommand(const std::vector<std::string>& argv, int timeout_s) {
  const std::string out_path = TempPath("run.out"), err_path = TempPath("run.err");
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = SpawnWithFds(argv, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  RunResult r;
  int status = 0;
  if (WaitWithTimeout(pid, timeout_s, &status) == 0 && WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  }
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

Background::Background(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return;
  err_path_ = TempPath("bg" + std::to_string(reinterpret_cast<uintptr_t>(this) % 997) + ".err");
  int err_fd = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_ = SpawnWithFds(argv, pipefd[1], err_fd);
  close(pipefd[1]);
  close(err_fd);
  out_fd_ = pipefd[0];
}

Background::~Background() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
}

bool Background::WaitForLine(const std::string& line, int timeout_s) {
  std::string buffer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    if (read(out_fd_, &c, 1) != 1) return false;
    if (c == '\n') {
      if (buffer == line) return true;
      buffer.clear();
    } else {
      buffer.push_back(c);
    }
  }
  return false;
}

int Background::Wait(int timeout_s) {
  if (!reaped_) {
    reaped_ = true;
    if (WaitWithTimeout(pid_, timeout_s, &status_) != 0) return -1;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

std::string Background::Stderr() const { return ReadFile(err_path_); }

Folded ReadFolded(const std::string& path) {
  Folded folded;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    folded[line.substr(0, space)] += std::atol(line.c_str() + space + 1);
  }
  return folded;
}

long Total(const Folded& folded) {
  long total = 0;
  for (const auto& [stack, n] : folded) total += n;
  return total;
}

std::vector<std::string> SplitFrames(const std::string& stack) {
  std::vector<std::string> frames;
  size_t start = 0;
  for (;;) {
    size_t semi = stack.find(';', start);
    frames.push_back(stack.substr(start, semi - start));
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  return frames;
}

long WithFrame(const Folded& folded, const std::string& frame) {
  long total = 0;
  for (const auto& [stack, n] : folded) {
    for (const std::string& f : SplitFrames(stack)) {
      if (f == frame) {
        total += n;
        break;
      }
    }
  }
  return total;
}

std::map<std::string, long> Leaves(const Folded& folded) {
  std::map<std::string, long> leaves;
  for (const auto& [stack, n] : folded) leaves[SplitFrames(stack).back()] += n;
  return leaves;
}

bool ValidSvg(const std::string& path) {
  return RunCommand({"xmllint", "--noout", path}).exit_code == 0;
}

}  // namespace stackfire::record_test
