// The hand-written matchers against the Perl regexes they replace: fixed
// cases, then a differential check that feeds thousands of random lines to
// both this code and perl itself (skipped where perl is missing).
#include "collapse/perf_script_line.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace stackfire::collapse {
namespace {

TEST(MatchEventHeadTest, PerfScriptForms) {
  auto h = MatchEventHead("java 25607 4794564.109216: 1 cycles:");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->comm, "java");
  EXPECT_EQ(h->first_number, "25607");
  EXPECT_EQ(h->second_number, "");
  h = MatchEventHead("V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->comm, "V8 WorkerThread");
  EXPECT_EQ(h->first_number, "24636");
  EXPECT_EQ(h->second_number, "25607");
  EXPECT_FALSE(MatchEventHead("\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])"));
  EXPECT_FALSE(MatchEventHead("x 12"));  // needs a space after the number
}

TEST(MatchEventTailTest, PeriodAndEvent) {
  auto t = MatchEventTail("java 12688 [002] 6544038.708352: 235 cpu-clock: ");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->period, "235");
  EXPECT_EQ(t->event, "cpu-clock");
  t = MatchEventTail("vote   913    72.176760:     257597 cycles:uppp:");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->event, "cycles:uppp");
  t = MatchEventTail("perf   977/977   [000] 7628263.042515: cycles: ");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->period, "");
  EXPECT_EQ(t->event, "cycles");
  EXPECT_FALSE(MatchEventTail("a 1 1.5: sched:sched_switch: prev_comm=a"));
}

