// Every name is untrusted: markup, quotes, control bytes, invalid UTF-8,
// 100 KB names and separators inside names must give well-formed XML
// (checked with xmllint) in which no markup from the input survives.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "collapse/folded.h"
#include "gtest/gtest.h"
#include "render/diff.h"
#include "render/flamegraph.h"
#include "collapse/utf8.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

using namespace std::string_literals;

std::string HostileInput() {
  std::string big(100 * 1024, 'N');
  std::string s;
  s += "main;<script>alert(1)</script>;leaf 10\n";
  s += "main;a&b\"c'd<e>f 5\n";
  s += "main;ctl\x01\x02\x08\x0b\x0c\x0e\x1b\x1f\x7f end 4\n";
  s += "main;bad\xff\xfe utf8 \xc0\xaf overlong \xed\xa0\x80 surrogate \xe2\x82 cut 6\n";
  s += "main;nonchar \xef\xbf\xbe\xef\xbf\xbf 2\n";
  s += "main;" + big + " 30\n";
  s += "main;with spaces in it;and ]]> and <!-- --> and </svg> 7\n";
  s += "main;x\" onload=\"alert(2) 3\n";
  s += "main;&amp;already&lt;escaped 2\n";
  s += "main;tab\there 2\n";
  s += "main;nul\0byte;after\0nul 3\n"s;
  s += "main;semi;colon;;empty frame 2\n";
  return s;
}

// A name with a newline in it splits its line: the head has no count and is
// a bad line, the tail is a stack of its own.
std::string NewlineInput() { return "main;first\nhalf;<script>x</script> 5\nmain;ok 1\n"; }

bool ValidUtf8(const std::string& s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    uint32_t cp = collapse::NextCodePoint(s, &pos);
    if (cp == collapse::kReplacementChar && s.compare(start, 3, "\xef\xbf\xbd") != 0) return false;
  }
  return true;
}

int Xmllint(const std::string& path) {
  std::string cmd = "xmllint --noout '" + path + "' 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Well-formed (xmllint), valid UTF-8, no control bytes, and exactly the
// writer's own <script> and <style>: no markup from the input survives.
void ExpectInertSvg(const std::string& svg, const std::string& name) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << svg;
  EXPECT_EQ(Xmllint(path), 0) << "xmllint rejected " << path;
  EXPECT_EQ(svg.find("<script>alert"), std::string::npos);
  EXPECT_EQ(svg.find("<script>x"), std::string::npos);
  EXPECT_EQ(svg.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(svg.find("onload=\"alert"), std::string::npos);
  size_t scripts = 0, styles = 0;
  for (size_t p = svg.find("<script"); p != std::string::npos; p = svg.find("<script", p + 1)) {
    ++scripts;
  }
  for (size_t p = svg.find("<style"); p != std::string::npos; p = svg.find("<style", p + 1)) {
    ++styles;
  }
  EXPECT_EQ(scripts, 1u);
  EXPECT_EQ(styles, 1u);
  EXPECT_TRUE(ValidUtf8(svg));
  for (char c : svg) {
    unsigned char u = static_cast<unsigned char>(c);
    EXPECT_FALSE(u < 0x20 && u != '\n' && u != '\t' && u != '\r') << "control byte " << int(u);
    if (u < 0x20 && u != '\n' && u != '\t' && u != '\r') break;
  }
}

TEST(HostileNames, LibraryOutputIsWellFormedAndInert) {
  std::istringstream in(HostileInput());
  collapse::FoldedInput input;
  ASSERT_TRUE(collapse::ReadFolded(in, "hostile", &input).ok());
  ASSERT_EQ(input.bad_lines, 0u);
  render::RenderOptions o;
  o.title = "T <script>alert(3)</script> & \"q\"";
  o.subtitle = "sub </text><script>x</script>";
  o.notes = "notes --> <script>alert(4)</script> -";
  o.nametype = "N\"><script>alert(5)</script>";
  o.countname = "c<b>";
  o.fonttype = "x;} </style><script>alert(6)</script>";
  std::ostringstream out;
  ASSERT_TRUE(render::WriteFlameGraph(input, o, out).ok());
  std::string svg = out.str();

  ExpectInertSvg(svg, "hostile.svg");
  // In the frame table, < > & are JSON escapes, never markup.
  EXPECT_NE(svg.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), std::string::npos);
  EXPECT_NE(svg.find("bad\xef\xbf\xbd\xef\xbf\xbd utf8"), std::string::npos);

  // Every frame survives, with its name as text.
  SvgDoc doc = ParseStackfireSvg(svg);
  EXPECT_EQ(doc.error, "");
  bool found_big = false, found_spaces = false, found_quote = false, found_nul = false;
  bool found_tab = false;  // the tooltip is an attribute: a literal tab would read as a space
  for (const SvgFrame& f : doc.frames) {
    if (f.name == std::string(100 * 1024, 'N')) found_big = true;
    if (f.name == "and ]]> and <!-- --> and </svg>") found_spaces = true;
    if (f.name == "a&b\"c'd<e>f") found_quote = true;
    if (f.name == "tab\there") found_tab = true;
    if (f.name == "nul\xef\xbf\xbd" "byte" || f.name == "nulbyte" || f.name == "nul byte") {
      found_nul = true;
    }
  }
  EXPECT_TRUE(found_big);
  EXPECT_TRUE(found_spaces);
  EXPECT_TRUE(found_quote);
  EXPECT_TRUE(found_tab);
  EXPECT_TRUE(found_nul) << "the frame with a NUL byte is lost";
  // A 100 KB name's label is cut to the frame's width.
  for (const std::string& l : doc.labels) EXPECT_LT(l.size(), 400u);
}

