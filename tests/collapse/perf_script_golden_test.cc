// Golden comparison with stackcollapse-perf.pl: every case of
// testdata/perf-script (input x option) through the library, and a few
// through the built binary. On a mismatch the test writes NAME.expected and
// NAME.actual under golden-actual/ in the working directory and prints a diff.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collapse/parallel_collapse.h"
#include "collapse/perf_script.h"
#include "gtest/gtest.h"
#include "stackfire/profile.h"
#include "tests/collapse/test_files.h"

namespace stackfire::collapse {
namespace {

namespace fs = std::filesystem;
using testing::ReadWholeFile;
using testing::TestdataDir;

struct GoldenCase {
  std::string name;     // "go-stacks-collapsed-pid"
  std::string input;    // path of the perf script input
  std::string expected; // path of the expected folded output
  std::string option;   // "default", "pid", ...
};

std::string PerfScriptDir() { return TestdataDir() + "/perf-script"; }

std::vector<GoldenCase> ListCases() {
  std::vector<GoldenCase> cases;
  std::error_code ec;
  fs::path dir = fs::path(PerfScriptDir()) / "expected";
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string file = e.path().filename().string();
    std::string stem = file;
    if (absl::EndsWith(stem, ".gz")) stem.resize(stem.size() - 3);
    if (!absl::EndsWith(stem, ".txt")) continue;
    stem.resize(stem.size() - 4);
    size_t at = stem.rfind("-collapsed-");
    if (at == std::string::npos) continue;
    GoldenCase c;
    c.name = stem;
    c.option = stem.substr(at + 11);
    std::string input = (fs::path(PerfScriptDir()) / "input" / stem.substr(0, at)).string();
    c.input = fs::exists(input + ".txt") ? input + ".txt" : input + ".txt.gz";
    c.expected = e.path().string();
    cases.push_back(c);
  }
  std::sort(cases.begin(), cases.end(),
            [](const GoldenCase& a, const GoldenCase& b) { return a.name < b.name; });
  return cases;
}

PerfScriptOptions OptionsFor(const std::string& option) {
  PerfScriptOptions o;
  if (option == "pid") o.include_pid = true;
  if (option == "tid") o.include_tid = true;
  if (option == "kernel") o.annotate_kernel = true;
  if (option == "jit") o.annotate_jit = true;
  if (option == "all") o.annotate_kernel = o.annotate_jit = true;
  if (option == "addrs") o.include_addrs = true;
  return o;
}

// Saves both sides for inspection and returns a short diff.
std::string ExplainMismatch(const std::string& name, const std::string& expected,
                            const std::string& actual) {
  fs::create_directories("golden-actual");
  std::string e = "golden-actual/" + name + ".expected";
  std::string a = "golden-actual/" + name + ".actual";
  std::ofstream(e, std::ios::binary) << expected;
  std::ofstream(a, std::ios::binary) << actual;
  std::string diff;
  std::string cmd = "diff -u '" + e + "' '" + a + "' | head -40 | cut -c1-300";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) diff.append(buf, n);
    pclose(p);
  }
  return absl::StrCat("output differs; see ", fs::absolute(a).string(), "\n", diff);
}

class PerfScriptGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(PerfScriptGoldenTest, MatchesStackcollapsePerf) {
  const GoldenCase& c = GetParam();
  absl::StatusOr<std::string> input = ReadWholeFile(c.input);
  ASSERT_TRUE(input.ok()) << input.status();
  absl::StatusOr<std::string> expected = ReadWholeFile(c.expected);
  ASSERT_TRUE(expected.ok()) << expected.status();

  Profile profile = CollapsePerfScript(*input, OptionsFor(c.option));
  std::ostringstream out;
  WriteFolded(profile, out);
  if (out.str() != *expected) ADD_FAILURE() << ExplainMismatch(c.name, *expected, out.str());
}

