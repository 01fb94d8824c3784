#include "collapse/folded.h"

#include <sstream>

#include "gtest/gtest.h"

namespace stackfire::collapse {
namespace {

TEST(ParseFoldedLineTest, CountIsAfterTheLastSpace) {
  auto l = ParseFoldedLine("a;b c;d 31");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stack, "a;b c;d");
  EXPECT_EQ(l->count, 31);
  EXPECT_FALSE(l->two_column);
}

TEST(ParseFoldedLineTest, FractionsAndTrailingDot) {
  EXPECT_DOUBLE_EQ(ParseFoldedLine("a 31.23")->count, 31.23);
  EXPECT_DOUBLE_EQ(ParseFoldedLine("a 5.")->count, 5);
  EXPECT_FALSE(ParseFoldedLine("a .5"));
  EXPECT_FALSE(ParseFoldedLine("a -5"));
  EXPECT_FALSE(ParseFoldedLine("a 1e5"));
  EXPECT_FALSE(ParseFoldedLine("a 12V.43"));
  EXPECT_FALSE(ParseFoldedLine("THIS IS A BAD LINE"));
  EXPECT_FALSE(ParseFoldedLine(""));
  EXPECT_FALSE(ParseFoldedLine("12"));
}

TEST(ParseFoldedLineTest, KeepsExtraBlanksInTheStackAsPerlDoes) {
  auto l = ParseFoldedLine("a  5");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stack, "a ");
  auto t = ParseFoldedLine("a\t7");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->separator, '\t');
}

TEST(ParseFoldedLineTest, TwoColumns) {
  auto l = ParseFoldedLine("main;cksum 19 35");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->two_column);
  EXPECT_EQ(l->stack, "main;cksum");
  EXPECT_EQ(l->before, 19);
  EXPECT_EQ(l->count, 35);
  auto one = ParseFoldedLine("main;cksum 19 35", /*allow_two_columns=*/false);
  EXPECT_EQ(one->stack, "main;cksum 19");
}

TEST(ParseFoldedLineTest, IgnoresCarriageReturn) {
  auto l = ParseFoldedLine("a;b 3\r");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->count, 3);
}

TEST(ReadFoldedTest, CountsBadLinesWithTheFirstLineNumber) {
  std::istringstream in("a;b 1\n\nTHIS IS BAD\na;b 2\nc 3.5");
  FoldedInput input;
  ASSERT_TRUE(ReadFolded(in, "x.folded", &input).ok());
  EXPECT_EQ(input.records.size(), 3u);
  EXPECT_EQ(input.bad_lines, 2u);
  EXPECT_EQ(input.first_bad_line, 2u);
  EXPECT_DOUBLE_EQ(input.total(), 6.5);
  EXPECT_EQ(input.records[2].stack, "c");  // last line without '\n'
  EXPECT_NE(input.BadLinesMessage().find("x.folded:2"), std::string::npos);
  EXPECT_NE(input.BadLinesMessage().find("ignored 2 lines"), std::string::npos);
  Profile p = ToProfile(input);
  EXPECT_EQ(p.size(), 2u);
  EXPECT_DOUBLE_EQ(p.entries()[0].weight, 3);
}

TEST(ReadFoldedTest, EmptyInput) {
  std::istringstream in("");
  FoldedInput input;
  ASSERT_TRUE(ReadFolded(in, "-", &input).ok());
  EXPECT_TRUE(input.records.empty());
  EXPECT_EQ(input.total(), 0);
  EXPECT_EQ(input.BadLinesMessage(), "");
}

TEST(ReadFoldedTest, LinesLongerThanTheReadChunk) {
  std::string name(3 << 20, 'x');
  std::istringstream in("a;" + name + " 4\nb 1\n");
  FoldedInput input;
  ASSERT_TRUE(ReadFolded(in, "-", &input).ok());
  ASSERT_EQ(input.records.size(), 2u);
  EXPECT_EQ(input.records[0].stack.size(), name.size() + 2);
}

TEST(ReadFoldedTest, Differential) {
  std::istringstream in("a 1 2\nb 3\n");
  FoldedInput input;
  ASSERT_TRUE(ReadFolded(in, "-", &input).ok());
  EXPECT_TRUE(input.differential);
  EXPECT_EQ(input.records[0].before, 1);
  EXPECT_EQ(input.records[1].before, 3);  // one column: before == after
}

}  // namespace
}  // namespace stackfire::collapse
