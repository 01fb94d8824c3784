// `stackfire record -- CMD ARGS`: everything after the first `--` reaches the
// command unchanged (dashed arguments and later `--` included), and the
// command's own exit status becomes stackfire's when it ended by itself.
#include <sys/stat.h>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"

namespace stackfire::record_test {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RecordCommandTest, DashedArgumentsReachTheCommandVerbatim) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("args.txt");
  // printf prints each argument on a line of its own: the command must see
  // -c, -x, --flag=1, a second --, -o (one of record's own flags) and an
  // empty argument, in order.
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-o", TempPath("x.folded"), "--",
                            "sh", "-c", "printf '<%s>\\n' \"$@\" > \"$0\"", out, "-x",
                            "--flag=1", "--", "-o", ""});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(out), "<-x>\n<--flag=1>\n<-->\n<-o>\n<>\n");
}

TEST(RecordCommandTest, RecordFlagsBeforeTheDashesStillApply) {
  SKIP_WITHOUT_PERF();
  const std::string folded = TempPath("x.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-F", "199", "--per-thread", "-o", folded,
                            "--", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.err, "sampling at 199 Hz")) << r.err;
  // --per-thread roots every stack at comm-pid/tid.
  Folded stacks = ReadFolded(folded);
  ASSERT_FALSE(stacks.empty()) << r.err;
  for (const auto& [stack, count] : stacks) {
    EXPECT_TRUE(stack.rfind("sh-", 0) == 0 && Has(SplitFrames(stack)[0], "/")) << stack;
  }
}

TEST(RecordCommandTest, ExitStatusOfTheCommand) {
  SKIP_WITHOUT_PERF();
  RunResult three = RunCommand(
      {StackfireBin(), "record", "-q", "-o", TempPath("a.folded"), "--", "sh", "-c", "exit 3"});
  EXPECT_EQ(three.exit_code, 3) << three.err;
  EXPECT_TRUE(Has(three.err, "(the target exited)")) << three.err;
  RunResult killed = RunCommand({StackfireBin(), "record", "-q", "-o", TempPath("b.folded"), "--",
                                 "sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(killed.exit_code, 128 + 15) << killed.err;
  RunResult ok = RunCommand(
      {StackfireBin(), "record", "-q", "-o", TempPath("c.folded"), "--", "sh", "-c", "exit 0"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(RecordCommandTest, DurationEndsTheCommandAndStackfireReportsItsOwnStatus) {
  SKIP_WITHOUT_PERF();
  const std::string folded = TempPath("d.folded");
  // The command would exit 7 after 30 s; -d stops it (SIGTERM) first.
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-d", "0.5", "-o", folded, "--", "sh",
                            "-c", "sleep 30; exit 7"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Has(r.err, "(duration reached)")) << r.err;
  struct stat st;
  EXPECT_EQ(::stat(folded.c_str(), &st), 0);
}

}  // namespace
}  // namespace stackfire::record_test
