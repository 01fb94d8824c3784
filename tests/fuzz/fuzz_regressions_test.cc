// Replays every saved fuzzer input under testdata/fuzz-regressions/<target>/
// (crashes found by scripts/fuzz.sh, kept as regressions) through the same
// target bodies the fuzzers run, plus the small seed files, so that every
// normal and sanitizer test run checks them. A target body aborts when an
// output property breaks (see fuzz/targets.h), which fails this test.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "collapse/folded.h"
#include "fuzz/targets.h"
#include "render/flamegraph.h"
#include "gtest/gtest.h"

namespace stackfire::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

std::string TestData() {
  const char* d = std::getenv("STACKFIRE_TESTDATA");
  return d ? d : "testdata";
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<fs::path> FilesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Replay(const std::string& target, const fs::path& file) {
  SCOPED_TRACE(target + " " + file.string());
  std::string data = ReadAll(file);
  // Every flag byte the target reads from the first byte: each regression
  // file is replayed as saved, and as text with a few option sets.
  EXPECT_TRUE(fuzz::RunTarget(target, reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  for (char flags : {'\0', '\x07', '\x3f', '\xff'}) {
    std::string with = flags + data;
    fuzz::RunTarget(target, reinterpret_cast<const uint8_t*>(with.data()), with.size());
  }
}

TEST(FuzzRegressions, SavedInputsStayFixed) {
  size_t n = 0;
  for (const char* target : fuzz::kTargets) {
    for (const fs::path& f : FilesUnder(fs::path(TestData()) / "fuzz-regressions" / target)) {
      Replay(target, f);
      ++n;
    }
  }
  std::printf("replayed %zu saved inputs\n", n);
}

// The seed corpus itself (small files only, to keep sanitizer runs short).
TEST(FuzzRegressions, SeedsPassTheTargetChecks) {
  struct Seeds {
    const char* target;
    const char* dir;
  };
  const Seeds kSeeds[] = {
      {"perf_script", "perf-script/input"}, {"folded", "render/input"},
      {"folded", "diff/input"},             {"render_svg", "render/input"},
      {"render_svg", "diff/input"},         {"diff_svg", "diff/input"},
      {"proc_maps", "proc-maps"},           {"perf_record", "perf-records"},
      {"demangle", "symbols"},
      {"pprof", "go-pprof"},
      {"names", "names-seeds"},
      {"proc_task", "proc-task"},
  };
  size_t n = 0;
  for (const Seeds& s : kSeeds) {
    for (const fs::path& f : FilesUnder(fs::path(TestData()) / s.dir)) {
      if (fs::file_size(f) > 64 * 1024 || f.extension() == ".gz" || f.extension() == ".md") {
        continue;
      }
      Replay(s.target, f);
      ++n;
    }
  }
  EXPECT_GT(n, 10u);
}

TEST(FuzzRegressions, CheckerRejectsBrokenSvg) {
  EXPECT_EQ(fuzz::CheckSvg("<svg><script>x</script><style>y</style></svg>"), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><text>a < b</text></svg>"), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><text>a & b</text></svg>"), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><text>bad \xff utf8</text></svg>"), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><text>nul \0</text></svg>"s), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><script/><script/></svg>"), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><rect onload=\"x\"/></svg>"), "");
  EXPECT_NE(fuzz::CheckSvg("<svg><text>"), "");
}

// A flame graph whose paths do not draw what its frame table says is broken.
TEST(FuzzRegressions, CheckerRejectsAFrameTableThePathsDisagreeWith) {
  std::istringstream in("main;a;b 3\nmain;c 2\n");
  collapse::FoldedInput input;
  ASSERT_TRUE(collapse::ReadFolded(in, "t", &input).ok());
  std::ostringstream out;
  ASSERT_TRUE(render::WriteFlameGraph(input, render::RenderOptions(), out).ok());
  const std::string svg = out.str();
  EXPECT_EQ(fuzz::CheckSvg(svg), "");
  // One frame's width in the drawing changed (its h and h- both).
  size_t d = svg.find("h3v15h-3z");
  ASSERT_NE(d, std::string::npos) << svg;
  std::string moved = svg;
  moved.replace(d, 9, "h2v15h-2z");
  EXPECT_NE(fuzz::CheckSvg(moved), "");
  // A frame dropped from the table's columns.
  std::string short_table = svg;
  size_t depth = short_table.find("\"depth\":[0,");
  ASSERT_NE(depth, std::string::npos);
  short_table.erase(depth + 9, 2);
  EXPECT_NE(fuzz::CheckSvg(short_table), "");
}

}  // namespace
}  // namespace stackfire::testing
