// `stackfire record` on a real binary whose function symbols carry hostile
// names (record_hostile, made by testdata/workloads/gen_hostile_syms.py):
// markup, quotes and '&', control characters, invalid UTF-8, ';' and
// newlines, a 100 KB name; its thread name is markup too. The SVG must be
// well-formed XML in which no markup from those names survives, with each
// name readable as text; the folded output must keep one stack per line.
#include <cctype>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"
#include "tests/render/svg_frames.h"

namespace stackfire::record_test {
namespace {

// The raw symbol names, in the order hostile_0, hostile_1, ...
std::vector<std::string> HostileNames() {
  std::vector<std::string> names;
  std::ifstream in(Workload("record_hostile_names.txt"));
  std::string hex;
  while (in >> hex) {
    std::string raw;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    names.push_back(raw);
  }
  return names;
}

// What a name becomes as a folded frame: ';' would split it, a newline
// would split the line.
std::string AsFoldedFrame(std::string name) {
  for (char& c : name) {
    if (c == ';') c = ':';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return name;
}

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    if (n == 3 && c == 0xed && static_cast<unsigned char>(s[i + 1]) >= 0xa0) return false;
    i += n;
  }
  return true;
}

TEST(RecordHostile, FoldedOutputKeepsOneStackPerLine) {
  SKIP_WITHOUT_PERF();
  const std::vector<std::string> names = HostileNames();
  ASSERT_EQ(names.size(), 8u) << "record_hostile_names.txt missing or changed";
  const std::string out = TempPath("hostile.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel",
                            "--per-thread", "-o", out, "--", Workload("record_hostile"), "1.6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Every line is "stack count"; no name broke a line.
  std::ifstream in(out, std::ios::binary);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << "line " << lines;
    ASSERT_LT(space + 1, line.size()) << "line " << lines;
    for (size_t i = space + 1; i < line.size(); ++i) {
      ASSERT_TRUE(std::isdigit(static_cast<unsigned char>(line[i]))) << "line " << lines;
    }
    EXPECT_EQ(line.find('\r'), std::string::npos);
  }
  ASSERT_GT(lines, 0u);
  const Folded folded = ReadFolded(out);
  // Each name is one whole frame, between its caller and its callee.
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string frame = AsFoldedFrame(names[i]);
    long under = 0;
    for (const auto& [stack, n] : folded) {
      const std::vector<std::string> frames = SplitFrames(stack);
      for (size_t k = 1; k + 1 < frames.size(); ++k) {
        if (frames[k] == frame && frames[k - 1] == "run_hostile" &&
            frames[k + 1] == "spin_leaf") {
          under += n;
        }
      }
    }
    EXPECT_GT(under, 5) << "name " << i << " (" << frame.substr(0, 40) << ")";
  }
  // The thread's name (set with prctl) is the root frame of its stacks.
  long rooted = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.rfind("<b>&\"x:", 0) == 0) rooted += n;
  }
  EXPECT_GT(rooted * 10, Total(folded) * 9);
}

TEST(RecordHostile, SvgIsWellFormedAndInert) {
  SKIP_WITHOUT_PERF();
  const std::vector<std::string> names = HostileNames();
  ASSERT_EQ(names.size(), 8u);
  const std::string out = TempPath("hostile.svg");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel",
                            "--per-thread", "-o", out, "--", Workload("record_hostile"), "1.6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunCommand({"xmllint", "--noout", out}).exit_code, 0) << "xmllint rejected " << out;
  const std::string svg = ReadFile(out);
  // No markup from the names: only the writer's own script and style.
  for (const char* markup : {"<script>alert", "<b>bold", "<i>x</i>", "<x>&y", "<!-- x -->",
                             "<?pi?>", "</svg><", "<b>&amp;", "&#0;", "&#x1;"}) {
    EXPECT_EQ(svg.find(markup), std::string::npos) << markup;
  }
  size_t scripts = 0;
  for (size_t p = svg.find("<script"); p != std::string::npos; p = svg.find("<script", p + 1)) {
    ++scripts;
  }
  EXPECT_EQ(scripts, 1u);
  EXPECT_EQ(svg.rfind("</svg>"), svg.find("</svg>"));
  EXPECT_TRUE(ValidUtf8(svg));
  for (char c : svg) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\n' && u != '\t' && u != '\r') {
      ADD_FAILURE() << "control byte " << int(u) << " in the SVG";
      break;
    }
  }
  // And the names are there as text: escaped, not dropped (as folded frames:
  // ';' became ':' there, newlines spaces).
  const testing::SvgDoc doc = testing::ParseStackfireSvg(svg);
  auto has_frame = [&](const std::string& name) {
    for (const testing::SvgFrame& f : doc.frames) {
      if (f.name == name) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_frame(AsFoldedFrame(names[0]))) << "<script>alert(1)</script>";
  EXPECT_TRUE(has_frame(AsFoldedFrame(names[1]))) << "quotes and &";
  EXPECT_TRUE(has_frame(AsFoldedFrame(names[4]))) << "semicolons";
  EXPECT_TRUE(has_frame(AsFoldedFrame(names[5]))) << "newlines";
  EXPECT_TRUE(has_frame(AsFoldedFrame(names[6]))) << "CDATA end, comment, PI, character references";
  EXPECT_TRUE(has_frame(AsFoldedFrame(names[7]))) << "the 100 KB name";
  bool ctl = false, utf = false;
  for (const testing::SvgFrame& f : doc.frames) {
    ctl = ctl || (f.name.rfind("ctl", 0) == 0 && f.name.find("red") != std::string::npos);
    utf = utf || (f.name.rfind("utf", 0) == 0 && f.name.find("\xef\xbf\xbd") != std::string::npos);
  }
  EXPECT_TRUE(ctl) << "control characters";
  EXPECT_TRUE(utf) << "invalid UTF-8, shown with U+FFFD";
}

}  // namespace
}  // namespace stackfire::record_test
