// The perf script collapser on hand-made inputs: the script's rules one by
// one, and what it does with bad or unusual input.
#include "collapse/perf_script.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "stackfire/profile.h"

namespace stackfire::collapse {
namespace {

std::string Fold(std::string_view text, const PerfScriptOptions& options = {},
                 PerfScriptStats* stats = nullptr) {
  std::ostringstream out;
  WriteFolded(CollapsePerfScript(text, options, stats), out);
  return out.str();
}

constexpr char kTwoSamples[] =
    "java 12688 [002] 6544038.708352: 235 cpu-clock:\n"
    "\t7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n"
    "\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])\n"
    "\n"
    "java 12688 [002] 6544038.708353: 100 cpu-clock:\n"
    "\t7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)\n"
    "\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])\n"
    "\n";

TEST(PerfScriptTest, WeighsSamplesByPeriodAndReversesFrames) {
  EXPECT_EQ(Fold(kTwoSamples), "java;native_safe_halt;java/io/PrintStream:::print 335\n");
}

TEST(PerfScriptTest, TimeBoundsNearTheEndOfTheClockKeepTheirSamples) {
  // A first sample at 9e9 s (realtime clock far ahead) and --to 9e9 s after
  // it: the bound lies past int64 nanoseconds and must saturate, not wrap to
  // a time before the samples (which would drop them all).
  constexpr char kLate[] =
      "ab 1 9000000000.0: 1 cpu-clock:\n\tf x (m)\n\n"
      "ab 1 9000000001.0: 1 cpu-clock:\n\tf y (m)\n\n";
  PerfScriptOptions o;
  o.to = ParseTimeBound("9000000000");
  ASSERT_TRUE(o.to);
  PerfScriptStats stats;
  EXPECT_EQ(Fold(kLate, o, &stats), "ab;x 1\nab;y 1\n");
  EXPECT_EQ(stats.outside_samples, 0u);
  o.to.reset();
  o.from = ParseTimeBound("0.5");
  EXPECT_EQ(Fold(kLate, o), "ab;y 1\n");
}

TEST(PerfScriptTest, MissingOrZeroPeriodCountsOne) {
  EXPECT_EQ(Fold("ab 1 1.0: cycles:\n\tf x (m)\n\n"
                 "ab 1 1.1: 0 cycles:\n\tf x (m)\n\n"),
            "ab;x 2\n");
}

TEST(PerfScriptTest, LastSampleWithoutTrailingNewlineCounts) {
  EXPECT_EQ(Fold("ab 1 1.0: 5 cycles:\n\tf x (m)"), "ab;x 5\n");
  EXPECT_EQ(Fold("ab 1 1.0: 5 cycles:\n\tf x (m)\n"), "ab;x 5\n");
}

TEST(PerfScriptTest, CrLfLineEndsReadLikeLf) {
  std::string crlf;
  for (char c : std::string(kTwoSamples)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  PerfScriptStats stats;
  EXPECT_EQ(Fold(crlf, {}, &stats), Fold(kTwoSamples));
  EXPECT_EQ(stats.unparsable_lines, 0u);
}

TEST(PerfScriptTest, AnySplitOfTheInputGivesTheSameResult) {
  std::string whole = Fold(kTwoSamples);
  for (size_t piece : {1, 2, 7, 64}) {
    PerfScriptCollapser c({});
    std::string_view text(kTwoSamples);
    for (size_t i = 0; i < text.size(); i += piece) c.Feed(text.substr(i, piece));
    c.Finish();
    std::ostringstream out;
    WriteFolded(c.profile(), out);
    EXPECT_EQ(out.str(), whole) << "pieces of " << piece;
  }
}

TEST(PerfScriptTest, CountsUnparsableLinesWithTheFirstLineNumber) {
  PerfScriptStats stats;
  std::string folded = Fold(
      "# comment\n"
      "ab 1 1.0: 5 cycles:\n"
      "\tf x (m)\n"
      "this is not perf script\n"
      "\tnot a frame either\n"
      "\n"
      "garbage again\n",
      {}, &stats);
  EXPECT_EQ(folded, "ab;x 5\n");
  EXPECT_EQ(stats.lines, 7u);
  EXPECT_EQ(stats.unparsable_lines, 3u);
  EXPECT_EQ(stats.first_unparsable_line, 4u);
  EXPECT_EQ(stats.first_unparsable_text, "this is not perf script");
  EXPECT_EQ(stats.samples, 1u);
}

TEST(PerfScriptTest, QuotedBadLineIsTruncated) {
  PerfScriptStats stats;
  Fold(std::string(10000, 'z') + "\n", {}, &stats);
  EXPECT_EQ(stats.unparsable_lines, 1u);
  EXPECT_EQ(stats.first_unparsable_text.size(), PerfScriptStats::kMaxQuotedLine);
}

TEST(PerfScriptTest, NoStacksGivesAnEmptyProfile) {
  PerfScriptStats stats;
  EXPECT_EQ(Fold("", {}, &stats), "");
  EXPECT_EQ(stats.samples, 0u);
  EXPECT_EQ(Fold("hello\nworld\n", {}, &stats), "");
  EXPECT_EQ(stats.unparsable_lines, 2u);
  // Binary junk neither crashes nor yields stacks.
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 7919) % 256);
  EXPECT_EQ(Fold(junk, {}, &stats), "");
}

TEST(PerfScriptTest, HugeFrameNamesSurvive) {
  std::string name(1 << 20, 'q');
  std::string text = "ab 1 1.0: 5 cycles:\n\t1234 " + name + " (m)\n\n";
  EXPECT_EQ(Fold(text), "ab;" + name + " 5\n");
  PerfScriptCollapser c({});
  for (size_t i = 0; i < text.size(); i += 4096) c.Feed(std::string_view(text).substr(i, 4096));
  c.Finish();
  ASSERT_EQ(c.profile().size(), 1u);
  EXPECT_EQ(c.profile().entries()[0].stack.size(), 3 + name.size());
}

TEST(PerfScriptTest, OverlongLinesAreSkippedNotKept) {
  PerfScriptOptions o;
  o.max_line_bytes = 1000;
  std::string text = "ab 1 1.0: 5 cycles:\n\tf x (m)\n\n" + std::string(5000, 'z') +
                     "\nab 1 1.0: 5 cycles:\n\tf y (m)\n\n";
  for (size_t piece : {7u, 100u, 100000u}) {
    PerfScriptCollapser c(o);
    for (size_t i = 0; i < text.size(); i += piece) c.Feed(std::string_view(text).substr(i, piece));
    c.Finish();
    std::ostringstream out;
    WriteFolded(c.profile(), out);
    EXPECT_EQ(out.str(), "ab;x 5\nab;y 5\n") << "pieces of " << piece;
    EXPECT_EQ(c.stats().unparsable_lines, 1u);
    EXPECT_EQ(c.stats().first_unparsable_line, 4u);
    EXPECT_EQ(c.stats().lines, 7u);
  }
}

// Found by the perf_script fuzzer: an overlong line that would parse (here a
// frame) was skipped when it was split across Feed() calls but kept when it
// arrived whole, so the result depended on how the input was cut.
TEST(PerfScriptTest, OverlongParsableLineIsSkippedHoweverItIsCut) {
  PerfScriptOptions o;
  o.max_line_bytes = 1000;
  std::string text = "ab 1 1.0: 5 cycles:\n\tf " + std::string(2000, 'q') +
                     " (m)\n\tf x (m)\n\nab 1 1.0: 5 cycles:\n\tf y (m)\n";
  for (size_t piece : {7u, 1500u, 100000u}) {
    PerfScriptCollapser c(o);
    for (size_t i = 0; i < text.size(); i += piece) c.Feed(std::string_view(text).substr(i, piece));
    c.Finish();
    std::ostringstream out;
    WriteFolded(c.profile(), out);
    EXPECT_EQ(out.str(), "ab;x 5\nab;y 5\n") << "pieces of " << piece;
    EXPECT_EQ(c.stats().unparsable_lines, 1u) << "pieces of " << piece;
    EXPECT_EQ(c.stats().first_unparsable_line, 2u) << "pieces of " << piece;
  }
}

constexpr char kTwoEvents[] =
    "ab 1 1.0: 5 cycles:\n\tf x (m)\n\n"
    "ab 1 1.1: 7 instructions:\n\tf y (m)\n\n"
    "ab 1 1.2: 9 cycles:\n\tf x (m)\n\n";

TEST(PerfScriptTest, KeepsTheFirstEventByDefault) {
  PerfScriptStats stats;
  EXPECT_EQ(Fold(kTwoEvents, {}, &stats), "ab;x 14\n");
  EXPECT_EQ(stats.event, "cycles");
  EXPECT_TRUE(stats.event_defaulted);
  EXPECT_EQ(stats.filtered_samples, 1u);
  ASSERT_EQ(stats.events.size(), 2u);
  EXPECT_EQ(stats.events[1].first, "instructions");
}

TEST(PerfScriptTest, EventFilterChoosesTheEvent) {
  PerfScriptOptions o;
  o.event_filter = "instructions";
  PerfScriptStats stats;
  EXPECT_EQ(Fold(kTwoEvents, o, &stats), "ab;y 7\n");
  EXPECT_FALSE(stats.event_defaulted);
  o.event_filter = "page-faults";
  EXPECT_EQ(Fold(kTwoEvents, o), "");
}

TEST(PerfScriptTest, EventModifiersAreDistinctEventsLikeThePerlScript) {
  EXPECT_EQ(Fold("ab 1 1.0: 5 cycles:u:\n\tf x (m)\n\nab 1 1.0: 5 cycles:\n\tf y (m)\n\n"),
            "ab;x 5\n");
}

TEST(PerfScriptTest, ProcessNamesPidsAndTids) {
  constexpr char kText[] =
      "V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:\n\tf x (m)\n\n"
      "java 25607 4794564.109216: 1 cycles:\n\tf x (m)\n\n"
      "swapper 0/0 [000] 1.0: 1 cycles:\n\tf x (m)\n\n";
  EXPECT_EQ(Fold(kText), "V8_WorkerThread;x 100\njava;x 1\nswapper;x 1\n");
  PerfScriptOptions pid;
  pid.include_pid = true;
  EXPECT_EQ(Fold(kText, pid), "V8_WorkerThread-24636;x 100\njava-?;x 1\nswapper-?;x 1\n");
  PerfScriptOptions tid;
  tid.include_tid = true;
  EXPECT_EQ(Fold(kText, tid),
            "V8_WorkerThread-24636/25607;x 100\njava-?/25607;x 1\nswapper-?/0;x 1\n");
}

TEST(PerfScriptTest, FrameNamesAreTidiedLikeThePerlScript) {
  constexpr char kText[] =
      "prog 1 1.0: 1 cycles:\n"
      "\t10 std::vector<int>::push_back(int const&)+0x1f (/usr/bin/prog)\n"
      "\t20 ns::(anonymous namespace)::helper(int) (/usr/bin/prog)\n"
      "\t25 (sh) (/usr/bin/prog)\n"
      "\t30 net/http.(*Client).Do (/usr/bin/prog)\n"
      "\t40 RegExp:[&<>\\\"\\'] (/tmp/perf-7539.map)\n"
      "\t50 a;b (/usr/bin/prog)\n"
      "\t60 [unknown] (/usr/lib/libfoo.so)\n"
      "\t70 [unknown] ([unknown])\n"
      "\t80 (deleted) (/usr/bin/prog)\n"
      "\n";
  EXPECT_EQ(Fold(kText),
            "prog;[unknown];[libfoo.so];a:b;RegExp:[&<>\\\\];net/http.(*Client).Do;"
            "ns::(anonymous namespace)::helper;std::vector<int>::push_back 1\n");
  PerfScriptOptions addrs;
  addrs.include_addrs = true;
  EXPECT_NE(Fold(kText, addrs).find("prog;[unknown <70>];[libfoo.so <60>];"), std::string::npos);
}

TEST(PerfScriptTest, InlinedFramesAndAnnotations) {
  constexpr char kText[] =
      "java 1 1.0: 1 cycles:\n"
      "\t10 Lcom/a/B;.run (/tmp/perf-123.map)\n"
      "\t20 outer->inner->leaf (/usr/lib/libc.so)\n"
      "\t30 do_syscall_64 ([kernel.kallsyms])\n"
      "\t40 tcp_sendmsg (/lib/modules/4.3.0/build/vmlinux)\n"
      "\n";
  EXPECT_EQ(Fold(kText), "java;tcp_sendmsg;do_syscall_64;outer;inner_[i];leaf_[i];com/a/B:.run 1\n");
  PerfScriptOptions all;
  all.annotate_kernel = all.annotate_jit = true;
  EXPECT_EQ(Fold(kText, all),
            "java;tcp_sendmsg_[k];do_syscall_64_[k];outer;inner_[i];leaf_[i];com/a/B:.run_[j] 1\n");
}

TEST(PerfScriptTest, SingleLineSamplesAreOneFrameStacks) {
  constexpr char kText[] =
      "           false 39654 19115.489713:          3 cycles:u:  ffffffff9b201293 [unknown] "
      "([unknown])\n"
      "           false 39654 19115.489719:          5 cycles:      7fa68b1f2d84 "
      "_dl_start+0x4 (/usr/lib/ld-2.31.so)\n"
      "averyveryverylongcommand 1 19115.5:          2 cycles:      7fa68b1f2d84 "
      "_dl_start+0x4 (/usr/lib/ld-2.31.so)\n"
      "           other 39654 19115.489719:          5 instructions:      7fa68b1f2d84 "
      "main (/usr/bin/x)\n";
  PerfScriptStats stats;
  EXPECT_EQ(Fold(kText, {}, &stats),
            "averyveryverylongcommand;_dl_start 2\nfalse;[unknown] 3\nfalse;_dl_start 5\n");
  EXPECT_EQ(stats.single_line_samples, 3u);
  EXPECT_EQ(stats.filtered_samples, 1u);
}

TEST(PerfScriptTest, TracepointEventLinesKeepTheirStacks) {
  // No "EVENT:" at the end of the line: the script keeps such samples,
  // unfiltered, with weight 1.
  EXPECT_EQ(Fold("perf 12 [000] 1.5: sched:sched_switch: prev_comm=a prev_pid=1 ==> next_comm=b\n"
                 "\tffff81 __schedule ([kernel.kallsyms])\n\n"),
            "perf;__schedule 1\n");
}

TEST(PerfScriptTest, HugePeriodsAddUp) {
  EXPECT_EQ(Fold("ab 1 1.0: 4000000000000 cycles:\n\tf x (m)\n\n"
                 "ab 1 1.1: 4000000000001 cycles:\n\tf x (m)\n\n"),
            "ab;x 8000000000001\n");
}

}  // namespace
}  // namespace stackfire::collapse
