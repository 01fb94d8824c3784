// `stackfire diff` against difffolded.pl and flamegraph.pl: the folded form
// byte for byte (after sorting) and the SVG geometry for every corpus case
// (testdata/diff, see its README.md), plus what the
// reference cannot do: removed frames stay visible, tooltips carry
// before/after/delta.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>

#include "collapse/folded.h"
#include "gtest/gtest.h"
#include "render/diff.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

std::string DiffData() {
  const char* d = std::getenv("STACKFIRE_TESTDATA");
  return std::string(d ? d : "testdata") + "/diff";
}

collapse::FoldedInput Load(const std::string& name) {
  std::ifstream in(DiffData() + "/input/" + name + ".folded", std::ios::binary);
  EXPECT_TRUE(in) << name;
  collapse::FoldedInput input;
  EXPECT_TRUE(collapse::ReadFolded(in, name, &input, /*allow_two_columns=*/false).ok());
  return input;
}

struct Case {
  std::string expected, before, after;
  bool normalize, strip_hex, negate;
};

const Case kCases[] = {
    {"before-after", "before", "after", false, false, false},
    {"before-after--normalize", "before", "after", true, false, false},
    {"before-after--strip-hex", "before", "after", false, true, false},
    {"fractionals-after", "before-fractionals", "after", false, false, false},
    {"java-01-02", "java-01", "java-02", false, false, false},
    {"java-01-02--normalize", "java-01", "java-02", true, false, false},
    {"java-01-02--normalize--negate", "java-01", "java-02", true, false, true},
};

// The profile points into its inputs, so they live together.
struct Diff {
  collapse::FoldedInput before, after;
  render::DiffProfile profile;
};

std::unique_ptr<Diff> DiffOf(const Case& c) {
  render::DiffOptions o;
  o.normalize = c.normalize;
  o.strip_hex = c.strip_hex;
  auto d = std::make_unique<Diff>();
  d->before = Load(c.before);
  d->after = Load(c.after);
  d->profile = render::MakeDiff(d->before, d->after, o);
  return d;
}

class DiffCorpus : public ::testing::TestWithParam<Case> {};

TEST_P(DiffCorpus, FoldedIsByteIdenticalToDifffolded) {
  const Case& c = GetParam();
  if (c.negate) GTEST_SKIP() << "negate changes only the SVG";
  std::ostringstream out;
  render::WriteDiffFolded(DiffOf(c)->profile, out);
  EXPECT_EQ(out.str(), ReadFile(DiffData() + "/expected/" + c.expected + ".folded"));
}

bool FrameLess(const SvgFrame& a, const SvgFrame& b) {
  return std::tie(a.depth, a.x, a.width, a.name) < std::tie(b.depth, b.x, b.width, b.name);
}

