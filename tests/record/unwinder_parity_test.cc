// The table unwinder gives the same stacks as libunwind alone on real perf
// samples of every test workload: `stackfire record --unwinder=verify`
// unwinds each sample with both and counts the differences (see
// src/unwind/verifying_unwinder.h). Each workload runs under the real
// sampler at 999 Hz, so the samples cover whatever the workload does:
// threads, dlopen, C++ templates, inlined code, stripped binaries, signal
// frames, CFA expressions, the vDSO, 64 KiB frames, JIT code and a frame
// without any CFI.
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"

namespace stackfire::record_test {
namespace {

struct Case {
  std::string name;
  std::vector<std::string> argv;  // argv[0] is a workload name or an env var ($NAME)
  // If set, at least 90 % of the samples' folded stacks hold this chain.
  std::string chain = "";
};

std::string Resolve(const std::string& arg) {
  if (!arg.empty() && arg[0] == '$') {
    const char* v = std::getenv(arg.c_str() + 1);
    return v != nullptr ? v : "";
  }
  if (arg.rfind("lib", 0) == 0 || arg.rfind("record_", 0) == 0) return Workload(arg);
  return arg;
}

class UnwinderParityTest : public ::testing::TestWithParam<Case> {};

TEST_P(UnwinderParityTest, TableAndLibunwindAgreeOnEverySample) {
  if (std::string why = PerfUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
  const Case& c = GetParam();
  const std::string out = TempPath(c.name + ".folded");
  std::vector<std::string> argv = {StackfireBin(), "record", "-q", "--unwinder=verify",
                                   "-F", "999", "-d", "4", "-o", out, "--"};
  for (const std::string& a : c.argv) argv.push_back(Resolve(a));
  ASSERT_FALSE(argv.back().empty()) << "workload path missing for " << c.name;
  RunResult r = RunCommand(argv, 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  static const std::regex kCheck(
      R"(unwinder check: (\d+) samples unwound by both table and libunwind, (\d+) differ)"
      R"((?: \(and (\d+) with the leaf in code without CFI)?)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, kCheck)) << r.err;
  const long compared = std::stol(m[1]);
  const long differ = std::stol(m[2]);
  const long without_cfi = m[3].matched ? std::stol(m[3]) : 0;
  static const std::regex kSamples(R"((\d+) samples, (\d+) lost)");
  std::smatch s;
  ASSERT_TRUE(std::regex_search(r.err, s, kSamples)) << r.err;
  const long samples = std::stol(s[1]);

  // Every DWARF-unwound sample went through both unwinders.
  EXPECT_EQ(compared, samples) << r.err;
  EXPECT_GE(compared, 300) << r.err;
  EXPECT_EQ(differ, 0) << r.err;
  // Frame-pointer guesses in JIT prologues and epilogues: a few instructions.
  EXPECT_LE(without_cfi, compared / 20) << r.err;
  // libunwind now and then returns into a stack address (1 sample in ~10^4
  // here); those are its faults, not counted as differences, but a flood of
  // them would mean the check no longer compares anything.
  static const std::regex kReferenceBad(R"((\d+) more where libunwind returned into memory)");
  std::smatch b;
  const long reference_bad = std::regex_search(r.err, b, kReferenceBad) ? std::stol(b[1]) : 0;
  EXPECT_LE(reference_bad, compared / 100) << r.err;
  // The stacks kept are the table's, and they fold into a real profile.
  const auto folded = ReadFolded(out);
  EXPECT_EQ(Total(folded), samples);
  if (!c.chain.empty()) {
    long with_chain = 0;
    for (const auto& [stack, count] : folded) {
      if (stack.find(c.chain) != std::string::npos) with_chain += count;
    }
    EXPECT_GE(with_chain, samples * 9 / 10) << c.chain << "\n" << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Workloads, UnwinderParityTest,
    ::testing::Values(
        Case{"profile_two_threads", {"record_profile", "3", "2"}},
        Case{"late_thread", {"record_late_thread", "1.5", "1"}},
        Case{"dlopen", {"record_dlopen", "librecord_dlopen_lib.so", "1.5", "1"}},
        Case{"cxx_templates_inlines", {"record_cxx", "2"}},
        Case{"cxx_stripped", {"record_cxx_stripped", "2"}},
        Case{"leaves", {"record_leaves", "150", "0"}},
        // A frame without any CFI, crossed by its frame pointer.
        Case{"no_cfi_frame", {"record_nocfi", "1.5"}, "main;nocfi_middle;nocfi_leaf"},
        // Signal frames, CFA expressions, 64 KiB frames, the vDSO, JIT code.
        Case{"unwind_target", {"$UNWIND_TARGET", "3"}},
        Case{"unwind_target_stripped", {"$UNWIND_TARGET_STRIPPED", "3"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace stackfire::record_test
