// The single-pass stack-line scanner against the general path it shortcuts:
// ScanStackLine must agree with MatchStackLine on every line it accepts, and
// a collapser with the fast paths must give exactly the profile and the
// counts of one without, on the corpus inputs (every option set, input cut in
// pieces of many sizes) and on random lines made of the bytes that the regex
// and the clean-up rules care about.
#include "collapse/stack_line_scan.h"

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "collapse/perf_script.h"
#include "collapse/perf_script_line.h"
#include "gtest/gtest.h"
#include "tests/collapse/test_files.h"

namespace stackfire::collapse {
namespace {


// Scans `line` + "\n" + padding (the scanner reads whole 64-byte chunks).
std::optional<ScannedStackLine> Scan(const std::string& buffer, size_t limit = 4096) {
  return ScanStackLine(buffer.data(), buffer.data() + buffer.size(), limit);
}

std::string Padded(const std::string& line) { return line + "\n" + std::string(128, 'x'); }

TEST(StackLineScanTest, ReadsTheCommonForm) {
  std::string buf = Padded("\tffffffff8104f45a native_write_msr_safe ([kernel.kallsyms])");
  std::optional<ScannedStackLine> s = Scan(buf);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->line.pc, "ffffffff8104f45a");
  EXPECT_EQ(s->line.rawfunc, "native_write_msr_safe");
  EXPECT_EQ(s->line.mod, "[kernel.kallsyms]");
  EXPECT_TRUE(s->plain);
  EXPECT_EQ(s->next, buf.data() + buf.find('\n') + 1);
}

TEST(StackLineScanTest, NamesNeedingCleanUpAreNotPlain) {
  for (const char* name : {"a->b", "f+0x1f", "x;y", "f(int)", "q\"uote", "it's",
                           "[unknown]", "(anonymous namespace)::f", "a (b) c"}) {
    std::string buf = Padded(std::string("    7f183b22aec7 ") + name + " (/lib/libc-2.19.so)");
    std::optional<ScannedStackLine> s = Scan(buf);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(s->line.rawfunc, name);
    EXPECT_EQ(s->line.mod, "/lib/libc-2.19.so");
    EXPECT_FALSE(s->plain) << name;
  }
}

TEST(StackLineScanTest, LastOpenBeforeTheLastClose) {
  std::string buf = Padded("\t1 f (a) (b)");
  std::optional<ScannedStackLine> s = Scan(buf);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->line.rawfunc, "f (a)");
  EXPECT_EQ(s->line.mod, "b");
  EXPECT_FALSE(s->plain);
}

TEST(StackLineScanTest, ModuleRunsToTheLastClose) {
  std::string buf = Padded("\t1 f (a) )");
  std::optional<ScannedStackLine> s = Scan(buf);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->line.rawfunc, "f");
  EXPECT_EQ(s->line.mod, "a) ");
}

TEST(StackLineScanTest, LeavesUnusualLinesToTheGeneralPath) {
  for (const char* line : {"\t", "\t\t  ", "\tffff", "\tffff (m)", "\tffff  f m", "\t:ff f (m)",
                           "\tff\vf (m)", "\tff-x f (m)", "\tab (c)", "\tab\v (c)",
                           "\t1 f (a) (b) tail", "\t1 f (a)(b)"}) {
    EXPECT_FALSE(Scan(Padded(line)).has_value()) << line;
  }
}

TEST(StackLineScanTest, NeverReadsPastTheEnd) {
  std::string line = "\tffffffff8104f45a native_write_msr_safe ([kernel.kallsyms])\n";
  for (size_t n = 0; n <= line.size(); ++n) {
    // A copy of exactly n bytes, so that ASan sees any read past them.
    std::vector<char> bytes(line.begin(), line.begin() + n);
    std::optional<ScannedStackLine> s =
        ScanStackLine(bytes.data(), bytes.data() + bytes.size(), 4096);
    if (s) {
      EXPECT_EQ(n, line.size());
    }
  }
}

TEST(StackLineScanTest, RespectsTheLengthLimit) {
  std::string buf = Padded("\t1 " + std::string(100, 'f') + " (m)");
  EXPECT_TRUE(Scan(buf, 200).has_value());
  EXPECT_FALSE(Scan(buf, 50).has_value());
}

// Whatever the scanner accepts, MatchStackLine reads the same way.
// Returns whether the scanner took the line.
bool ExpectAgrees(const std::string& line) {
  std::string buf = Padded(line);
  std::optional<ScannedStackLine> s = Scan(buf);
  if (!s) return false;
  std::string_view content(line);
  if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
  std::optional<StackLine> m = MatchStackLine(content);
  EXPECT_TRUE(m.has_value()) << line;
  if (!m) return true;
  EXPECT_EQ(s->line.pc, m->pc) << line;
  EXPECT_EQ(s->line.rawfunc, m->rawfunc) << line;
  EXPECT_EQ(s->line.mod, m->mod) << line;
  EXPECT_EQ(s->length, line.size()) << line;
  return true;
}