TEST_P(DiffCorpus, SvgGeometryMatchesFlamegraphPl) {
  const Case& c = GetParam();
  render::RenderOptions o;
  o.hash = true;
  o.negate = c.negate;
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteDiffFlameGraph(DiffOf(c)->profile, o, svg).ok());
  SvgDoc want = ParseReferenceSvg(ReadFile(DiffData() + "/expected/" + c.expected + ".svg"));
  SvgDoc got = ParseStackfireSvg(svg.str());
  size_t removed = 0;
  std::vector<SvgFrame> drawn;
  for (const SvgFrame& f : got.frames) {
    if (f.removed) {
      ++removed;
    } else {
      drawn.push_back(f);
    }
  }
  ASSERT_EQ(drawn.size(), want.frames.size());
  std::sort(want.frames.begin(), want.frames.end(), FrameLess);
  std::sort(drawn.begin(), drawn.end(), FrameLess);
  for (size_t i = 0; i < drawn.size(); ++i) {
    const SvgFrame& w = want.frames[i];
    const SvgFrame& g = drawn[i];
    // flamegraph.pl: "name (N samples, P%; D%)"; ours starts "name (N samples, P%)".
    std::string want_head = w.title;
    size_t semi = want_head.rfind("; ");
    if (semi != std::string::npos) want_head = want_head.substr(0, semi) + ")";
    std::string got_head = g.title.substr(0, g.title.find('\n'));
    EXPECT_EQ(got_head, want_head);
    EXPECT_EQ(g.depth, w.depth) << w.title;
    // y is not compared: removed frames may be deeper than any AFTER stack,
    // which makes the picture taller than flamegraph.pl's.
    EXPECT_NEAR(g.x, w.x, 0.0501) << w.title;
    EXPECT_NEAR(g.width, w.width, 0.1001) << w.title;
    int r, gg, b;
    ASSERT_EQ(std::sscanf(w.fill.c_str(), "rgb(%d,%d,%d)", &r, &gg, &b), 3);
    char hex[8];
    std::snprintf(hex, sizeof hex, "#%02x%02x%02x", r, gg, b);
    EXPECT_EQ(g.fill.empty() ? "#ffffff" : g.fill, hex) << w.title;
    if (::testing::Test::HasFailure()) break;
  }
  // before.folded has stacks that after.folded lacks: they stay visible.
  if (c.before == "before" && !c.strip_hex) {
    EXPECT_GT(removed, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, DiffCorpus, ::testing::ValuesIn(kCases), [](const auto& info) {
  std::string n = info.param.expected;
  for (char& ch : n) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n;
});

const render::DiffProfile& Synthetic() {
  static Diff* d = [] {
    auto* d = new Diff;
    std::istringstream b("main;gone;deeper 50\nmain;grew 10\nmain;same 40\n");
    std::istringstream a("main;grew 30\nmain;same 40\nmain;new 5\n");
    EXPECT_TRUE(collapse::ReadFolded(b, "b", &d->before, false).ok());
    EXPECT_TRUE(collapse::ReadFolded(a, "a", &d->after, false).ok());
    d->profile = render::MakeDiff(d->before, d->after, {});
    return d;
  }();
  return d->profile;
}

const SvgFrame* Find(const SvgDoc& doc, const std::string& name) {
  for (const SvgFrame& f : doc.frames) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(DiffSvg, RemovedFramesStayVisibleAndMarked) {
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteDiffFlameGraph(Synthetic(), {}, svg).ok());
  SvgDoc doc = ParseStackfireSvg(svg.str());
  const SvgFrame* gone = Find(doc, "gone");
  const SvgFrame* deeper = Find(doc, "deeper");
  ASSERT_NE(gone, nullptr);
  ASSERT_NE(deeper, nullptr);
  EXPECT_TRUE(gone->removed);
  EXPECT_TRUE(deeper->removed);
  EXPECT_EQ(deeper->depth, gone->depth + 1);
  EXPECT_GT(gone->width, 0);  // drawn (with a 3 px stroke from the style)
  EXPECT_NE(gone->title.find("before 50, after 0, delta -50 (removed"),
            std::string::npos)
      << gone->title;
  EXPECT_NE(svg.str().find("<path class=\"rm\""), std::string::npos);
  // Blue: it shrank.
  EXPECT_EQ(gone->fill.substr(0, 1), "#");
  EXPECT_NE(gone->fill, "#ffffff");
}

TEST(DiffSvg, TooltipShowsBeforeAfterDeltaAndPercentages) {
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteDiffFlameGraph(Synthetic(), {}, svg).ok());
  SvgDoc doc = ParseStackfireSvg(svg.str());
  const SvgFrame* grew = Find(doc, "grew");
  ASSERT_NE(grew, nullptr);
  // After total is 75: +20 is +200% of the frame and +26.67% of the total.
  EXPECT_EQ(grew->title,
            "grew (30 samples, 40.00%)\nbefore 10, after 30, delta +20 "
            "(+200.00% of frame, +26.67% of total)");
  EXPECT_EQ(grew->fill, "#ff7e7e");  // red: 210*(50-20)/50 = 126, for +20 of a max change of 50
  const SvgFrame* added = Find(doc, "new");
  ASSERT_NE(added, nullptr);
  EXPECT_NE(added->title.find("before 0, after 5, delta +5 (new,"), std::string::npos);
  const SvgFrame* same = Find(doc, "same");
  EXPECT_EQ(same->fill, "#ffffff");  // unchanged: white
  EXPECT_NE(svg.str().find("<g id=\"zoom\" transform=\"matrix(15.7333333333333 0 0 1 10 0)\">"), std::string::npos);
  const SvgFrame* main = Find(doc, "main");
  EXPECT_NE(main->title.find("before 100, after 75, delta -25 (-25.00% of frame"),
            std::string::npos)
      << main->title;
}

TEST(DiffSvg, NegateSwapsHues) {
  render::RenderOptions o;
  o.negate = true;
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteDiffFlameGraph(Synthetic(), o, svg).ok());
  SvgDoc doc = ParseStackfireSvg(svg.str());
  const SvgFrame* grew = Find(doc, "grew");
  ASSERT_NE(grew, nullptr);
  EXPECT_EQ(grew->fill, "#7e7eff");
}

}  // namespace
}  // namespace stackfire::testing
