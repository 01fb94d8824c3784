#include "src/perf/event_attr.h"

#include "gtest/gtest.h"
#include "stackfire/hint.h"
#include "stackfire/raw_sample.h"

namespace stackfire::perf {
namespace {

TEST(EventAttrTest, DwarfDefaults) {
  AttrOptions options;
  perf_event_attr attr = BuildAttr(options);
  EXPECT_EQ(attr.size, sizeof(perf_event_attr));
  EXPECT_EQ(attr.type, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(attr.config, PERF_COUNT_SW_CPU_CLOCK);
  EXPECT_EQ(attr.freq, 1u);
  EXPECT_EQ(attr.sample_freq, 99u);
  for (uint64_t bit : {PERF_SAMPLE_IP, PERF_SAMPLE_TID, PERF_SAMPLE_TIME, PERF_SAMPLE_CPU,
                       PERF_SAMPLE_PERIOD, PERF_SAMPLE_CALLCHAIN, PERF_SAMPLE_REGS_USER,
                       PERF_SAMPLE_STACK_USER, PERF_SAMPLE_IDENTIFIER}) {
    EXPECT_NE(attr.sample_type & bit, 0u) << bit;
  }
  EXPECT_EQ(attr.sample_regs_user, 0xff0fffu);
  EXPECT_EQ(attr.sample_stack_user, 32768u);
  EXPECT_EQ(attr.inherit, 1u);
  EXPECT_EQ(attr.disabled, 1u);
  EXPECT_EQ(attr.mmap2, 1u);
  EXPECT_EQ(attr.comm, 1u);
  EXPECT_EQ(attr.comm_exec, 1u);
  EXPECT_EQ(attr.task, 1u);
  EXPECT_EQ(attr.exclude_kernel, 0u);
  EXPECT_EQ(attr.enable_on_exec, 0u);
}

TEST(EventAttrTest, Options) {
  AttrOptions options;
  options.frequency_hz = 999;
  options.stack_bytes = 16385;  // rounded down to a multiple of 8
  options.exclude_kernel = true;
  options.enable_on_exec = true;
  perf_event_attr attr = BuildAttr(options);
  EXPECT_EQ(attr.sample_freq, 999u);
  EXPECT_EQ(attr.sample_stack_user, 16384u);
  EXPECT_EQ(attr.exclude_kernel, 1u);
  EXPECT_EQ(attr.enable_on_exec, 1u);
  options.stack_bytes = 1 << 20;
  EXPECT_EQ(BuildAttr(options).sample_stack_user, kMaxStackBytes);

  options.call_graph = CallGraph::kFramePointer;
  attr = BuildAttr(options);
  EXPECT_EQ(attr.sample_type & (PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER), 0u);
  EXPECT_NE(attr.sample_type & PERF_SAMPLE_CALLCHAIN, 0u);
  EXPECT_EQ(attr.sample_stack_user, 0u);
}

TEST(EventAttrTest, RegisterTableMapsPerfToDwarf) {
  // perf: AX BX CX DX SI DI BP SP IP FLAGS CS SS R8..R15.
  EXPECT_EQ(kPerfToDwarf[0], kRax);
  EXPECT_EQ(kPerfToDwarf[1], kRbx);
  EXPECT_EQ(kPerfToDwarf[2], kRcx);
  EXPECT_EQ(kPerfToDwarf[3], kRdx);
  EXPECT_EQ(kPerfToDwarf[6], kRbp);
  EXPECT_EQ(kPerfToDwarf[7], kRsp);
  EXPECT_EQ(kPerfToDwarf[8], kRip);
  EXPECT_EQ(kPerfToDwarf[9], -1);
  EXPECT_EQ(kPerfToDwarf[12], kR8);
  EXPECT_EQ(kPerfToDwarf[19], kR15);
}

TEST(EventAttrTest, ParsesEvents) {
  auto e = ParseEvent("cpu-clock");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, PERF_TYPE_SOFTWARE);
  EXPECT_EQ(e->config, PERF_COUNT_SW_CPU_CLOCK);
  e = ParseEvent("task-clock");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->config, PERF_COUNT_SW_TASK_CLOCK);
  e = ParseEvent("cycles:u");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->IsHardware());
  EXPECT_EQ(e->config, PERF_COUNT_HW_CPU_CYCLES);
  EXPECT_TRUE(e->exclude_kernel);
  e = ParseEvent("Instructions");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->config, PERF_COUNT_HW_INSTRUCTIONS);
  auto bad = ParseEvent("cpu-clocks");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cpu-clocks"), std::string::npos);
  EXPECT_NE(bad.status().message().find("task-clock"), std::string::npos);
  EXPECT_FALSE(ParseEvent("cycles:kp").ok());
}

