#include "stackfire/profile.h"

#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace stackfire {
namespace {

TEST(ProfileTest, AddsWeightsAndSortsBytewise) {
  Profile p;
  p.Add("main;b", 2);
  p.Add("main;a", 1);
  p.Add("main;b", 3);
  p.Add("Main;z", 1);
  EXPECT_EQ(p.size(), 3u);
  EXPECT_DOUBLE_EQ(p.total(), 7);
  EXPECT_EQ(p.entries()[0].stack, "main;b");  // first-seen order kept
  std::ostringstream out;
  WriteFolded(p, out);
  EXPECT_EQ(out.str(), "Main;z 1\nmain;a 1\nmain;b 5\n");
}

TEST(ProfileTest, FormatsWeightsLikePerl) {
  EXPECT_EQ(FormatWeight(10101010), "10101010");
  EXPECT_EQ(FormatWeight(0.5), "0.5");
  EXPECT_EQ(FormatWeight(1.25), "1.25");
  // Never an exponent: folded parsers read digits only (a fuzzer finding).
  EXPECT_EQ(FormatWeight(43983248722834234.0), "43983248722834232");
  EXPECT_EQ(FormatWeight(2.5e-7), "0.00000025");
}

TEST(ProfileTest, SanitizeKeepsStacksIntact) {
  EXPECT_EQ(SanitizeFrameName("a;b\nc"), "a:b c");
  EXPECT_EQ(SanitizeFrameName("operator<<"), "operator<<");
}

TEST(ProfileTest, CopiesAndMovesKeepTheirOwnIndex) {
  Profile a;
  a.Add("main;a", 1);
  a.Add("x", 2);  // short enough to live inside the string object
  Profile copy = a;
  copy.Add("main;a", 10);
  copy.Add("x", 10);
  EXPECT_EQ(copy.size(), 2u);
  EXPECT_DOUBLE_EQ(a.entries()[0].weight, 1);
  EXPECT_DOUBLE_EQ(copy.entries()[0].weight, 11);

  Profile moved = std::move(copy);
  moved.Add("x", 1);
  moved.Add("new", 1);
  EXPECT_EQ(moved.size(), 3u);
  EXPECT_DOUBLE_EQ(moved.entries()[1].weight, 13);
  EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  copy.Add("x", 1);
  EXPECT_EQ(copy.size(), 1u);

  Profile assigned;
  assigned.Add("old", 5);
  assigned = a;
  assigned.Add("x", 1);
  EXPECT_EQ(assigned.size(), 2u);
  EXPECT_DOUBLE_EQ(assigned.entries()[1].weight, 3);
  assigned = std::move(moved);
  for (int i = 0; i < 1000; ++i) assigned.Add(absl::StrCat("s", i), 1);  // forces rehashes
  assigned.Add("new", 1);
  EXPECT_EQ(assigned.size(), 1003u);
  EXPECT_DOUBLE_EQ(assigned.entries()[2].weight, 2);
  EXPECT_DOUBLE_EQ(a.total(), 3);
}

}  // namespace
}  // namespace stackfire
