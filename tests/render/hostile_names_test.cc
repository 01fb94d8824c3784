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
#include "render/flamegraph.h"
#include "render/utf8.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

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
  return s;
}

bool ValidUtf8(const std::string& s) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    uint32_t cp = render::NextCodePoint(s, &pos);
    if (cp == render::kReplacementChar && s.compare(start, 3, "\xef\xbf\xbd") != 0) return false;
  }
  return true;
}

int Xmllint(const std::string& path) {
  std::string cmd = "xmllint --noout '" + path + "' 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(HostileNames, LibraryOutputIsWellFormedAndInert) {
  std::istringstream in(HostileInput());
  FoldedInput input;
  ASSERT_TRUE(ReadFolded(in, "hostile", &input).ok());
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

  std::string path = ::testing::TempDir() + "/hostile.svg";
  std::ofstream(path, std::ios::binary) << svg;
  EXPECT_EQ(Xmllint(path), 0) << "xmllint rejected " << path;

  EXPECT_EQ(svg.find("<script>alert"), std::string::npos);
  EXPECT_EQ(svg.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(svg.find("onload=\"alert"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // Exactly one script element and one style element: ours.
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
  EXPECT_NE(svg.find("bad\xef\xbf\xbd\xef\xbf\xbd utf8"), std::string::npos);
  for (char c : svg) {
    unsigned char u = static_cast<unsigned char>(c);
    EXPECT_FALSE(u < 0x20 && u != '\n' && u != '\t' && u != '\r') << "control byte " << int(u);
    if (u < 0x20 && u != '\n' && u != '\t' && u != '\r') break;
  }

  // Every frame survives, with its name as text.
  SvgDoc doc = ParseStackfireSvg(svg);
  bool found_big = false, found_spaces = false, found_quote = false;
  for (const SvgFrame& f : doc.frames) {
    if (f.name == std::string(100 * 1024, 'N')) found_big = true;
    if (f.name == "and ]]> and <!-- --> and </svg>") found_spaces = true;
    if (f.name == "a&b\"c'd<e>f") found_quote = true;
  }
  EXPECT_TRUE(found_big);
  EXPECT_TRUE(found_spaces);
  EXPECT_TRUE(found_quote);
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

}  // namespace
}  // namespace stackfire::testing