TEST(EventAttrTest, ParsesCallGraphs) {
  auto dwarf = ParseCallGraph("dwarf");
  ASSERT_TRUE(dwarf.ok()) << dwarf.status();
  EXPECT_EQ(dwarf->mode, CallGraph::kDwarf);
  EXPECT_EQ(dwarf->stack_bytes, kDefaultStackBytes);
  auto sized = ParseCallGraph("dwarf,16384");
  ASSERT_TRUE(sized.ok()) << sized.status();
  EXPECT_EQ(sized->stack_bytes, 16384u);
  EXPECT_EQ(ParseCallGraph("dwarf,65528")->stack_bytes, kMaxStackBytes);
  auto fp = ParseCallGraph("fp");
  ASSERT_TRUE(fp.ok()) << fp.status();
  EXPECT_EQ(fp->mode, CallGraph::kFramePointer);

  for (const char* bad_size : {"dwarf,100", "dwarf,0", "dwarf,65536", "dwarf,x", "dwarf,"}) {
    auto bad = ParseCallGraph(bad_size);
    ASSERT_FALSE(bad.ok()) << bad_size;
    EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
    EXPECT_NE(bad.status().message().find("bad stack size"), std::string::npos) << bad_size;
    EXPECT_NE(HintOf(bad.status()).find("multiple of 8"), std::string::npos) << bad_size;
  }
  for (const char* bad_mode : {"lbr", "fp,8", "dwarf,8,8", "", "DWARF"}) {
    auto bad = ParseCallGraph(bad_mode);
    ASSERT_FALSE(bad.ok()) << bad_mode;
    EXPECT_EQ(bad.status().message(),
              std::string("--call-graph: '") + bad_mode + "' is not dwarf[,BYTES] or fp");
  }
}

// Samples copy 32 KiB of stack by default, a switch-out (--off-cpu) 8 KiB;
// a size given with dwarf,BYTES applies to both.
TEST(EventAttrTest, SwitchOutsCopyLessStackUnlessASizeIsGiven) {
  AttrOptions options;
  auto dwarf = ParseCallGraph("dwarf");
  ASSERT_TRUE(dwarf.ok());
  options.stack_bytes = dwarf->stack_bytes;
  options.switch_stack_bytes = dwarf->switch_stack_bytes;
  EXPECT_EQ(BuildAttr(options).sample_stack_user, 32768u);
  EXPECT_EQ(BuildSwitchAttr(options, false).sample_stack_user, 8192u);

  auto sized = ParseCallGraph("dwarf,16384");
  ASSERT_TRUE(sized.ok());
  options.stack_bytes = sized->stack_bytes;
  options.switch_stack_bytes = sized->switch_stack_bytes;
  EXPECT_EQ(BuildAttr(options).sample_stack_user, 16384u);
  EXPECT_EQ(BuildSwitchAttr(options, false).sample_stack_user, 16384u);

  options.call_graph = CallGraph::kFramePointer;
  EXPECT_EQ(BuildSwitchAttr(options, false).sample_stack_user, 0u);
}

// The kernel walks the user frame pointers at a switch-out only where they
// are the stack (fp); with DWARF the clock samples keep the walk as a
// fallback, the switch-outs do not pay for it.
TEST(EventAttrTest, SwitchOutsWalkUserFramePointersOnlyInFpMode) {
  AttrOptions options;
  EXPECT_EQ(BuildAttr(options).exclude_callchain_user, 0u);
  EXPECT_EQ(BuildSwitchAttr(options, true).exclude_callchain_user, 1u);
  options.call_graph = CallGraph::kFramePointer;
  EXPECT_EQ(BuildSwitchAttr(options, true).exclude_callchain_user, 0u);
}

}  // namespace
}  // namespace stackfire::perf
