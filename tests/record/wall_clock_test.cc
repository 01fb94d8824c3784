// WallClock (src/record/wall_clock.h): spans off CPU from switch records, as
// the kernel sends them for one thread, in time order.
#include "src/record/wall_clock.h"

#include <vector>

#include "gtest/gtest.h"

namespace stackfire::record {
namespace {

class WallClockTest : public ::testing::Test {
 protected:
  WallClock clock_{[this](const OffCpuSpan& s) { spans_.push_back(s); }};
  std::vector<OffCpuSpan> spans_;
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

}  // namespace
}  // namespace stackfire::record