// The multi-threaded path the CLI takes, with tiny segments so that every
// input is cut in many places, reading from memory and from a stream.
TEST_P(PerfScriptGoldenTest, MatchesWhenCutIntoSegments) {
  const GoldenCase& c = GetParam();
  absl::StatusOr<std::string> input = ReadWholeFile(c.input);
  ASSERT_TRUE(input.ok()) << input.status();
  absl::StatusOr<std::string> expected = ReadWholeFile(c.expected);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ParallelOptions parallel;
  parallel.threads = 3;
  parallel.segment_bytes = 2048;
  for (bool whole : {true, false}) {
    std::string_view rest = *input;
    CollapseSource source;
    if (whole) {
      source.whole = rest;
    } else {
      source.next = [&rest]() -> absl::StatusOr<std::string_view> {
        std::string_view piece = rest.substr(0, 1000);
        rest.remove_prefix(piece.size());
        return piece;
      };
    }
    Profile profile;
    PerfScriptStats stats;
    ASSERT_TRUE(CollapsePerfScriptParallel(source, OptionsFor(c.option), parallel, &profile, &stats).ok());
    std::ostringstream out;
    WriteFolded(profile, out);
    if (out.str() != *expected) {
      ADD_FAILURE() << (whole ? "in memory: " : "streamed: ")
                    << ExplainMismatch(c.name + (whole ? ".whole" : ".stream"), *expected, out.str());
    }
    PerfScriptStats serial;
    CollapsePerfScript(*input, OptionsFor(c.option), &serial);
    EXPECT_EQ(stats.lines, serial.lines);
    EXPECT_EQ(stats.samples, serial.samples);
    EXPECT_EQ(stats.unparsable_lines, serial.unparsable_lines);
    EXPECT_EQ(stats.first_unparsable_line, serial.first_unparsable_line);
    EXPECT_EQ(stats.event, serial.event);
    EXPECT_EQ(stats.filtered_samples, serial.filtered_samples);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, PerfScriptGoldenTest, ::testing::ValuesIn(ListCases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& info) {
                           std::string n = info.param.name;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PerfScriptGoldenTest);

TEST(PerfScriptGoldenSetTest, HasAllCorpusCases) {
  // 21 inputs x 7 option sets, plus single-line-stacks (default only).
  EXPECT_EQ(ListCases().size(), 148u) << "testdata dir: " << PerfScriptDir();
}

// The built binary, end to end.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the binary; `stdin_file` is redirected to stdin, or piped through cat
// (so that it cannot be mapped) when `pipe` is set.
RunResult RunStackfire(const std::string& args, const std::string& stdin_file = "",
                       bool pipe = false) {
  const char* bin = std::getenv("STACKFIRE_BIN");
  RunResult r;
  if (bin == nullptr) return r;
  std::string err_file = ::testing::TempDir() + "/collapse_stderr.txt";
  std::string cmd = absl::StrCat("'", bin, "' collapse ", args, " 2>'", err_file, "'");
  if (!stdin_file.empty() && pipe) cmd = absl::StrCat("cat '", stdin_file, "' | ", cmd);
  if (!stdin_file.empty() && !pipe) absl::StrAppend(&cmd, " < '", stdin_file, "'");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file, std::ios::binary);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

class CollapseBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("STACKFIRE_BIN") == nullptr) GTEST_SKIP() << "STACKFIRE_BIN is not set";
  }
  std::string Input(const std::string& name) { return PerfScriptDir() + "/input/" + name; }
  std::string Expected(const std::string& name) {
    std::string path = PerfScriptDir() + "/expected/" + name;
    if (!fs::exists(path)) path += ".gz";
    absl::StatusOr<std::string> text = ReadWholeFile(path);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }
};

TEST_F(CollapseBinaryTest, GzipInputDefault) {
  RunResult r = RunStackfire("'" + Input("example-perf-stacks.txt.gz") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.out != Expected("example-perf-stacks-collapsed-default.txt")) {
    ADD_FAILURE() << ExplainMismatch("bin-example-default",
                                     Expected("example-perf-stacks-collapsed-default.txt"), r.out);
  }
}

TEST_F(CollapseBinaryTest, AllOptionFromStdin) {
  RunResult r = RunStackfire("--all -", Input("perf-java-stacks-01.txt"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Expected("perf-java-stacks-01-collapsed-all.txt"));
}

TEST_F(CollapseBinaryTest, PipedStdinWithPid) {
  RunResult r = RunStackfire("--pid", Input("perf-vertx-stacks-01.txt"), /*pipe=*/true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.out != Expected("perf-vertx-stacks-01-collapsed-pid.txt")) {
    ADD_FAILURE() << ExplainMismatch("bin-vertx-pid-pipe",
                                     Expected("perf-vertx-stacks-01-collapsed-pid.txt"), r.out);
  }
}

TEST_F(CollapseBinaryTest, TidAndOutputFile) {
  std::string out = ::testing::TempDir() + "/collapse_out.folded";
  RunResult r = RunStackfire("--tid -o '" + out + "' '" + Input("perf-funcab-pid-01.txt") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  absl::StatusOr<std::string> written = ReadWholeFile(out);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, Expected("perf-funcab-pid-01-collapsed-tid.txt"));
}

TEST_F(CollapseBinaryTest, SingleLineStacks) {
  RunResult r = RunStackfire("'" + Input("single-line-stacks.txt") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Expected("single-line-stacks-collapsed-default.txt"));
}

TEST_F(CollapseBinaryTest, EmptyInputIsAnError) {
  RunResult r = RunStackfire("'" + Input("no-events.txt") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(absl::StrContains(r.err, "stackfire: error: no stacks found in")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "no-events.txt")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "stackfire: hint: ")) << r.err;
}

TEST_F(CollapseBinaryTest, WeirdLineIsReportedWithItsNumber) {
  RunResult r = RunStackfire("'" + Input("weird-stack-line.txt") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Expected("weird-stack-line-collapsed-default.txt"));
  EXPECT_TRUE(absl::StrContains(r.err, "warning: 1 unparsable line ignored in")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "(first at line 5: \"\\x09          THIS_IS_A_WEIRD_LINE\")"))
      << r.err;
}

TEST_F(CollapseBinaryTest, MissingFileIsNamed) {
  RunResult r = RunStackfire("/nonexistent/dir/perf.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(absl::StrContains(r.err, "stackfire: error: cannot open '/nonexistent/dir/perf.txt'"))
      << r.err;
}

TEST_F(CollapseBinaryTest, UnknownOptionIsAUsageError) {
  RunResult r = RunStackfire("--no-such-option '" + Input("go-stacks.txt") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
}

TEST_F(CollapseBinaryTest, EventFilterThatMatchesNothing) {
  RunResult r = RunStackfire("--event-filter page-faults '" + Input("perf-cycles-instructions-01.txt") + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.err, "no sample is of event 'page-faults'")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "instructions, cycles")) << r.err;
}

}  // namespace
}  // namespace stackfire::collapse
