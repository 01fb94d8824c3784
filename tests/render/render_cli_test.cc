// `stackfire render` as a user runs it: exit codes and messages for the
// corpus's bad, empty and low-count inputs, options and output files.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

CliRun Stackfire(const std::string& args) {
  std::string dir = ::testing::TempDir();
  std::string cmd = std::string(std::getenv("STACKFIRE_BIN")) + " " + args + " >" + dir +
                    "/cli.out 2>" + dir + "/cli.err";
  int rc = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = ReadFile(dir + "/cli.out");
  r.err = ReadFile(dir + "/cli.err");
  return r;
}

std::string Input(const std::string& name) {
  return std::string(std::getenv("STACKFIRE_TESTDATA")) + "/render/input/" + name;
}

TEST(RenderCli, BadLinesAreCountedAndNamed) {
  CliRun r = Stackfire("render --hash " + Input("bad-lines.folded"));
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.err.find("ignored 3 lines with invalid format"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad-lines.folded:3:"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("<svg"), std::string::npos);
}

TEST(RenderCli, EmptyInputWritesTheErrorPictureAndFails) {
  CliRun r = Stackfire("render " + Input("empty.folded"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("stackfire: error: no stack counts found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stackfire: hint:"), std::string::npos);
  EXPECT_NE(r.out.find("ERROR: No valid input"), std::string::npos);
}

TEST(RenderCli, LowCountWarnsLikeFlamegraphPl) {
  CliRun r = Stackfire("render " + Input("java-jit.folded"));
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.err.find("stack count is low (46)"), std::string::npos) << r.err;
  CliRun quiet = Stackfire("render --countname bytes " + Input("java-jit.folded"));
  EXPECT_EQ(quiet.err, "");
}

TEST(RenderCli, UsageErrorsExitTwo) {
  EXPECT_EQ(Stackfire("render --colors nope " + Input("fractional.folded")).code, 2);
  EXPECT_EQ(Stackfire("render --minwidth abc " + Input("fractional.folded")).code, 2);
  EXPECT_EQ(Stackfire("render --width x " + Input("fractional.folded")).code, 2);
  CliRun missing = Stackfire("render /nonexistent/file.folded");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/file.folded"), std::string::npos);
}

TEST(RenderCli, StdinSeveralFilesAndOutputFile) {
  std::string out = ::testing::TempDir() + "/two.svg";
  CliRun r = Stackfire("render -o " + out + " " + Input("fractional.folded") + " - < " +
                    Input("with-space.folded"));
  EXPECT_EQ(r.code, 0) << r.err;
  SvgDoc doc = ParseStackfireSvg(ReadFile(out));
  ASSERT_FALSE(doc.frames.empty());
  // Both inputs are summed: 334.621 + 334.621 samples, rounded.
  EXPECT_EQ(doc.frames[0].title, "all (669 samples, 100%)");
}

TEST(RenderCli, HelpListsFlamegraphOptions) {
  CliRun r = Stackfire("render --help");
  EXPECT_EQ(r.code, 0);
  for (const char* flag : {"--title", "--subtitle", "--width", "--height", "--minwidth",
                           "--fonttype", "--fontsize", "--fontwidth", "--countname", "--nametype",
                           "--colors", "--bgcolors", "--hash", "--cp", "--reverse", "--inverted",
                           "--flamechart", "--negate", "--factor", "--notes", "-o"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace stackfire::testing