TEST(MatchStackLineTest, Parts) {
  auto s = MatchStackLine("\t    7f1e2215d058 foo (anonymous namespace)::bar+0x12 (/lib/x (1).so)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pc, "7f1e2215d058");
  // Greedy like the regex: the last " (" before the last ')'.
  EXPECT_EQ(s->rawfunc, "foo (anonymous namespace)::bar+0x12 (/lib/x");
  EXPECT_EQ(s->mod, "1).so");
  // Two spaces and no symbol: the symbol is the space the regex needs.
  s = MatchStackLine("\t 7f1e2215d058  (/lib/libc.so)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pc, "7f1e2215d058");
  EXPECT_EQ(s->rawfunc, " ");
  // One space and no symbol: the pc gives a byte back.
  s = MatchStackLine("\t7f1e (/lib/libc.so)");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->pc, "7f1");
  EXPECT_EQ(s->rawfunc, "e");
  EXPECT_FALSE(MatchStackLine("\t          THIS_IS_A_WEIRD_LINE"));
}

TEST(ParseEventTimeTest, SecondsSinceBootOrEpochAndNoOverflow) {
  EXPECT_EQ(ParseEventTime("[003] 12345.678901: 250000 cpu-clock:"), int64_t{12345678901000});
  // perf record -k realtime: seconds since 1970.
  EXPECT_EQ(ParseEventTime("1796000000.5: 1 cpu-clock:"), int64_t{1796000000500000000});
  // The largest whole second that int64 nanoseconds hold, and past it (a
  // fuzzer's 11-digit field once overflowed the multiplication): no time.
  EXPECT_EQ(ParseEventTime("9223372035.999999999: 1 x:"), int64_t{9223372035999999999});
  EXPECT_EQ(ParseEventTime("28075352744.0: 1 x:"), std::nullopt);
  EXPECT_EQ(ParseEventTime("999999999999.0: 1 x:"), std::nullopt);
  EXPECT_EQ(ParseEventTime("250000 cpu-clock:"), std::nullopt);
}

TEST(PeriodWeightTest, LikePerl) {
  EXPECT_EQ(PeriodWeight(""), 1);
  EXPECT_EQ(PeriodWeight("0"), 1);
  EXPECT_EQ(PeriodWeight("00"), 0);  // a true string in Perl, numerically 0
  EXPECT_EQ(PeriodWeight("250000"), 250000);
  EXPECT_DOUBLE_EQ(PeriodWeight("123456789012345678901234"), 1.23456789012345678901234e23);
}

// ---- Differential check against perl -------------------------------------

// Random lines over the bytes that matter to the three regexes.
std::vector<std::string> RandomLines(size_t count) {
  static const std::vector<std::string> kPieces = {
      " ", " ", "\t", "  ", "a", "b", "Z", "_", "0", "1", "12", "345", "0x1f", "+0x1f", "/",
      "//", ":", ": ", "(", ")", " (", ") ", "[", "]", ".", "x", "java", "cycles:", " 25 ",
      "[000]", "ffff", "->", ";", "\"", "'", "\r", "\x0b", "\f", "\xc3\xa9"};
  std::mt19937 rng(12345);
  std::vector<std::string> lines;
  for (size_t i = 0; i < count; ++i) {
    std::string line;
    size_t n = 1 + rng() % 14;
    for (size_t k = 0; k < n; ++k) line += kPieces[rng() % kPieces.size()];
    lines.push_back(line);
  }
  return lines;
}

std::string Hex(std::string_view s) {
  std::string out;
  for (unsigned char c : s) absl::StrAppend(&out, absl::Hex(c, absl::kZeroPad2));
  return out.empty() ? "-" : out;
}

// One line per input line: the captures of the three regexes, hex-encoded
// ("-" for empty or undefined, "n" for no match).
std::string Describe(std::string_view line) {
  std::string out;
  if (auto h = MatchEventHead(line)) {
    absl::StrAppend(&out, "H ", Hex(h->comm), " ", Hex(h->first_number), " ",
                    Hex(h->second_number));
  } else {
    out += "H n";
  }
  if (auto t = MatchEventTail(line)) {
    absl::StrAppend(&out, " T ", Hex(t->period), " ", Hex(t->event));
  } else {
    out += " T n";
  }
  if (auto s = MatchStackLine(line)) {
    absl::StrAppend(&out, " S ", Hex(s->pc), " ", Hex(s->rawfunc), " ", Hex(s->mod));
  } else {
    out += " S n";
  }
  return out;
}

constexpr char kPerlDescribe[] = R"PERL(
sub h { my $s = shift; return (defined $s && length $s) ? unpack("H*", $s) : "-"; }
while (defined($_ = <STDIN>)) {
  chomp;
  my @o;
  if (/^(\S.+?)\s+(\d+)\/*(\d+)*\s+/) { push @o, "H", h($1), h($2), h($3); } else { push @o, "H", "n"; }
  if (/:\s*(\d+)*\s+(\S+):\s*$/) { push @o, "T", h($1), h($2); } else { push @o, "T", "n"; }
  if (/^\s*(\w+)\s*(.+) \((.*)\)/) { push @o, "S", h($1), h($2), h($3); } else { push @o, "S", "n"; }
  print join(" ", @o), "\n";
}
)PERL";

TEST(PerlDifferentialTest, MatchersAgreeWithPerlRegexes) {
  if (std::system("perl -e 1 >/dev/null 2>&1") != 0) GTEST_SKIP() << "perl is not installed";
  std::vector<std::string> lines = RandomLines(20000);
  // Real lines too.
  lines.push_back("java 12688 [002] 6544038.708352: 235 cpu-clock:");
  lines.push_back("\t    7f1e2215d058 foo (anonymous namespace)::bar+0x12 (/lib/x.so)");
  std::string dir = ::testing::TempDir();
  std::string in = dir + "/perl_diff_in.txt", script = dir + "/perl_diff.pl",
              out = dir + "/perl_diff_out.txt";
  {
    std::ofstream f(in, std::ios::binary);
    for (const std::string& l : lines) f << l << '\n';
    std::ofstream(script) << kPerlDescribe;
  }
  ASSERT_EQ(std::system(absl::StrCat("perl '", script, "' < '", in, "' > '", out, "'").c_str()), 0);
  std::ifstream f(out, std::ios::binary);
  std::string perl_line;
  size_t i = 0, mismatches = 0;
  while (std::getline(f, perl_line) && i < lines.size()) {
    std::string ours = Describe(lines[i]);
    if (ours != perl_line && ++mismatches <= 5) {
      ADD_FAILURE() << "line " << i << ": \"" << lines[i] << "\"\n  perl: " << perl_line
                    << "\n  ours: " << ours;
    }
    ++i;
  }
  EXPECT_EQ(i, lines.size());
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace stackfire::collapse
