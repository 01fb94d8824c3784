#include "src/perf/record_parser.h"

#include "gtest/gtest.h"
#include "src/perf/event_attr.h"
#include "tests/perf/record_bytes.h"

namespace stackfire::perf {
namespace {

const SampleLayout kDwarf{kSampleType, kSampleRegsUser};

// sample_id trailer for TID|TIME|CPU|IDENTIFIER: pid/tid, time, cpu, id.
RecordBytes& Trailer(RecordBytes& r, uint64_t time) {
  return r.U32(1).U32(2).U64(time).U32(0).U32(0).U64(77);
}

RecordBytes DwarfSample(uint64_t dyn_size, uint16_t stack_size = 16) {
  RecordBytes r(PERF_RECORD_SAMPLE);
  r.U64(1234);                   // identifier
  r.U64(0x401000);               // ip
  r.U32(10).U32(11);             // pid, tid
  r.U64(5000);                   // time
  r.U32(1).U32(0);               // cpu, res
  r.U64(10101010);               // period
  r.U64(6);                      // callchain nr
  r.U64(PERF_CONTEXT_KERNEL).U64(0xffffffff81000010).U64(0xffffffff81000020);
  r.U64(PERF_CONTEXT_USER).U64(0x401000).U64(0x402000);
  r.U64(PERF_SAMPLE_REGS_ABI_64);
  for (uint64_t i = 0; i < 20; ++i) r.U64(0x100 + i);  // perf order
  r.U64(stack_size);
  std::vector<uint8_t> stack(stack_size);
  for (size_t i = 0; i < stack.size(); ++i) stack[i] = static_cast<uint8_t>(i);
  r.Raw(stack);
  r.U64(dyn_size);
  return r;
}

TEST(RecordParserTest, DwarfSample) {
  RecordBytes bytes = DwarfSample(8);
  auto rec = bytes.Done();
  auto parsed = ParseRecord(AsHeader(rec), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  auto* s = std::get_if<SampleRecord>(&*parsed);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->id, 1234u);
  const RawSample& raw = s->sample;
  EXPECT_EQ(raw.pid, 10u);
  EXPECT_EQ(raw.tid, 11u);
  EXPECT_EQ(raw.time_ns, 5000u);
  EXPECT_EQ(raw.cpu, 1u);
  EXPECT_EQ(raw.period, 10101010u);
  EXPECT_EQ(raw.kernel_ips, (std::vector<uint64_t>{0xffffffff81000010, 0xffffffff81000020}));
  EXPECT_EQ(raw.user_ips, (std::vector<uint64_t>{0x401000, 0x402000}));
  ASSERT_TRUE(raw.has_user_regs);
  EXPECT_EQ(raw.regs[kRax], 0x100u);
  EXPECT_EQ(raw.regs[kRbx], 0x101u);
  EXPECT_EQ(raw.regs[kRcx], 0x102u);
  EXPECT_EQ(raw.regs[kRdx], 0x103u);
  EXPECT_EQ(raw.regs[kRbp], 0x106u);
  EXPECT_EQ(raw.regs[kRsp], 0x107u);
  EXPECT_EQ(raw.regs[kRip], 0x108u);
  EXPECT_EQ(raw.regs[kR8], 0x10cu);
  EXPECT_EQ(raw.regs[kR15], 0x113u);
  EXPECT_EQ(raw.stack_requested, 16u);
  EXPECT_EQ(raw.stack, (std::vector<uint8_t>{0, 1, 2, 3, 4, 5, 6, 7}));  // dyn_size bytes
}

TEST(RecordParserTest, TruncatedSampleIsRejected) {
  std::vector<uint8_t> full = DwarfSample(16).bytes();
  for (size_t cut : {8ul, 40ul, 100ul, full.size() - 8}) {
    std::vector<uint64_t> storage((cut + 7) / 8 + 1);
    std::memcpy(storage.data(), full.data(), cut);
    auto* h = reinterpret_cast<perf_event_header*>(storage.data());
    h->size = static_cast<uint16_t>(cut);
    EXPECT_FALSE(ParseRecord(h, kDwarf).has_value()) << cut;
  }
}

TEST(RecordParserTest, KernelThreadSampleHasNoUserRegs) {
  RecordBytes r(PERF_RECORD_SAMPLE);
  r.U64(1).U64(0xffffffff81000010).U32(0).U32(0).U64(1).U32(0).U32(0).U64(1);
  r.U64(2).U64(PERF_CONTEXT_KERNEL).U64(0xffffffff81000010);
  r.U64(PERF_SAMPLE_REGS_ABI_NONE);
  r.U64(0);  // no stack copy, no dyn_size
  auto rec = r.Done();
  auto parsed = ParseRecord(AsHeader(rec), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  const RawSample& raw = std::get<SampleRecord>(*parsed).sample;
  EXPECT_FALSE(raw.has_user_regs);
  EXPECT_TRUE(raw.stack.empty());
  EXPECT_EQ(raw.kernel_ips.size(), 1u);
}

TEST(RecordParserTest, Mmap2) {
  RecordBytes r(PERF_RECORD_MMAP2);
  r.U32(10).U32(12).U64(0x7f0000001000).U64(0x3000).U64(0x1000);
  r.U32(8).U32(1).U64(4242).U64(0);  // maj, min, ino, ino_generation
  r.U32(5).U32(2).Str("/usr/lib/libfoo.so");
  Trailer(r, 999);
  auto rec = r.Done();
  auto parsed = ParseRecord(AsHeader(rec), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  const auto& m = std::get<MmapRecord>(*parsed);
  EXPECT_EQ(m.pid, 10u);
  EXPECT_EQ(m.tid, 12u);
  EXPECT_EQ(m.addr, 0x7f0000001000u);
  EXPECT_EQ(m.len, 0x3000u);
  EXPECT_EQ(m.pgoff, 0x1000u);
  EXPECT_EQ(m.maj, 8u);
  EXPECT_EQ(m.ino, 4242u);
  EXPECT_EQ(m.prot, 5u);
  EXPECT_EQ(m.filename, "/usr/lib/libfoo.so");
  EXPECT_EQ(m.time_ns, 999u);
  EXPECT_EQ(RecordTime(*parsed), 999u);
}

TEST(RecordParserTest, Mmap2WithBuildId) {
  RecordBytes r(PERF_RECORD_MMAP2, PERF_RECORD_MISC_MMAP_BUILD_ID);
  r.U32(10).U32(10).U64(0x1000).U64(0x1000).U64(0);
  r.U32(3);  // build_id_size = 3, pad[3]
  r.U64(0x0000000000ccbbaa).U64(0).U32(0);  // build_id[20]
  r.U32(5).U32(2).Str("/bin/x");
  auto rec = r.Done();
  auto parsed = ParseRecord(AsHeader(rec), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  const auto& m = std::get<MmapRecord>(*parsed);
  EXPECT_EQ(m.build_id, "\xaa\xbb\xcc");
  EXPECT_EQ(m.filename, "/bin/x");
  EXPECT_EQ(m.prot, 5u);
}

TEST(RecordParserTest, CommExecForkExitLostThrottle) {
  RecordBytes comm(PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
  comm.U32(5).U32(5).Str("worker");
  auto c = comm.Done();
  auto parsed = ParseRecord(AsHeader(c), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(std::get<CommRecord>(*parsed).comm, "worker");
  EXPECT_TRUE(std::get<CommRecord>(*parsed).exec);

  RecordBytes fork(PERF_RECORD_FORK);
  fork.U32(5).U32(5).U32(6).U32(5).U64(1000);
  auto f = fork.Done();
  parsed = ParseRecord(AsHeader(f), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  const auto& task = std::get<TaskRecord>(*parsed);
  EXPECT_TRUE(task.fork);
  EXPECT_EQ(task.tid, 6u);
  EXPECT_EQ(task.ptid, 5u);

  RecordBytes exit(PERF_RECORD_EXIT);
  exit.U32(5).U32(5).U32(6).U32(6).U64(2000);
  auto e = exit.Done();
  parsed = ParseRecord(AsHeader(e), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(std::get<TaskRecord>(*parsed).fork);

  RecordBytes lost(PERF_RECORD_LOST);
  lost.U64(77).U64(31);
  auto l = lost.Done();
  parsed = ParseRecord(AsHeader(l), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(std::get<LostRecord>(*parsed).lost, 31u);

  RecordBytes throttle(PERF_RECORD_THROTTLE);
  throttle.U64(3000).U64(77).U64(77);
  auto t = throttle.Done();
  parsed = ParseRecord(AsHeader(t), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(std::get<ThrottleRecord>(*parsed).throttled);

  RecordBytes other(PERF_RECORD_NAMESPACES);
  auto o = other.Done();
  parsed = ParseRecord(AsHeader(o), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(std::get<OtherRecord>(*parsed).type, PERF_RECORD_NAMESPACES);
}

// Laid out as Linux 6.18 writes them (checked with a context_switch event):
// a SWITCH record is only its sample_id trailer.
TEST(RecordParserTest, SwitchOutAndIn) {
  RecordBytes out(PERF_RECORD_SWITCH, PERF_RECORD_MISC_SWITCH_OUT);
  out.U32(40).U32(41).U64(9000).U32(1).U32(0).U64(555);
  auto o = out.Done();
  auto parsed = ParseRecord(AsHeader(o), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  const auto& sw = std::get<SwitchRecord>(*parsed);
  EXPECT_TRUE(sw.out);
  EXPECT_FALSE(sw.preempted);
  EXPECT_FALSE(sw.cpu_wide);
  EXPECT_EQ(sw.pid, 40u);
  EXPECT_EQ(sw.tid, 41u);
  EXPECT_EQ(sw.time_ns, 9000u);
  EXPECT_EQ(sw.cpu, 1u);
  EXPECT_EQ(sw.id, 555u);
  EXPECT_EQ(RecordTime(*parsed), 9000u);

  RecordBytes preempt(PERF_RECORD_SWITCH,
                      PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_SWITCH_OUT_PREEMPT);
  Trailer(preempt, 9100);
  auto p = preempt.Done();
  parsed = ParseRecord(AsHeader(p), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(std::get<SwitchRecord>(*parsed).preempted);

  RecordBytes in(PERF_RECORD_SWITCH);
  Trailer(in, 9500);
  auto i = in.Done();
  parsed = ParseRecord(AsHeader(i), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(std::get<SwitchRecord>(*parsed).out);
  EXPECT_EQ(std::get<SwitchRecord>(*parsed).time_ns, 9500u);
  EXPECT_EQ(std::get<SwitchRecord>(*parsed).tid, 2u);
}

TEST(RecordParserTest, SwitchCpuWide) {
  RecordBytes wide(PERF_RECORD_SWITCH_CPU_WIDE, PERF_RECORD_MISC_SWITCH_OUT);
  wide.U32(70).U32(71);  // the next thread
  Trailer(wide, 123);
  auto w = wide.Done();
  auto parsed = ParseRecord(AsHeader(w), kDwarf);
  ASSERT_TRUE(parsed.has_value());
  const auto& sw = std::get<SwitchRecord>(*parsed);
  EXPECT_TRUE(sw.cpu_wide);
  EXPECT_TRUE(sw.out);
  EXPECT_EQ(sw.other_pid, 70u);
  EXPECT_EQ(sw.other_tid, 71u);
  EXPECT_EQ(sw.tid, 2u);
  EXPECT_EQ(sw.time_ns, 123u);
  EXPECT_EQ(sw.id, 77u);
}

TEST(RecordParserTest, SwitchShorterThanItsTrailerIsRejected) {
  RecordBytes out(PERF_RECORD_SWITCH, PERF_RECORD_MISC_SWITCH_OUT);
  out.U32(40).U32(41).U64(9000);  // no cpu, no identifier
  auto o = out.Done();
  EXPECT_FALSE(ParseRecord(AsHeader(o), kDwarf).has_value());
  RecordBytes wide(PERF_RECORD_SWITCH_CPU_WIDE);
  Trailer(wide, 5);  // no next/prev pid and tid before it
  auto w = wide.Done();
  EXPECT_FALSE(ParseRecord(AsHeader(w), kDwarf).has_value());
  // A layout without a trailer: nothing to read, nothing identified.
  RecordBytes bare(PERF_RECORD_SWITCH);
  auto b = bare.Done();
  auto parsed = ParseRecord(AsHeader(b), SampleLayout{PERF_SAMPLE_IP, 0});
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(std::get<SwitchRecord>(*parsed).tid, 0u);
}

TEST(RecordParserTest, UnterminatedStringIsRejected) {
  RecordBytes comm(PERF_RECORD_COMM);
  comm.U32(5).U32(5).U64(0x4141414141414141);
  auto c = comm.Done();
  EXPECT_FALSE(ParseRecord(AsHeader(c), kDwarf).has_value());
}

}  // namespace
}  // namespace stackfire::perf