// Random lines from the pieces that matter to the regex and the rules.
std::string RandomLine(std::mt19937& rng) {
  static const std::vector<std::string> kPieces = {
      " ",  "\t", "  ", "(",  ")", " (", "->", "+0x1f", ";",  "\"", "'",   "[unknown]", "\r",
      "L",  "/",  ":",  "\v", "a", "Z9", "_", "0",      "ff", "-",  "+",   "[k]",       "::",
      "(m)", "java", ".", ",", "*", "&", "#",  "%",     "x",  "abcdefghijklmnopqrstuvwxyz"};
  std::string line = rng() % 2 ? "\t" : "    ";
  line += rng() % 8 ? "ffffffff8104f45a " : "";
  size_t n = rng() % 12;
  for (size_t i = 0; i < n; ++i) line += kPieces[rng() % kPieces.size()];
  if (rng() % 3) line += rng() % 2 ? " ([kernel.kallsyms])" : " (/lib/x86_64-linux-gnu/libc-2.19.so)";
  if (rng() % 10 == 0) line += "\r";
  return line;
}

TEST(StackLineScanTest, AgreesWithMatchStackLineOnRandomLines) {
  std::mt19937 rng(12345);
  int taken = 0;
  for (int i = 0; i < 200000; ++i) taken += ExpectAgrees(RandomLine(rng));
  // Enough of them take the fast path for the comparison to mean something.
  EXPECT_GT(taken, 40000);
}

PerfScriptStats Collapse(std::string_view text, PerfScriptOptions options, bool fast,
                         size_t piece, Profile* profile) {
  options.fast_paths = fast;
  PerfScriptCollapser c(options);
  for (size_t i = 0; i < text.size(); i += piece) c.Feed(text.substr(i, piece));
  c.Finish();
  *profile = c.TakeProfile();
  return c.stats();
}

void ExpectSameWithAndWithoutFastPaths(std::string_view text, const PerfScriptOptions& options,
                                       const std::string& what) {
  Profile slow;
  PerfScriptStats slow_stats = Collapse(text, options, false, text.size() + 1, &slow);
  for (size_t piece : {text.size() + 1, size_t{65536}, size_t{4093}, size_t{61}}) {
    Profile fast;
    PerfScriptStats fast_stats = Collapse(text, options, true, piece, &fast);
    ASSERT_EQ(fast.size(), slow.size()) << what << ", pieces of " << piece;
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast.entries()[i].stack, slow.entries()[i].stack) << what;
      EXPECT_EQ(fast.entries()[i].weight, slow.entries()[i].weight) << what;
    }
    EXPECT_EQ(fast_stats.lines, slow_stats.lines) << what;
    EXPECT_EQ(fast_stats.samples, slow_stats.samples) << what;
    EXPECT_EQ(fast_stats.single_line_samples, slow_stats.single_line_samples) << what;
    EXPECT_EQ(fast_stats.unparsable_lines, slow_stats.unparsable_lines) << what;
    EXPECT_EQ(fast_stats.first_unparsable_line, slow_stats.first_unparsable_line) << what;
    EXPECT_EQ(fast_stats.first_unparsable_text, slow_stats.first_unparsable_text) << what;
    EXPECT_EQ(fast_stats.filtered_samples, slow_stats.filtered_samples) << what;
    EXPECT_EQ(fast_stats.events, slow_stats.events) << what;
  }
}

std::vector<PerfScriptOptions> EveryOptionSet() {
  std::vector<PerfScriptOptions> all(7);
  all[1].include_pid = true;
  all[2].include_tid = true;
  all[3].annotate_kernel = true;
  all[4].annotate_jit = true;
  all[5].annotate_kernel = all[5].annotate_jit = true;
  all[6].include_addrs = true;
  return all;
}

TEST(StackLineScanTest, CollapserGivesTheSameResultOnTheCorpus) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(testing::TestdataDir()) / "perf-script" / "input";
  int files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    absl::StatusOr<std::string> text = testing::ReadWholeFile(e.path().string());
    ASSERT_TRUE(text.ok()) << text.status();
    for (const PerfScriptOptions& o : EveryOptionSet()) {
      ExpectSameWithAndWithoutFastPaths(*text, o, e.path().filename().string());
    }
    ++files;
  }
  EXPECT_GE(files, 20);
}

TEST(StackLineScanTest, CollapserGivesTheSameResultOnRandomSamples) {
  std::mt19937 rng(777);
  std::string text;
  for (int sample = 0; sample < 3000; ++sample) {
    text += rng() % 4 ? "java 12688/12689 [002] 6544038.708352: 235 cpu-clock:\n"
                      : "perf 977 [000] 7628263.042515: 10 cycles:\n";
    for (size_t i = rng() % 8; i > 0; --i) text += RandomLine(rng) + "\n";
    if (rng() % 20) text += "\n";
    // One-frame samples printed indented, as `perf script` without call
    // graphs right-aligns the process name; some look like one but are not.
    if (rng() % 10 == 0) {
      text += rng() % 2 ? "    perf 977 [000] 1.5: 7 cpu-clock:  ffffffff8104f45a a::b (m)\n"
                        : "    perf 977 [000] 1.5: 7 cpu-clock:x ffffffff8104f45a a::b (m)\n";
    }
  }
  for (const PerfScriptOptions& o : EveryOptionSet()) {
    ExpectSameWithAndWithoutFastPaths(text, o, "random samples");
  }
  // The input reaches the paths it is meant to: skipped samples' frames and
  // indented one-frame samples.
  Profile profile;
  PerfScriptStats stats = Collapse(text, {}, true, text.size() + 1, &profile);
  EXPECT_GT(stats.filtered_samples, 100u);
  EXPECT_GT(stats.single_line_samples, 10u);
}

}  // namespace
}  // namespace stackfire::collapse
