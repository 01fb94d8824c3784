// The hot-function table: self/total counts on hand-made profiles whose
// answers were worked out by hand, recursion, sorting, --top, --grep and the
// text layout (colour, escaping, truncation).
#include "render/report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "stackfire/profile.h"

namespace stackfire::render {
namespace {

// total = 21. By hand:
//   self:  b = 10 + 2 = 12, a = 5 + 3 = 8, other = 1, main = 0, c = 0
//   total: main = 10 + 5 + 3 + 2 = 20, a = 10 + 5 + 3 = 18 (the recursive
//          stack once), b = 10 + 2 = 12, c = 3, other = 1
Profile HandMade() {
  Profile p;
  p.Add("main;a;b", 10);
  p.Add("main;a", 5);
  p.Add("main;c;a;a", 3);
  p.Add("main;b", 2);
  p.Add("other", 1);
  return p;
}

struct Expect {
  std::string name;
  double self, total;
};

void ExpectRows(const ReportTable& t, const std::vector<Expect>& want) {
  ASSERT_EQ(t.rows.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t.rows[i].name, want[i].name) << "row " << i;
    EXPECT_EQ(t.rows[i].self, want[i].self) << want[i].name;
    EXPECT_EQ(t.rows[i].total, want[i].total) << want[i].name;
  }
}

ReportTable Build(const Profile& p, const ReportOptions& o) {
  absl::StatusOr<ReportTable> t = BuildReport(p, o);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : ReportTable{};
}

TEST(BuildReportTest, SelfAndTotalBySelf) {
  ReportTable t = Build(HandMade(), ReportOptions{});
  EXPECT_EQ(t.samples, 21);
  EXPECT_EQ(t.functions, 5u);
  EXPECT_EQ(t.matched, 5u);
  // Ties on self (main and c, both 0) are broken by total.
  ExpectRows(t, {{"b", 12, 12}, {"a", 8, 18}, {"other", 1, 1}, {"main", 0, 20}, {"c", 0, 3}});
}

TEST(BuildReportTest, ByTotal) {
  ReportOptions o;
  o.by = ReportSortKey::kTotal;
  ExpectRows(Build(HandMade(), o),
             {{"main", 0, 20}, {"a", 8, 18}, {"b", 12, 12}, {"c", 0, 3}, {"other", 1, 1}});
}

TEST(BuildReportTest, RecursionCountsOncePerStack) {
  Profile p;
  p.Add("f;f;f;f", 4);
  p.Add("g;f;h;f", 6);
  ReportOptions o;
  o.by = ReportSortKey::kTotal;
  // f is on both stacks: total 10, not 4*4 + 6*2; self only where it is the leaf.
  ExpectRows(Build(p, o), {{"f", 10, 10}, {"g", 0, 6}, {"h", 0, 6}});
}

TEST(BuildReportTest, TopCutsAfterSorting) {
  ReportOptions o;
  o.top = 2;
  ReportTable t = Build(HandMade(), o);
  ExpectRows(t, {{"b", 12, 12}, {"a", 8, 18}});
  EXPECT_EQ(t.functions, 5u);
  o.top = 0;  // all
  EXPECT_EQ(Build(HandMade(), o).rows.size(), 5u);
}

TEST(BuildReportTest, GrepFiltersByNameKeepingWholeProfilePercentages) {
  Profile p;
  p.Add("main;std::vector<int>::push_back;malloc", 7);
  p.Add("main;parse;free", 2);
  p.Add("main;parse", 1);
  ReportOptions o;
  o.grep = "^(malloc|free)$";
  ReportTable t = Build(p, o);
  EXPECT_EQ(t.samples, 10);
  EXPECT_EQ(t.matched, 2u);
  ExpectRows(t, {{"malloc", 7, 7}, {"free", 2, 2}});
  o.grep = "push_back";  // search, not a whole-name match
  ExpectRows(Build(p, o), {{"std::vector<int>::push_back", 0, 7}});
  o.grep = "nothing-like-this";
  EXPECT_TRUE(Build(p, o).rows.empty());
}

TEST(BuildReportTest, GrepOnHugeNamesNeitherCrashesNorHangs) {
  // std::regex recursed per character and overflowed the stack here.
  Profile p;
  const std::string huge(200000, 'a');
  p.Add("main;" + huge, 5);
  p.Add("main;" + huge + "x", 1);
  ReportOptions o;
  for (const char* re : {".*x$", "(a|b)*x", "([a-z]+)+b", "^(a*)*$"}) {
    o.grep = re;
    ReportTable t = Build(p, o);
    const size_t want = std::string(re) == "([a-z]+)+b" ? 0 : 1;
    EXPECT_EQ(t.rows.size(), want) << re;
  }
}

TEST(BuildReportTest, BadRegexIsInvalidArgument) {
  ReportOptions o;
  o.grep = "foo(";
  absl::StatusOr<ReportTable> t = BuildReport(HandMade(), o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("foo("), std::string::npos);
}

TEST(BuildReportTest, EmptyFramesAreSkippedAndFractionsKept) {
  Profile p;
  p.Add("main;;work;", 1.5);
  p.Add("", 2);  // counts in the total but names no function
  ReportTable t = Build(p, ReportOptions{});
  EXPECT_EQ(t.samples, 3.5);
  ExpectRows(t, {{"work", 1.5, 1.5}, {"main", 0, 1.5}});
}

TEST(FormatReportTest, PlainTable) {
  ReportOptions o;
  o.top = 3;
  std::string text = FormatReport(Build(HandMade(), o), o);
  EXPECT_EQ(text,
            "Samples: 21  Functions: 5  Shown: 3 (by self)\n"
            "  Self%  Self   Total%  Total  Function\n"
            " 57.14%    12   57.14%     12  b\n"
            " 38.10%     8   85.71%     18  a\n"
            "  4.76%     1    4.76%      1  other\n");
}

TEST(FormatReportTest, GrepInSummaryAndNoMatchLine) {
  ReportOptions o;
  o.grep = "^x";
  std::string text = FormatReport(Build(HandMade(), o), o);
  EXPECT_EQ(text,
            "Samples: 21  Functions: 5  Shown: 0 of 0 matching /^x/ (by self)\n"
            "  Self%  Self   Total%  Total  Function\n"
            "(no function name matches /^x/)\n");
}

TEST(FormatReportTest, ColourMarksHeaderAndHotPercentages) {
  Profile p;  // 1000 samples
  p.Add("main;hot", 950);
  p.Add("main;warm", 40);
  p.Add("main;cold", 9);
  p.Add("main;rare", 1);
  ReportOptions o;
  o.color = true;
  std::string text = FormatReport(Build(p, o), o);
  EXPECT_EQ(text.rfind("\033[1mSamples: 1000", 0), 0u) << text;
  EXPECT_NE(text.find("\033[31m 95.00%\033[0m"), std::string::npos) << text;  // >= 5%: red
  EXPECT_NE(text.find("\033[32m  4.00%\033[0m"), std::string::npos) << text;  // >= 0.5%: green
  EXPECT_NE(text.find("\033[32m  0.90%\033[0m"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  0.10%"), std::string::npos) << text;  // < 0.5%: no colour
  o.color = false;
  EXPECT_EQ(FormatReport(Build(p, o), o).find('\033'), std::string::npos);
}

TEST(FormatReportTest, ControlCharactersInNamesAreEscaped) {
  Profile p;
  p.Add("main;evil\033[2J\tname\x7f", 1);
  p.Add("main;bad\xff utf8;c1\xc2\x9b", 1);
  std::string text = FormatReport(Build(p, ReportOptions{}), ReportOptions{});
  EXPECT_EQ(text.find('\033'), std::string::npos);
  EXPECT_NE(text.find("evil\\x1b[2J\\tname\\x7f"), std::string::npos) << text;
  EXPECT_NE(text.find("bad\\xff utf8"), std::string::npos) << text;
  EXPECT_NE(text.find("c1\\u009b"), std::string::npos) << text;
}

TEST(FormatReportTest, WidthTruncatesNamesInTheMiddle) {
  Profile p;
  const std::string name = "std::_Hashtable<std::string, std::pair<const std::string, int>>::find";
  p.Add("main;" + name, 5);
  ReportOptions o;
  o.width = 60;
  std::string text = FormatReport(Build(p, o), o);
  size_t line_start = 0;
  for (size_t nl; (nl = text.find('\n', line_start)) != std::string::npos; line_start = nl + 1) {
    if (line_start == 0) continue;  // the summary line is short anyway
    EXPECT_LE(nl - line_start, 60u) << text.substr(line_start, nl - line_start);
  }
  EXPECT_NE(text.find("std::_Hash"), std::string::npos) << text;
  EXPECT_NE(text.find("..."), std::string::npos) << text;
  EXPECT_NE(text.find("::find\n"), std::string::npos) << text;
  o.width = 0;  // plain mode: full names
  EXPECT_NE(FormatReport(Build(p, o), o).find(name), std::string::npos);
}

TEST(TruncateMiddleTest, KeepsHeadAndTailAndCountsCodePoints) {
  EXPECT_EQ(TruncateMiddle("short", 10), "short");
  EXPECT_EQ(TruncateMiddle("abcdefghijklmnopqrst", 13), "abcdef...qrst");
  EXPECT_EQ(TruncateMiddle("abcdefghij", 3), "abc");
  // Five two-byte characters fit in 5 columns; cutting never splits one.
  EXPECT_EQ(TruncateMiddle("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5),
            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
  EXPECT_EQ(TruncateMiddle("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 6),
            "\xc3\xa9\xc3\xa9...\xc3\xa9");
}

TEST(ParseReportSortKeyTest, SelfAndTotalOnly) {
  ReportSortKey k = ReportSortKey::kTotal;
  EXPECT_TRUE(ParseReportSortKey("self", &k));
  EXPECT_EQ(k, ReportSortKey::kSelf);
  EXPECT_TRUE(ParseReportSortKey("total", &k));
  EXPECT_EQ(k, ReportSortKey::kTotal);
  EXPECT_FALSE(ParseReportSortKey("Self", &k));
  EXPECT_FALSE(ParseReportSortKey("", &k));
}

}  // namespace
}  // namespace stackfire::render
