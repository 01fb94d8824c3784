// WallClock (src/record/wall_clock.h): spans off CPU from switch records, as
// the kernel sends them for one thread, in time order.
#include "src/record/wall_clock.h"

#include <vector>

#include "gtest/gtest.h"

namespace stackfire::record {
namespace {

class WallClockTest : public ::testing::Test {
 protected:
  WallClock clock_{[this](const OffCpuSpan& s) { spans_.push_back(s); },
                   [this](const OnCpuTotal& t) { on_.push_back(t); }};
  std::vector<OffCpuSpan> spans_;
  std::vector<OnCpuTotal> on_;
  // The one on-CPU total reported for tid (exact or not), or -1.
  int64_t OnNs(uint32_t tid, bool* exact = nullptr) const {
    int64_t ns = -1;
    int reports = 0;
    for (const OnCpuTotal& t : on_) {
      if (t.tid != tid) continue;
      ns = t.on_cpu_ns;
      ++reports;
      if (exact != nullptr) *exact = t.exact;
    }
    EXPECT_LE(reports, 1) << "tid " << tid << " reported twice";
    return ns;
  }
  static OffCpuStack Stack(uint32_t id) { return OffCpuStack{true, 0, id}; }
  int64_t OffNs(uint32_t tid) const {
    int64_t ns = 0;
    for (const OffCpuSpan& s : spans_) {
      if (s.tid == tid) ns += static_cast<int64_t>(s.end_ns - s.begin_ns);
    }
    return ns;
  }
};

TEST_F(WallClockTest, SpanRunsFromSwitchOutToSwitchInWithTheSampleStack) {
  clock_.Start(1000);
  clock_.OnCpu(1, 2, 1100);
  clock_.SwitchOutSample(1, 2, 1200, Stack(7));
  clock_.SwitchOut(1, 2, 1200, false);
  clock_.SwitchIn(1, 2, 1500);
  clock_.Finish(2000);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(spans_[0].begin_ns, 1200u);
  EXPECT_EQ(spans_[0].end_ns, 1500u);
  EXPECT_EQ(spans_[0].stack.stack, 7u);
  EXPECT_FALSE(spans_[0].preempted);
  EXPECT_EQ(clock_.counts().with_stack, 1u);
  EXPECT_EQ(clock_.counts().unpaired, 0u);
}

TEST_F(WallClockTest, BlockedAtStartCountsFromStartToStop) {
  clock_.Start(1000);
  clock_.Blocked(1, 1, Stack(3), false);  // e.g. in pthread_join
  clock_.Finish(5000);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(spans_[0].begin_ns, 1000u);
  EXPECT_EQ(spans_[0].end_ns, 5000u);
  EXPECT_EQ(spans_[0].stack.stack, 3u);
}

TEST_F(WallClockTest, BlockedAtStartThenWakesCountsUntilItsSwitchIn) {
  clock_.Start(1000);
  clock_.Blocked(1, 1, Stack(3), false);
  clock_.SwitchIn(1, 1, 1800);
  clock_.Finish(5000);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(OffNs(1), 800);
  EXPECT_EQ(clock_.counts().unpaired, 0u);
}

// /proc is read after the events are enabled: a thread still on CPU at the
// start blocks before the read, so it looks blocked at the start, yet its
// first record is a switch-out, not a switch-in.
TEST_F(WallClockTest, BlockedAtStartButFirstSeenSwitchingOutWasOnCpuFromTheStart) {
  clock_.Start(1000);
  clock_.Blocked(1, 1, Stack(3), false);
  clock_.SwitchOutSample(1, 1, 1100, Stack(7));
  clock_.SwitchOut(1, 1, 1100, false);
  clock_.SwitchIn(1, 1, 1300);
  clock_.Finish(2000);
  bool exact = false;
  EXPECT_EQ(OnNs(1, &exact), 100 + 700);
  EXPECT_TRUE(exact);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(spans_[0].begin_ns, 1100u);
  EXPECT_EQ(spans_[0].end_ns, 1300u);
  EXPECT_EQ(spans_[0].stack.stack, 7u);
  EXPECT_EQ(clock_.counts().unpaired, 0u);
}

TEST_F(WallClockTest, BlockedAtStartButFirstSeenOnCpuOrExitingWasOnCpuFromTheStart) {
  clock_.Start(1000);
  clock_.Blocked(1, 1, Stack(3), false);
  clock_.Blocked(1, 2, Stack(4), false);
  clock_.Blocked(1, 3, Stack(5), false);
  clock_.OnCpu(1, 1, 1200);          // a clock sample
  clock_.SwitchOut(1, 2, 1400, true);  // its switch-out sample lost
  clock_.SwitchIn(1, 2, 1500);
  clock_.Exited(3, 1600);
  clock_.Finish(2000);
  bool exact = false;
  EXPECT_EQ(OnNs(1, &exact), 1000);
  EXPECT_TRUE(exact);
  EXPECT_EQ(OnNs(2, &exact), 400 + 500);
  EXPECT_TRUE(exact);
  EXPECT_EQ(OffNs(2), 100);
  EXPECT_EQ(OnNs(3, &exact), 600);
  EXPECT_TRUE(exact);
  EXPECT_EQ(OffNs(1) + OffNs(3), 0);
  EXPECT_EQ(clock_.counts().unpaired, 0u);
}

TEST_F(WallClockTest, UnseenOffCpuThreadCountsFromStartWithoutAStack) {
  clock_.Start(1000);
  clock_.SwitchIn(1, 4, 1300);  // /proc did not show it blocked
  clock_.Finish(2000);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(spans_[0].begin_ns, 1000u);
  EXPECT_FALSE(spans_[0].stack.known);
}

TEST_F(WallClockTest, StillOffCpuAtStopCountsUntilStop) {
  clock_.Start(1000);
  clock_.SwitchOutSample(1, 2, 1200, Stack(9));
  clock_.SwitchOut(1, 2, 1200, false);
  clock_.Finish(4000);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(spans_[0].end_ns, 4000u);
  EXPECT_EQ(spans_[0].stack.stack, 9u);
}

TEST_F(WallClockTest, ThreadBornAndEndedCountsItsLifeOnly) {
  clock_.Start(1000);
  clock_.Born(1, 5, 2000);
  clock_.SwitchIn(1, 5, 2100);  // waited 100 ns for its first CPU
  clock_.SwitchOutSample(1, 5, 2500, Stack(1));
  clock_.SwitchOut(1, 5, 2500, false);
  clock_.SwitchIn(1, 5, 2900);
  clock_.Exited(5, 3000);
  clock_.Finish(9000);
  EXPECT_EQ(OffNs(5), 100 + 400);
  ASSERT_EQ(spans_.size(), 2u);
  EXPECT_TRUE(spans_[0].preempted);
  EXPECT_EQ(clock_.threads(), 0u);
}

TEST_F(WallClockTest, LaunchedCommandsFirstThreadHasNoSpanBeforeItsFirstRecord) {
  // No Start(): a launched command's threads exist from their exec or FORK.
  clock_.SwitchIn(1, 1, 500);
  clock_.Finish(900);
  EXPECT_TRUE(spans_.empty());
}

TEST_F(WallClockTest, LostSwitchOutUsesTheSampleTime) {
  clock_.Start(1000);
  clock_.OnCpu(1, 2, 1100);
  clock_.SwitchOutSample(1, 2, 1200, Stack(7));
  clock_.SwitchIn(1, 2, 1700);
  ASSERT_EQ(spans_.size(), 1u);
  EXPECT_EQ(spans_[0].begin_ns, 1200u);
  EXPECT_EQ(spans_[0].stack.stack, 7u);
}

TEST_F(WallClockTest, LostSwitchInIsCountedNotGuessed) {
  clock_.Start(1000);
  clock_.SwitchOut(1, 2, 1200, false);
  clock_.SwitchOut(1, 2, 1400, false);  // the IN between was lost
  clock_.SwitchIn(1, 2, 1500);
  EXPECT_EQ(clock_.counts().unpaired, 1u);
  EXPECT_EQ(OffNs(2), 100);
}

TEST_F(WallClockTest, PreemptedSpanCountsAsRunnable) {
  clock_.Start(1000);
  clock_.SwitchOut(1, 2, 1200, true);
  clock_.SwitchIn(1, 2, 1250);
  EXPECT_EQ(clock_.counts().preempted_ns, 50);
  EXPECT_EQ(clock_.counts().off_cpu_ns, 50);
}

// On-CPU time: from each switch-in (or the start, or a birth) to the next
// switch-out (or the exit, or the stop), so that on + off is the thread's
// time in the recording; exact unless a lost record cut an interval.
TEST_F(WallClockTest, OnCpuRunsFromStartOrSwitchInToSwitchOutOrStop) {
  clock_.Start(1000);
  clock_.OnCpu(1, 2, 1100);
  clock_.SwitchOutSample(1, 2, 1200, Stack(7));
  clock_.SwitchOut(1, 2, 1200, false);
  clock_.SwitchIn(1, 2, 1500);
  clock_.Finish(2000);
  bool exact = false;
  EXPECT_EQ(OnNs(2, &exact), 200 + 500);
  EXPECT_TRUE(exact);
  EXPECT_EQ(OnNs(2) + OffNs(2), 1000);
}

TEST_F(WallClockTest, OnCpuOfAThreadBornAndEndedIsReportedAtItsExit) {
  clock_.Start(1000);
  clock_.Born(1, 3, 2000);
  clock_.SwitchIn(1, 3, 2100);  // waited 100 for its first CPU
  clock_.SwitchOut(1, 3, 2300, false);
  clock_.SwitchIn(1, 3, 2500);
  clock_.Exited(3, 2600);
  bool exact = false;
  EXPECT_EQ(OnNs(3, &exact), 200 + 100);
  EXPECT_TRUE(exact);
  EXPECT_EQ(OnNs(3) + OffNs(3), 600);
  clock_.Finish(5000);
  EXPECT_EQ(on_.size(), 1u);  // not again at the stop
}

TEST_F(WallClockTest, OnCpuOfALaunchedCommandsFirstThreadRunsFromTheFirstRecord) {
  clock_.FirstRecord(1000);
  clock_.OnCpu(1, 1, 1100);
  clock_.SwitchOut(1, 1, 1300, false);
  clock_.SwitchIn(1, 1, 1600);
  clock_.Finish(2000);
  bool exact = false;
  EXPECT_EQ(OnNs(1, &exact), 300 + 400);
  EXPECT_TRUE(exact);
}

TEST_F(WallClockTest, OnCpuOfAThreadThatNeverSwitchedIsTheWholeRecording) {
  clock_.Start(1000);
  clock_.OnCpu(1, 4, 1500);
  clock_.Finish(3000);
  EXPECT_EQ(OnNs(4), 2000);
}

TEST_F(WallClockTest, OnCpuWithALostSwitchOutEndsAtItsSample) {
  clock_.Start(1000);
  clock_.SwitchIn(1, 5, 1100);
  clock_.SwitchOutSample(1, 5, 1300, Stack(2));  // its SWITCH_OUT lost
  clock_.SwitchIn(1, 5, 1500);
  clock_.Finish(2000);
  bool exact = false;
  EXPECT_EQ(OnNs(5, &exact), 200 + 500);
  EXPECT_TRUE(exact);
}

TEST_F(WallClockTest, OnCpuIsInexactWhenASwitchRecordIsLostWithoutATrace) {
  clock_.Start(1000);
  clock_.SwitchIn(1, 6, 1100);
  clock_.SwitchIn(1, 6, 1500);  // the SWITCH_OUT between was lost
  clock_.SwitchOut(1, 7, 1200, false);
  clock_.SwitchOut(1, 7, 1600, false);  // the SWITCH_IN between was lost
  clock_.SwitchIn(1, 7, 1700);
  clock_.Finish(2000);
  bool exact = true;
  OnNs(6, &exact);
  EXPECT_FALSE(exact);
  exact = true;
  OnNs(7, &exact);
  EXPECT_FALSE(exact);
}

}  // namespace
}  // namespace stackfire::record
