#include "stackfire/profile.h"

#include <sstream>

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
}

TEST(ProfileTest, SanitizeKeepsStacksIntact) {
  EXPECT_EQ(SanitizeFrameName("a;b\nc"), "a:b c");
  EXPECT_EQ(SanitizeFrameName("operator<<"), "operator<<");
}

}  // namespace
}  // namespace stackfire
