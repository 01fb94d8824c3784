// Layout rules that the corpus does not pin down on its own, and the number
// formatting that tooltips rely on.
#include "render/layout.h"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "render/palette.h"
#include "render/svg_format.h"

namespace stackfire::render {
namespace {

std::vector<StackWeight> In(std::initializer_list<std::pair<const char*, double>> lines) {
  std::vector<StackWeight> v;
  for (const auto& [s, w] : lines) v.push_back(StackWeight{s, w, w, ' ', {}});
  return v;
}

std::string Dump(const Layout& l) {
  std::string out;
  for (const Frame& f : l.frames) {
    out += std::string(f.depth, ' ') + std::string(f.name) + " " + std::to_string(int(f.start)) +
           "-" + std::to_string(int(f.end)) + "\n";
  }
  return out;
}

TEST(LayoutTest, SortsAndMergesLikeFlamegraphPl) {
  auto l = BuildLayout(In({{"a;c", 2}, {"a;b", 1}, {"a;b;x", 3}, {"d", 4}}), {});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Dump(*l), " 0-10\n a 0-6\n  b 0-4\n   x 1-4\n  c 4-6\n d 6-10\n");
  EXPECT_EQ(l->max_depth, 3u);
}

TEST(LayoutTest, FlameChartKeepsInputOrderAndSplitsRepeats) {
  LayoutOptions o;
  o.flamechart = true;
  auto l = BuildLayout(In({{"a;b", 1}, {"a;b", 1}, {"c", 1}, {"a;b", 2}}), o);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Dump(*l), " 0-5\n a 0-2\n  b 0-2\n c 2-3\n a 3-5\n  b 3-5\n");
}

TEST(LayoutTest, LineOrderSplitsAFrameAroundAPrefixSibling) {
  // flamegraph.pl sorts whole lines: "a;c 1" < "a;c2 1" < "a;c;x 1", so the
  // two "c" frames are not merged.
  auto l = BuildLayout(In({{"a;c;x", 1}, {"a;c2", 1}, {"a;c", 1}}), {});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Dump(*l), " 0-3\n a 0-3\n  c 0-1\n  c2 1-2\n  c 2-3\n   x 2-3\n");
}

TEST(LayoutTest, ReverseAndTrailingSemicolons) {
  LayoutOptions o;
  o.reverse = true;
  auto l = BuildLayout(In({{"a;b;", 1}, {"x;b", 2}}), o);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Dump(*l), " 0-3\n b 0-3\n  a 0-1\n  x 1-3\n");
}

TEST(LayoutTest, PrunesNarrowFramesWithTheirChildren) {
  LayoutOptions o;
  o.minwidth = 1;  // percent
  o.minwidth_percent = true;
  auto l = BuildLayout(In({{"big;child", 985}, {"small;deep;deeper", 5}, {"x", 10}}), o);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Dump(*l), " 0-1000\n big 0-985\n  child 0-985\n x 990-1000\n");
  o.minwidth = 0;
  EXPECT_EQ(BuildLayout(In({{"a", 0}, {"b", 1}}), o)->frames.size(), 3u);
}

TEST(LayoutTest, TotalOverridesOnlyWhenLarger) {
  LayoutOptions o;
  o.total = 50;
  EXPECT_EQ(BuildLayout(In({{"a", 10}}), o)->total, 50);
  o.total = 5;
  EXPECT_EQ(BuildLayout(In({{"a", 10}}), o)->total, 10);
}

TEST(LayoutTest, NoCountsIsAnError) {
  EXPECT_FALSE(BuildLayout(In({}), {}).ok());
  EXPECT_FALSE(BuildLayout(In({{"a", 0}}), {}).ok());
}

TEST(LayoutTest, DifferentialKeepsRemovedFramesOnRequest) {
  std::vector<StackWeight> v = {{"m;gone", 0, 40, ' ', {}}, {"m;kept", 10, 5, ' ', {}}};
  LayoutOptions o;
  o.differential = true;
  auto plain = BuildLayout(v, o);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->frames.size(), 3u);  // all, m, kept
  o.keep_removed = true;
  auto kept = BuildLayout(v, o);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->frames.size(), 4u);
  EXPECT_EQ(kept->frames[2].name, "gone");
  EXPECT_TRUE(kept->frames[2].removed);
  EXPECT_EQ(kept->frames[2].before, 40);
  EXPECT_EQ(kept->frames[1].before, 45);  // inclusive
  EXPECT_EQ(kept->frames[3].self_delta, 5);
  EXPECT_EQ(kept->max_delta, 40);
}

TEST(FormatTest, FixedMatchesPrintf) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  for (int i = 0; i < 200000; ++i) {
    double v = i < 1000 ? i / 8.0 : dist(rng) / (1 + (i % 7) * 1000);
    for (int d : {0, 2}) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*f", d, v);
      ASSERT_EQ(Fixed(v, d), buf) << v;
    }
  }
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(Num(165), "165");
  EXPECT_EQ(Num(37.330000000000005), "37.33");
}

TEST(PaletteTest, DefaultColoursAreFlamegraphPlsSeededRand) {
  // "main": its code points sum to 421, and perl -e 'srand(421); print rand(1)' prints this.
  EXPECT_DOUBLE_EQ(SeededNameRandom("main"), 0.77859998431904742);
  Rgb c = FrameColor(Palette::kHot, "main", false);
  double v = SeededNameRandom("main");
  EXPECT_EQ(c.r, 205 + int(50 * v));
  EXPECT_EQ(c.g, int(230 * v));
  EXPECT_EQ(DiffColor(5, 10, false).Hex(), "#ff6969");
  EXPECT_EQ(DiffColor(-5, 10, false).Hex(), "#6969ff");
  EXPECT_EQ(DiffColor(-5, 10, true).Hex(), "#ff6969");
  EXPECT_FALSE(ParsePalette("nope").ok());
  EXPECT_FALSE(BackgroundFor("#12345z", "hot").ok());
  EXPECT_EQ(BackgroundFor("", "mem")->top, "#eef2ee");
}

}  // namespace
}  // namespace stackfire::render
