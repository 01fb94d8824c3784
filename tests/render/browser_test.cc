// The SVG's script in a real browser (headless Chromium, when installed):
// clicking a frame zooms it to full width, the reset control restores it,
// Ctrl-F searches and shows the right "Matched" percentage, the URL keeps the
// zoom and the search, and the diff tooltip shows before, after and delta.
// The harness (svg_harness.js) also records timings; they are not asserted.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "collapse/folded.h"
#include "gtest/gtest.h"
#include "render/diff.h"
#include "render/flamegraph.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

std::string Chromium() {
  if (const char* c = std::getenv("CHROMIUM")) return c;
  for (const char* p : {"/usr/lib/chromium/chromium", "/usr/bin/chromium"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

std::string SourceDir() {
  std::string data = std::getenv("STACKFIRE_TESTDATA") ? std::getenv("STACKFIRE_TESTDATA") : "";
  return data.substr(0, data.rfind('/'));
}

// Runs the harness on `svg` and returns its JSON (empty on failure).
std::string RunHarness(const std::string& svg, const std::string& name) {
  std::string page = ::testing::TempDir() + "/" + name + ".svg";
  size_t end = svg.rfind("</svg>");
  std::ofstream(page, std::ios::binary)
      << svg.substr(0, end) << "<script type=\"text/ecmascript\"><![CDATA[\n"
      << ReadFile(SourceDir() + "/tests/render/svg_harness.js") << "]]></script>\n</svg>\n";
  std::string cmd = Chromium() +
                    " --headless --no-sandbox --disable-gpu --disable-background-networking"
                    " --virtual-time-budget=30000 --dump-dom file://" + page + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string dom;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) dom.append(buf, n);
  pclose(p);
  size_t at = dom.rfind("<text id=\"harness\">");  // the comment in the script has it too
  if (at == std::string::npos) return "";
  at += 19;
  return Unescape(dom.substr(at, dom.find("</text>", at) - at));
}

std::string Field(const std::string& json, const std::string& key) {
  std::string k = "\"" + key + "\":";
  size_t p = json.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  if (json[p] == '"') {
    std::string out;
    for (size_t i = p + 1; i < json.size() && json[i] != '"'; ++i) {
      if (json[i] == '\\') ++i;
      out += json[i];
    }
    return out;
  }
  return json.substr(p, json.find_first_of(",}", p) - p);
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Chromium().empty()) {
      GTEST_SKIP() << "chromium is not installed (apt-get install chromium): browser checks skipped";
    }
  }
};

TEST_F(BrowserTest, ZoomResetSearchAndUrlState) {
  std::ifstream in(std::string(std::getenv("STACKFIRE_TESTDATA")) +
                   "/render/input/example-perf-stacks.folded");
  FoldedInput input;
  ASSERT_TRUE(ReadFolded(in, "example", &input).ok());
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteFlameGraph(input, {}, svg).ok());
  std::string json = RunHarness(svg.str(), "flame");
  ASSERT_FALSE(json.empty()) << "the harness did not report";
  std::cout << json << "\n";
  EXPECT_NEAR(std::stod(Field(json, "zoomed_width")), 1180, 0.5);
  EXPECT_NEAR(std::stod(Field(json, "width_after_reset")), std::stod(Field(json, "target_width")),
              0.01);
  EXPECT_NE(Field(json, "url_after_zoom").find("x="), std::string::npos);
  EXPECT_NE(Field(json, "url_after_zoom").find("y="), std::string::npos);
  EXPECT_NE(Field(json, "url_after_search").find("s="), std::string::npos);
  // The details line shows the hovered frame's tooltip.
  EXPECT_EQ(Field(json, "details"), "Function: " + Field(json, "target"));
  // Searching for the frame's exact name matches at least that frame.
  std::string target = Field(json, "target");
  double pct = std::stod(target.substr(target.rfind(", ") + 2));
  std::string matched = Field(json, "matched");
  ASSERT_EQ(matched.rfind("Matched: ", 0), 0u) << matched;
  EXPECT_GE(std::stod(matched.substr(9)) + 0.051, pct) << matched;
}

TEST_F(BrowserTest, DiffTooltipShowsBeforeAfterDelta) {
  std::string dir = std::string(std::getenv("STACKFIRE_TESTDATA")) + "/diff/input/";
  std::ifstream b(dir + "before.folded"), a(dir + "after.folded");
  FoldedInput before, after;
  ASSERT_TRUE(ReadFolded(b, "before", &before, false).ok());
  ASSERT_TRUE(ReadFolded(a, "after", &after, false).ok());
  render::DiffProfile diff = render::MakeDiff(before, after, {});
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteDiffFlameGraph(diff, {}, svg).ok());
  std::string json = RunHarness(svg.str(), "diff");
  ASSERT_FALSE(json.empty());
  std::string details = Field(json, "details");
  EXPECT_NE(details.find("before "), std::string::npos) << details;
  EXPECT_NE(details.find("after "), std::string::npos) << details;
  EXPECT_NE(details.find("delta "), std::string::npos) << details;
  EXPECT_NEAR(std::stod(Field(json, "zoomed_width")), 1180, 0.5);
}

}  // namespace
}  // namespace stackfire::testing
