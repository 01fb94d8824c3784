// The multi-threaded collapse: the same result as one collapser reading in
// order, whatever the segment size, thread count and source.
#include "collapse/parallel_collapse.h"

#include <sstream>
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace stackfire::collapse {
namespace {

std::string Folded(const Profile& p) {
  std::ostringstream out;
  WriteFolded(p, out);
  return out.str();
}

struct Result {
  absl::Status status;
  std::string folded;
  PerfScriptStats stats;
};

Result RunParallel(const std::string& text, bool whole, int threads, size_t segment_bytes,
           const PerfScriptOptions& options = {}, size_t piece_bytes = 777) {
  std::string_view rest = text;
  CollapseSource source;
  if (whole) {
    source.whole = rest;
  } else {
    source.next = [&rest, piece_bytes]() -> absl::StatusOr<std::string_view> {
      std::string_view piece = rest.substr(0, piece_bytes);
      rest.remove_prefix(piece.size());
      return piece;
    };
  }
  ParallelOptions parallel;
  parallel.threads = threads;
  parallel.segment_bytes = segment_bytes;
  Profile profile;
  Result r;
  r.status = CollapsePerfScriptParallel(source, options, parallel, &profile, &r.stats);
  r.folded = Folded(profile);
  return r;
}

// Many samples of two events, some bad lines, and a last sample without a
// trailing newline.
std::string MixedInput() {
  std::string s = "# header\n";
  for (int i = 0; i < 400; ++i) {
    const char* event = i % 5 == 3 ? "instructions" : "cycles";
    absl::StrAppend(&s, "proc", i % 7, " ", 100 + i, " [000] ", i, ".5: ", 10 + i % 3, " ",
                    event, ":\n");
    absl::StrAppend(&s, "\t", 1000 + i, " leaf", i % 11, " (/lib/x.so)\n");
    if (i % 97 == 50) s += "garbage line\n";
    absl::StrAppend(&s, "\t", 2000 + i, " main (/bin/x)\n\n");
  }
  s += "proc1 1 [000] 9.5: 3 cycles:\n\t1 tail (/bin/x)";
  return s;
}

TEST(ParallelCollapseTest, SameAsSerialForEverySplit) {
  std::string text = MixedInput();
  PerfScriptStats serial;
  std::string expected = Folded(CollapsePerfScript(text, {}, &serial));
  ASSERT_EQ(serial.unparsable_lines, 4u);  // i = 50, 147, 244, 341
  for (bool whole : {true, false}) {
    for (int threads : {1, 2, 4}) {
      for (size_t segment : {2u, 100u, 5000u, 1u << 20}) {
        Result r = RunParallel(text, whole, threads, segment);
        SCOPED_TRACE(absl::StrCat("whole=", whole, " threads=", threads, " segment=", segment));
        ASSERT_TRUE(r.status.ok()) << r.status;
        EXPECT_EQ(r.folded, expected);
        EXPECT_EQ(r.stats.lines, serial.lines);
        EXPECT_EQ(r.stats.samples, serial.samples);
        EXPECT_EQ(r.stats.unparsable_lines, serial.unparsable_lines);
        EXPECT_EQ(r.stats.first_unparsable_line, serial.first_unparsable_line);
        EXPECT_EQ(r.stats.first_unparsable_text, "garbage line");
        EXPECT_EQ(r.stats.event, "cycles");
        EXPECT_TRUE(r.stats.event_defaulted);
        EXPECT_EQ(r.stats.filtered_samples, serial.filtered_samples);
        EXPECT_EQ(r.stats.events, serial.events);
      }
    }
  }
}

TEST(ParallelCollapseTest, GivenEventFilterReachesEveryWorker) {
  PerfScriptOptions o;
  o.event_filter = "instructions";
  std::string text = MixedInput();
  std::string expected = Folded(CollapsePerfScript(text, o));
  ASSERT_NE(expected, "");
  for (bool whole : {true, false}) {
    Result r = RunParallel(text, whole, 3, 300, o);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.folded, expected);
    EXPECT_EQ(r.stats.event, "instructions");
    EXPECT_FALSE(r.stats.event_defaulted);
  }
}

TEST(ParallelCollapseTest, InputWithoutBlankLinesIsReadInOrder) {
  // One-frame samples have no blank lines: past the segment limit, the rest
  // is one tail read by a single collapser.
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&text, "           prog 12 ", i, ".5:          1 cycles:  ", 4096 + i % 5,
                    " f", i % 5, " (/bin/prog)\n");
  }
  std::string expected = Folded(CollapsePerfScript(text, {}));
  ASSERT_EQ(expected, "prog;f0 600\nprog;f1 600\nprog;f2 600\nprog;f3 600\nprog;f4 600\n");
  for (bool whole : {true, false}) {
    Result r = RunParallel(text, whole, 2, 1000);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.folded, expected);
    EXPECT_EQ(r.stats.samples, 3000u);
  }
}

TEST(ParallelCollapseTest, SourceErrorsAreReturned) {
  int calls = 0;
  CollapseSource source;
  source.next = [&calls]() -> absl::StatusOr<std::string_view> {
    if (++calls > 3) return absl::DataLossError("disk on fire");
    return std::string_view("prog 1 1.5: 1 cycles:\n\t1 f (/bin/x)\n\n");
  };
  ParallelOptions parallel;
  parallel.threads = 2;
  parallel.segment_bytes = 16;
  Profile profile;
  PerfScriptStats stats;
  absl::Status s = CollapsePerfScriptParallel(source, {}, parallel, &profile, &stats);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
}

TEST(ParallelCollapseTest, ReleasesTheWholeInputOnceRead) {
  std::string text = MixedInput();
  std::mutex mu;
  std::vector<bool> released(text.size(), false);
  CollapseSource source;
  source.whole = text;
  source.release = [&](size_t begin, size_t end) {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_LE(begin, end);
    ASSERT_LE(end, text.size());
    for (size_t i = begin; i < end; ++i) released[i] = true;
  };
  ParallelOptions parallel;
  parallel.threads = 2;
  parallel.segment_bytes = 500;
  Profile profile;
  PerfScriptStats stats;
  ASSERT_TRUE(CollapsePerfScriptParallel(source, {}, parallel, &profile, &stats).ok());
  // Every byte was released once read, and the result is still right.
  EXPECT_EQ(std::count(released.begin(), released.end(), false), 0);
  EXPECT_EQ(Folded(profile), Folded(CollapsePerfScript(text, {})));
}

}  // namespace
}  // namespace stackfire::collapse
