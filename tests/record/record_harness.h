// Helpers for the record integration tests: run stackfire and the workloads
// as real child processes, read folded output, and tell whether this machine
// lets us use perf_event_open at all (the only reason to skip).
#ifndef STACKFIRE_TESTS_RECORD_RECORD_HARNESS_H_
#define STACKFIRE_TESTS_RECORD_RECORD_HARNESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace stackfire::record_test {

// Empty when a sampling cpu-clock event can be opened on this process;
// otherwise why not (for GTEST_SKIP).
std::string PerfUnavailableReason();

// Skips the current test, saying why, when perf_event_open is refused here.
#define SKIP_WITHOUT_PERF()                                                     \
  do {                                                                          \
    const std::string reason = ::stackfire::record_test::PerfUnavailableReason(); \
    if (!reason.empty()) GTEST_SKIP() << reason;                                \
  } while (0)

// True when xmllint accepts the file as well-formed XML.
bool ValidSvg(const std::string& path);

std::string StackfireBin();       // $STACKFIRE_BIN
std::string Workload(const std::string& name);  // $RECORD_WORKLOADS/name
std::string TempPath(const std::string& name);  // a fresh path in a per-test temp dir
std::string ReadFile(const std::string& path);  // the whole file, "" if unreadable

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs argv to completion (SIGKILL after timeout_s).
RunResult RunCommand(const std::vector<std::string>& argv, int timeout_s = 120);

// A process left running in the background; killed and reaped on
// destruction.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  pid_t pid() const { return pid_; }
  // Reads the child's stdout until a line equal to `line` (or EOF/timeout).
  bool WaitForLine(const std::string& line, int timeout_s = 30);
  // Waits for exit; returns the exit code, -1 if killed or timed out.
  int Wait(int timeout_s = 120);
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string err_path_;
  bool reaped_ = false;
  int status_ = 0;
};

using Folded = std::map<std::string, long>;
Folded ReadFolded(const std::string& path);
long Total(const Folded& folded);
// Sum of the stacks that contain `frame` as a whole frame.
long WithFrame(const Folded& folded, const std::string& frame);
// The last frame of every stack, summed.
std::map<std::string, long> Leaves(const Folded& folded);
std::vector<std::string> SplitFrames(const std::string& stack);

}  // namespace stackfire::record_test

#endif  // STACKFIRE_TESTS_RECORD_RECORD_HARNESS_H_