TEST(HostileNames, CommandLineOutputPassesXmllint) {
  const char* bin = std::getenv("STACKFIRE_BIN");
  ASSERT_NE(bin, nullptr);
  std::string in_path = ::testing::TempDir() + "/hostile.folded";
  std::string out_path = ::testing::TempDir() + "/hostile-cli.svg";
  std::ofstream(in_path, std::ios::binary) << HostileInput();
  for (const char* extra : {"", "--inverted --colors java", "--reverse --minwidth 0 --hash"}) {
    std::string cmd = std::string(bin) + " render " + extra + " --title '<b>&amp;</b>' -o " +
                      out_path + " " + in_path;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    EXPECT_EQ(Xmllint(out_path), 0) << extra;
    std::string svg = ReadFile(out_path);
    EXPECT_EQ(svg.find("<script>alert"), std::string::npos);
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
  }
}

TEST(HostileNames, NewlineInANameIsABadLineNotMarkup) {
  std::istringstream in(NewlineInput());
  collapse::FoldedInput input;
  ASSERT_TRUE(collapse::ReadFolded(in, "nl", &input).ok());
  EXPECT_EQ(input.bad_lines, 1u);
  EXPECT_EQ(input.first_bad_line, 1u);
  std::ostringstream out;
  ASSERT_TRUE(render::WriteFlameGraph(input, render::RenderOptions(), out).ok());
  ExpectInertSvg(out.str(), "newline.svg");
  EXPECT_NE(out.str().find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
}

// The same names in both sides of a diff: grown, shrunk, and removed frames
// (drawn only by the diff) all carry them.
TEST(HostileNames, DiffOutputIsWellFormedAndInert) {
  std::string after_text = HostileInput();
  // BEFORE: the same stacks with other counts, plus stacks that vanish.
  std::string before_text;
  std::istringstream lines(after_text);
  std::string line;
  while (std::getline(lines, line)) before_text += line + "1\n";  // count x10 + 1
  before_text += "main;gone <script>alert(1)</script>&amp; \xff 40\n";
  before_text += "main;gone\0nul\x01 8\n"s;
  collapse::FoldedInput before, after;
  std::istringstream bin(before_text), ain(after_text);
  ASSERT_TRUE(collapse::ReadFolded(bin, "before", &before, false).ok());
  ASSERT_TRUE(collapse::ReadFolded(ain, "after", &after, false).ok());
  ASSERT_EQ(before.bad_lines, 0u);
  ASSERT_EQ(after.bad_lines, 0u);
  for (bool normalize : {false, true}) {
    render::DiffOptions d;
    d.normalize = normalize;
    d.strip_hex = normalize;
    render::DiffProfile diff = render::MakeDiff(before, after, d);
    render::RenderOptions o;
    o.title = "<script>alert(7)</script>";
    std::ostringstream out;
    ASSERT_TRUE(render::WriteDiffFlameGraph(diff, o, out).ok());
    std::string svg = out.str();
    ExpectInertSvg(svg, "hostile-diff.svg");
    SvgDoc doc = ParseStackfireSvg(svg);
    bool found_gone = false, found_big = false;
    for (const SvgFrame& f : doc.frames) {
      if (f.name.rfind("gone &lt;", 0) == 0 || f.name.rfind("gone <script>", 0) == 0) {
        found_gone = true;
      }
      if (f.name == std::string(100 * 1024, 'N')) found_big = true;
    }
    EXPECT_TRUE(found_gone) << "removed hostile frame missing";
    EXPECT_TRUE(found_big);
  }
}

TEST(HostileNames, DiffCommandLineOutputPassesXmllint) {
  const char* bin = std::getenv("STACKFIRE_BIN");
  ASSERT_NE(bin, nullptr);
  std::string a = ::testing::TempDir() + "/hostile-a.folded";
  std::string b = ::testing::TempDir() + "/hostile-b.folded";
  std::string out_path = ::testing::TempDir() + "/hostile-diff-cli.svg";
  std::ofstream(a, std::ios::binary) << HostileInput() << "main;only <b>before</b> 9\n";
  std::ofstream(b, std::ios::binary) << HostileInput() << NewlineInput();
  for (const char* extra : {"", "--normalize --strip-hex --negate", "--inverted --reverse"}) {
    std::string cmd = std::string(bin) + " diff " + extra + " --title '<b>&amp;</b>' -o " +
                      out_path + " " + a + " " + b;
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::string svg = ReadFile(out_path);
    ExpectInertSvg(svg, "hostile-diff-cli-check.svg");
    EXPECT_EQ(svg.find("<b>"), std::string::npos);
  }
}

}  // namespace
}  // namespace stackfire::testing
