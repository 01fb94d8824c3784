// Geometry against flamegraph.pl: for every case of the reference corpus
// (testdata/render, see its README.md), the same frames
// with the same names, counts, x, width and depth (within the reference's
// rounding to 0.1 px), the same tooltips, and the same labels.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "collapse/folded.h"
#include "gtest/gtest.h"
#include "render/flamegraph.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

std::string TestData() {
  const char* d = std::getenv("STACKFIRE_TESTDATA");
  return d ? d : "testdata";
}

// Options per file name, as the corpus README lists them (always --hash).
render::RenderOptions OptionsFor(const std::string& opts) {
  render::RenderOptions o;
  o.hash = true;
  if (opts == "inverted") o.inverted = true;
  if (opts == "reverse") o.reverse = true;
  if (opts == "minwidth0") o.minwidth = "0";
  if (opts == "width800-title") {
    o.width = 800;
    o.title = "Custom <title> & more";
    o.subtitle = "sub";
    o.countname = "bytes";
    o.nametype = "Frame:";
  }
  if (opts == "colors-mem") o.colors = "mem";
  if (opts == "colors-java") o.colors = "java";
  if (opts == "flamechart") o.flamechart = true;
  if (opts == "negate") o.negate = true;
  if (opts == "factor") o.factor = 2.5;
  return o;
}

bool FrameLess(const SvgFrame& a, const SvgFrame& b) {
  return std::tie(a.depth, a.x, a.width, a.name) < std::tie(b.depth, b.x, b.width, b.name);
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(TestData() + "/render/expected")) {
    std::string n = e.path().filename().string();
    if (n.size() > 3 && n.substr(n.size() - 3) == ".gz") n.resize(n.size() - 3);
    if (n.size() > 4 && n.substr(n.size() - 4) == ".svg") out.push_back(n.substr(0, n.size() - 4));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CorpusGeometry : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusGeometry, MatchesFlamegraphPl) {
  const std::string name = GetParam();
  size_t sep = name.find("--");
  std::string input_name = name.substr(0, sep), opts = name.substr(sep + 2);
  std::ifstream in(TestData() + "/render/input/" + input_name + ".folded", std::ios::binary);
  ASSERT_TRUE(in) << input_name;
  collapse::FoldedInput input;
  ASSERT_TRUE(collapse::ReadFolded(in, input_name, &input).ok());
  render::RenderOptions o = OptionsFor(opts);
  std::ostringstream svg;
  absl::Status status = render::WriteFlameGraph(input, o, svg);
  std::string expected_svg = ReadFile(TestData() + "/render/expected/" + name + ".svg");

  if (input_name == "empty") {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(svg.str().find("ERROR: No valid input"), std::string::npos);
    EXPECT_NE(expected_svg.find("ERROR: No valid input"), std::string::npos);
    return;
  }
  ASSERT_TRUE(status.ok()) << status;

  SvgDoc want = ParseReferenceSvg(expected_svg);
  SvgDoc got = ParseStackfireSvg(svg.str());
  ASSERT_GT(want.frames.size(), 0u);
  ASSERT_EQ(got.frames.size(), want.frames.size()) << name;
  std::sort(want.frames.begin(), want.frames.end(), FrameLess);
  std::sort(got.frames.begin(), got.frames.end(), FrameLess);
  int mismatches = 0;
  for (size_t i = 0; i < want.frames.size() && mismatches < 10; ++i) {
    const SvgFrame& w = want.frames[i];
    const SvgFrame& g = got.frames[i];
    bool ok = w.name == g.name && w.samples == g.samples && w.depth == g.depth &&
              std::fabs(w.x - g.x) <= 0.0501 && std::fabs(w.width - g.width) <= 0.1001 &&
              w.y == g.y && w.height == g.height && w.title == g.title;
    if (!ok) {
      ++mismatches;
      ADD_FAILURE() << name << " frame " << i << "\n want: " << w.title << " x=" << w.x
                    << " w=" << w.width << " y=" << w.y << " d=" << w.depth
                    << "\n  got: " << g.title << " x=" << g.x << " w=" << g.width
                    << " y=" << g.y << " d=" << g.depth;
    }
  }
  // Labels: flamegraph.pl leaves the root's label empty; stackfire writes "all".
  std::vector<std::string> wl, gl;
  for (const std::string& l : want.labels) {
    if (!l.empty()) wl.push_back(l);
  }
  for (const std::string& l : got.labels) {
    if (l != "all") gl.push_back(l);
  }
  std::sort(wl.begin(), wl.end());
  std::sort(gl.begin(), gl.end());
  EXPECT_EQ(wl, gl) << name;
  // Colours: --hash is flamegraph.pl's name hash, so fills match too.
  if (opts != "negate" && input_name != "two-column-diff") {
    int color_mismatch = 0;
    for (size_t i = 0; i < want.frames.size(); ++i) {
      int r, g, b;
      if (std::sscanf(want.frames[i].fill.c_str(), "rgb(%d,%d,%d)", &r, &g, &b) != 3) continue;
      char hex[8];
      std::snprintf(hex, sizeof hex, "#%02x%02x%02x", r, g, b);
      if (got.frames[i].fill != hex) ++color_mismatch;
    }
    EXPECT_EQ(color_mismatch, 0) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusGeometry, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(CorpusGeometry, CoversEveryCase) { EXPECT_EQ(Cases().size(), 19u); }

}  // namespace
}  // namespace stackfire::testing
