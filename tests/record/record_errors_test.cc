// stackfire record's error paths: each gives "stackfire: error:", a hint
// and the documented exit code, before any sampling starts.
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"

namespace stackfire::record_test {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RecordErrorsTest, NoSuchPid) {
  RunResult r = RunCommand({StackfireBin(), "record", "-p", "1073741000", "-o", TempPath("x.svg")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Has(r.err, "stackfire: error: no such process: pid 1073741000")) << r.err;
  EXPECT_TRUE(Has(r.err, "stackfire: hint:")) << r.err;
}

TEST(RecordErrorsTest, BadPidList) {
  RunResult r = RunCommand({StackfireBin(), "record", "-p", "12,abc", "-o", TempPath("x.svg")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "'abc' is not a process id")) << r.err;
}

TEST(RecordErrorsTest, FrequencyAboveTheKernelLimit) {
  RunResult r = RunCommand({StackfireBin(), "record", "-F", "100000000", "-p", std::to_string(getpid()),
                     "-o", TempPath("x.svg")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "above the kernel's limit")) << r.err;
  EXPECT_TRUE(Has(r.err, "kernel.perf_event_max_sample_rate")) << r.err;
  r = RunCommand({StackfireBin(), "record", "-F", "0", "-p", std::to_string(getpid())});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "-F must be at least 1 Hz")) << r.err;
  // The rate is too low: no hint to lower it.
  EXPECT_FALSE(Has(r.err, "lower -F")) << r.err;
  EXPECT_TRUE(Has(r.err, "stackfire: hint: -F is samples per second per thread")) << r.err;
}

TEST(RecordErrorsTest, UnsustainableRateIsWarnedAboutBeforeSampling) {
  // Within the kernel's limit but more than it and stackfire sustain: a
  // warning before anything starts (here the command is then not found).
  uint64_t max_rate = 0;
  std::ifstream("/proc/sys/kernel/perf_event_max_sample_rate") >> max_rate;
  const uint64_t rate = max_rate == 0 ? 100000 : std::min<uint64_t>(100000, max_rate);
  RunResult r = RunCommand({StackfireBin(), "record", "-F", std::to_string(rate), "-o",
                            TempPath("x.svg"), "--", "stackfire-no-such-command-xyz"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Has(r.err, "stackfire: warning: -F " + std::to_string(rate))) << r.err;
  if (max_rate != 0) {
    EXPECT_TRUE(Has(r.err, "the kernel will throttle sampling and samples will be lost")) << r.err;
  }
  EXPECT_TRUE(Has(r.err, "; use -F ")) << r.err;
  EXPECT_LT(r.err.find("stackfire: warning"), r.err.find("command not found")) << r.err;
  // The default rate gets no such warning.
  r = RunCommand({StackfireBin(), "record", "-o", TempPath("x.svg"), "--",
                  "stackfire-no-such-command-xyz"});
  EXPECT_FALSE(Has(r.err, "warning")) << r.err;
}

TEST(RecordErrorsTest, OneFileGivenTwiceToOutput) {
  const std::string svg = TempPath("twice.svg");
  RunResult r = RunCommand({StackfireBin(), "record", "-o", svg, "-o", svg, "-p",
                            std::to_string(getpid())});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Has(r.err, "stackfire: error: -o " + svg + " is given twice")) << r.err;
  EXPECT_TRUE(Has(r.err, "stackfire: hint:")) << r.err;
}

TEST(RecordErrorsTest, UnwritableOutputIsCheckedFirst) {
  const auto start = std::chrono::steady_clock::now();
  RunResult r = RunCommand({StackfireBin(), "record", "-d", "5", "-p", std::to_string(getpid()), "-o",
                     "/nonexistent-dir/flame.svg"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Has(r.err, "cannot write the output file /nonexistent-dir/flame.svg")) << r.err;
  EXPECT_TRUE(Has(r.err, "stackfire: hint:")) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(RecordErrorsTest, CommandNotFound) {
  RunResult r = RunCommand({StackfireBin(), "record", "-o", TempPath("x.svg"), "--",
                     "stackfire-no-such-command-xyz", "arg"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Has(r.err, "command not found: stackfire-no-such-command-xyz")) << r.err;
  EXPECT_TRUE(Has(r.err, "stackfire: hint:")) << r.err;
}

TEST(RecordErrorsTest, UsageErrors) {
  EXPECT_EQ(RunCommand({StackfireBin(), "record"}).exit_code, 2);  // neither -p nor a command
  RunResult both = RunCommand({StackfireBin(), "record", "-p", "1", "--", "true"});
  EXPECT_EQ(both.exit_code, 2);
  RunResult cg = RunCommand({StackfireBin(), "record", "--call-graph", "lbr", "-p", "1"});
  EXPECT_EQ(cg.exit_code, 2);
  EXPECT_TRUE(Has(cg.err, "--call-graph")) << cg.err;
  RunResult size = RunCommand({StackfireBin(), "record", "--call-graph", "dwarf,100", "-p", "1"});
  EXPECT_EQ(size.exit_code, 2);
  RunResult ev = RunCommand({StackfireBin(), "record", "-e", "no-such-event", "-p", "1"});
  EXPECT_EQ(ev.exit_code, 2);
  EXPECT_TRUE(Has(ev.err, "unknown event 'no-such-event'")) << ev.err;
  RunResult pages = RunCommand({StackfireBin(), "record", "-m", "3", "-p", "1"});
  EXPECT_EQ(pages.exit_code, 2);
  RunResult ext = RunCommand({StackfireBin(), "record", "-o", "out.png", "-p", "1"});
  EXPECT_EQ(ext.exit_code, 2);
  RunResult unw = RunCommand({StackfireBin(), "record", "--unwinder", "magic", "-p", "1"});
  EXPECT_EQ(unw.exit_code, 2);
}

}  // namespace
}  // namespace stackfire::record_test
