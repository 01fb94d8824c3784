// The pipeline's worker logic over hand-made records, with a fake unwinder
// and symbolizer: maps updates from MMAP2/COMM(exec)/FORK, the frame-pointer
// fallback, [truncated] stacks, per-thread roots, the stack cache, and the
// views (folded, export) of the one stack model.
#include "src/record/pipeline.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "gtest/gtest.h"
#include "src/record/stack_views.h"
#include "stackfire/profile.h"

namespace stackfire::record {
namespace {

// Unwinds to whatever the test put in `next`, with `outcome`.
class FakeUnwinder : public Unwinder {
 public:
  UnwindOutcome Unwind(const RawSample& sample, const ProcessMaps& maps,
                       std::vector<uint64_t>* pcs) override {
    ++calls;
    last_maps_size = maps.mappings().size();
    *pcs = next;
    if (pcs->empty()) pcs->push_back(sample.regs[kRip]);
    return outcome;
  }
  std::vector<uint64_t> next;
  UnwindOutcome outcome = UnwindOutcome::kComplete;
  int calls = 0;
  size_t last_maps_size = 0;
};

// Names a pc "<module basename>:<hex pc>", or "[unknown]"; counts calls.
class FakeSymbolizer : public Symbolizer {
 public:
  void SymbolizeUser(int, const ProcessMaps& maps, uint64_t pc, bool is_return_address,
                     std::vector<Frame>* out) override {
    ++user_calls;
    const Mapping* m = maps.Find(is_return_address ? pc - 1 : pc);
    std::string name = m ? m->path.substr(m->path.rfind('/') + 1) : "[unknown]";
    char hex[32];
    std::snprintf(hex, sizeof hex, ":%llx", static_cast<unsigned long long>(pc));
    out->push_back(Frame{name + hex, Frame::Kind::kUser, {}, 0});
  }
  void SymbolizeKernel(uint64_t pc, std::vector<Frame>* out) override {
    char hex[32];
    std::snprintf(hex, sizeof hex, "k%llx_[k]", static_cast<unsigned long long>(pc));
    out->push_back(Frame{hex, Frame::Kind::kKernel, {}, 0});
  }
  int user_calls = 0;
};

// No such process: the pipeline must not find real maps for it in /proc.
constexpr uint32_t kPid = 1073741000;

perf::ParsedRecord Sample(uint32_t pid, uint32_t tid, uint64_t time, uint64_t ip) {
  perf::SampleRecord s;
  s.sample.pid = pid;
  s.sample.tid = tid;
  s.sample.time_ns = time;
  s.sample.has_user_regs = true;
  s.sample.regs[kRip] = ip;
  s.sample.user_ips = {ip, 0x1005};
  return s;
}

perf::ParsedRecord Mmap(uint32_t pid, uint64_t time, uint64_t addr, const std::string& path) {
  perf::MmapRecord m;
  m.pid = m.tid = pid;
  m.addr = addr;
  m.len = 0x1000;
  m.prot = 5;
  m.filename = path;
  m.time_ns = time;
  return m;
}

template <typename... R>
std::vector<perf::ParsedRecord> Batch(R&&... records) {
  std::vector<perf::ParsedRecord> batch;
  (batch.push_back(std::forward<R>(records)), ...);
  return batch;
}

std::string Folded(const Profile& p) {
  std::ostringstream out;
  WriteFolded(p, out);
  return out.str();
}

class PipelineTest : public ::testing::Test {
 protected:
  FakeUnwinder unwinder_;
  FakeSymbolizer symbolizer_;
};

perf::ParsedRecord SwitchOutSample(uint32_t tid, uint64_t time, uint64_t ip) {
  perf::ParsedRecord r = Sample(kPid, tid, time, ip);
  std::get<perf::SampleRecord>(r).switch_out = true;
  return r;
}

perf::ParsedRecord Switch(uint32_t tid, uint64_t time, bool out) {
  perf::SwitchRecord s;
  s.out = out;
  s.pid = kPid;
  s.tid = tid;
  s.time_ns = time;
  return s;
}

// Off-CPU spans of two threads, times in microseconds: thread 7 is off CPU
// 300 us with stack a000, 900 us without a stack, 100 us with b000, 400 us
// without; thread 8, 500 us without a stack.
std::vector<perf::ParsedRecord> OffCpuSpans() {
  constexpr uint64_t us = 1000;
  return Batch(SwitchOutSample(7, 100 * us, 0xa000), Switch(7, 100 * us, true),
               Switch(7, 400 * us, false), Switch(7, 500 * us, true),
               Switch(7, 1400 * us, false), SwitchOutSample(7, 1500 * us, 0xb000),
               Switch(7, 1500 * us, true), Switch(7, 1600 * us, false),
               Switch(7, 2000 * us, true), Switch(7, 2400 * us, false),
               Switch(8, 100 * us, true), Switch(8, 600 * us, false));
}

TEST_F(PipelineTest, OffCpuSpansWithoutAStackGoUnderUnknown) {
  PipelineOptions options;
  options.off_cpu = true;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.Process(OffCpuSpans());
  p.FinishWallClock(3000000);
  const std::string folded = Folded(p.FoldedProfile());
  EXPECT_NE(folded.find("[unknown]:a000;[off-cpu] 300\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find("[unknown]:b000;[off-cpu] 100\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find("[unknown];[off-cpu] 1800\n"), std::string::npos) << folded;
}

TEST_F(PipelineTest, OffCpuSampledGivesUnsampledTimeToTheThreadsLatestStack) {
  PipelineOptions options;
  options.off_cpu = true;
  options.off_cpu_sampled = true;
  options.per_thread = true;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.SetThreadName(7, "t7");
  p.SetThreadName(8, "t8");
  p.Process(OffCpuSpans());
  p.FinishWallClock(3000000);
  // Thread 7's 900 us without a stack go to a000, the stack before them,
  // its 400 us to b000; thread 8, never sampled, keeps its 500 us under
  // [unknown].
  const std::string root7 = "t7-" + std::to_string(kPid) + "/7;";
  const std::string root8 = "t8-" + std::to_string(kPid) + "/8;";
  const std::string folded = Folded(p.FoldedProfile());
  EXPECT_NE(folded.find(root7 + "[unknown]:a000;[off-cpu] 1200\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find(root7 + "[unknown]:b000;[off-cpu] 500\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find(root8 + "[unknown];[off-cpu] 500\n"), std::string::npos) << folded;
  EXPECT_EQ(folded.find(root7 + "[unknown];"), std::string::npos) << folded;
  EXPECT_EQ(p.wall_totals().off.off_cpu_ns, 2200000);
  EXPECT_EQ(p.counters().switches.load(), 5u);
}

perf::ParsedRecord ClockSample(uint32_t pid, uint32_t tid, uint64_t time, uint64_t ip,
                               uint64_t period) {
  perf::ParsedRecord r = Sample(pid, tid, time, ip);
  auto& s = std::get<perf::SampleRecord>(r);
  s.cpu_wide = true;
  s.sample.period = period;
  return r;
}

perf::ParsedRecord Task(bool fork, uint32_t tid, uint64_t time) {
  perf::TaskRecord t;
  t.fork = fork;
  t.pid = t.ppid = kPid;
  t.tid = tid;
  t.ptid = kPid;
  t.time_ns = time;
  return t;
}

// A CPU-wide clock's samples: another process's are dropped, and so is a
// sample of a thread after its EXIT record; the target's are rescaled to
// each thread's on-CPU time as the switch records measured it.
TEST_F(PipelineTest, CpuWideClockSamplesAreFilteredAndShareTheMeasuredCpuTime) {
  constexpr uint64_t us = 1000;
  PipelineOptions options;
  options.off_cpu = true;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.AddTarget(kPid);
  p.Process(Batch(
      // Thread 7 runs from the first record (100 us) to 300 us, and from 500
      // us to the stop: 700 us on CPU; its two samples' periods say 200 us.
      ClockSample(kPid, 7, 100 * us, 0xa000, 50 * us),
      ClockSample(kPid + 1, 33, 120 * us, 0xc000, 100 * us),  // not the target
      Task(true, 9, 120 * us), Switch(9, 130 * us, false),
      ClockSample(kPid, 9, 140 * us, 0xd000, 10 * us),
      ClockSample(kPid, 7, 150 * us, 0xb000, 150 * us),
      Task(false, 9, 160 * us),
      ClockSample(kPid, 9, 170 * us, 0xd000, 10 * us),  // on its way out
      Switch(7, 300 * us, true), Switch(7, 500 * us, false)));
  p.FinishWallClock(1000 * us);
  const std::string folded = Folded(p.FoldedProfile());
  // 700 us shared 50:150 between the two stacks.
  EXPECT_NE(folded.find("[unknown]:a000 175\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find("[unknown]:b000 525\n"), std::string::npos) << folded;
  // Off CPU: thread 7's 200 us, and thread 9's 10 us waiting for its first
  // CPU (it lived from 120 us to 160 us, on CPU from 130 us).
  EXPECT_NE(folded.find("[unknown];[off-cpu] 210\n"), std::string::npos) << folded;
  EXPECT_NE(folded.find("[unknown]:d000 30\n"), std::string::npos) << folded;
  EXPECT_EQ(folded.find("c000"), std::string::npos) << folded;
  EXPECT_EQ(p.counters().foreign.load(), 2u);
  const WallTotals w = p.wall_totals();
  EXPECT_EQ(w.on_cpu_ns, static_cast<int64_t>(730 * us));
  EXPECT_EQ(w.on_cpu_measured_threads, 2u);
  EXPECT_EQ(w.on_cpu_estimated_threads, 0u);
}

// A launched command's pid: its CPU-wide samples before its exec are of the
// fork's child (stackfire's own code) and are dropped.
TEST_F(PipelineTest, CpuWideClockSamplesOfALaunchedCommandStartAtItsExec) {
  PipelineOptions options;
  options.off_cpu = true;
  options.launched_pid = kPid;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.AddTarget(kPid);
  perf::CommRecord exec;
  exec.pid = exec.tid = kPid;
  exec.comm = "app";
  exec.exec = true;
  exec.time_ns = 2000;
  p.Process(Batch(ClockSample(kPid, kPid, 1000, 0xa000, 100), exec,
                  ClockSample(kPid, kPid, 3000, 0xb000, 100)));
  p.FinishWallClock(5000);
  const std::string folded = Folded(p.FoldedProfile());
  EXPECT_EQ(folded.find("a000"), std::string::npos) << folded;
  EXPECT_NE(folded.find("b000"), std::string::npos) << folded;
  EXPECT_EQ(p.counters().foreign.load(), 1u);
}

TEST_F(PipelineTest, MmapAppliesBeforeLaterSamplesEvenOutOfOrder) {
  Pipeline p({}, &unwinder_, &symbolizer_);
  unwinder_.next = {0x7000010, 0x1005};
  std::vector<perf::ParsedRecord> batch;
  // The sample (t=20) arrived from another CPU's ring before the MMAP2 (t=10).
  batch.push_back(Sample(kPid, kPid, 20, 0x7000010));
  batch.push_back(Mmap(kPid, 10, 0x7000000, "/lib/libplugin.so"));
  batch.push_back(Mmap(kPid, 1, 0x1000, "/bin/app"));
  p.Process(std::move(batch));
  EXPECT_EQ(Folded(p.FoldedProfile()), "app:1005;libplugin.so:7000010 1\n");
  EXPECT_EQ(p.counters().samples.load(), 1u);
}

TEST_F(PipelineTest, ExecClearsTheMaps) {
  Pipeline p({}, &unwinder_, &symbolizer_);
  std::vector<perf::ParsedRecord> batch;
  batch.push_back(Mmap(kPid, 1, 0x1000, "/bin/old"));
  perf::CommRecord exec;
  exec.pid = exec.tid = kPid;
  exec.comm = "new";
  exec.exec = true;
  exec.time_ns = 2;
  batch.push_back(exec);
  unwinder_.next = {0x1010};
  batch.push_back(Sample(kPid, kPid, 3, 0x1010));
  p.Process(std::move(batch));
  EXPECT_EQ(unwinder_.last_maps_size, 0u);
  EXPECT_EQ(Folded(p.FoldedProfile()), "[unknown]:1010 1\n");
}

TEST_F(PipelineTest, FailedUnwindFallsBackToTheKernelChain) {
  Pipeline p({}, &unwinder_, &symbolizer_);
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app")));
  unwinder_.next = {0x1010};  // DWARF found only the leaf
  unwinder_.outcome = UnwindOutcome::kFailed;
  p.Process(Batch(Sample(kPid, kPid, 2, 0x1010)));
  EXPECT_EQ(Folded(p.FoldedProfile()), "app:1005;app:1010 1\n");  // user_ips = {ip, 0x1005}
  EXPECT_EQ(p.counters().unwind_failures.load(), 1u);
  EXPECT_EQ(p.counters().fp_fallbacks.load(), 1u);
}

TEST_F(PipelineTest, PartialStacksOfFailedUnwindsGoUnderUnknown) {
  Pipeline p({}, &unwinder_, &symbolizer_);
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app")));
  unwinder_.next = {0x1010, 0x1020};  // two frames, then a bad one
  unwinder_.outcome = UnwindOutcome::kFailed;
  p.Process(Batch(Sample(kPid, kPid, 2, 0x1010)));
  EXPECT_EQ(Folded(p.FoldedProfile()), "[unknown];app:1020;app:1010 1\n");
  EXPECT_EQ(p.counters().unwind_failures.load(), 1u);
  EXPECT_EQ(p.counters().fp_fallbacks.load(), 0u);
}

TEST_F(PipelineTest, TruncatedStacksAreMarkedAndCounted) {
  Pipeline p({}, &unwinder_, &symbolizer_);
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app")));
  unwinder_.next = {0x1010, 0x1020};
  unwinder_.outcome = UnwindOutcome::kTruncated;
  perf::ParsedRecord s = Sample(kPid, kPid, 2, 0x1010);
  std::get<perf::SampleRecord>(s).sample.kernel_ips = {0xffff1, 0xffff2};
  p.Process(Batch(std::move(s)));
  EXPECT_EQ(Folded(p.FoldedProfile()), "[truncated];app:1020;app:1010;kffff2_[k];kffff1_[k] 1\n");
  EXPECT_EQ(p.counters().truncated.load(), 1u);
  EXPECT_EQ(p.counters().unwind_failures.load(), 0u);
}

TEST_F(PipelineTest, PerThreadRootsAndTheFoldCache) {
  PipelineOptions options;
  options.per_thread = true;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.SetThreadName(kPid, "my app");
  std::vector<perf::ParsedRecord> batch;
  batch.push_back(Mmap(kPid, 1, 0x1000, "/bin/app"));
  perf::TaskRecord fork;
  fork.pid = kPid;
  fork.ppid = kPid;
  fork.tid = kPid + 1;
  fork.ptid = kPid;
  fork.time_ns = 2;
  batch.push_back(fork);
  unwinder_.next = {0x1010};
  for (int i = 0; i < 10; ++i) batch.push_back(Sample(kPid, i % 2 ? kPid + 1 : kPid, 3 + i, 0x1010));
  p.Process(std::move(batch));
  EXPECT_EQ(Folded(p.FoldedProfile()),
            "my_app-1073741000/1073741000;app:1010 5\n"
            "my_app-1073741000/1073741001;app:1010 5\n");
  EXPECT_EQ(symbolizer_.user_calls, 1);  // one unique stack, symbolized once
  EXPECT_EQ(p.counters().threads.load(), 2u);
}

TEST_F(PipelineTest, FramePointerModeSkipsTheUnwinder) {
  PipelineOptions options;
  options.fp_only = true;
  Pipeline p(options, nullptr, &symbolizer_);
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app"), Sample(kPid, kPid, 2, 0x1010)));
  EXPECT_EQ(Folded(p.FoldedProfile()), "app:1005;app:1010 1\n");
}

TEST_F(PipelineTest, PerPidRootsKeepProcessesApart) {
  PipelineOptions options;
  options.per_pid = true;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.SetThreadName(kPid, "my app");
  p.SetThreadName(kPid + 7, "db");
  p.SetThreadName(kPid + 8, "db worker");  // a thread of db: still db's root
  unwinder_.next = {0x1010};
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app"), Mmap(kPid + 7, 1, 0x1000, "/bin/app"),
                  Sample(kPid, kPid, 2, 0x1010), Sample(kPid + 7, kPid + 7, 3, 0x1010),
                  Sample(kPid + 7, kPid + 8, 4, 0x1010)));
  EXPECT_EQ(Folded(p.FoldedProfile()),
            "db-1073741007;app:1010 2\n"
            "my_app-1073741000;app:1010 1\n");
}

// Names 0x1010 as an inlined helper inside its caller, with source lines.
class InlineSymbolizer : public FakeSymbolizer {
 public:
  void SymbolizeUser(int pid, const ProcessMaps& maps, uint64_t pc, bool is_return_address,
                     std::vector<Frame>* out) override {
    if (pc == 0x1010) {
      out->push_back(Frame{"helper_[i]", Frame::Kind::kInlined, "/src/h.h", 7});
      out->push_back(Frame{"caller", Frame::Kind::kUser, "/src/a.cc", 31});
      return;
    }
    FakeSymbolizer::SymbolizeUser(pid, maps, pc, is_return_address, out);
  }
};

TEST_F(PipelineTest, ExportModelMatchesTheFoldedStacks) {
  InlineSymbolizer symbolizer;
  PipelineOptions options;
  options.per_thread = true;
  options.collect_export = true;
  Pipeline p(options, &unwinder_, &symbolizer);
  p.SetThreadName(kPid, "app");
  perf::ParsedRecord mmap = Mmap(kPid, 1, 0x1000, "/bin/app");
  std::get<perf::MmapRecord>(mmap).build_id = std::string("\x01\xab\x10", 3);
  std::get<perf::MmapRecord>(mmap).pgoff = 0x3000;
  unwinder_.next = {0x1010, 0x1005};
  std::vector<perf::ParsedRecord> batch = Batch(std::move(mmap));
  for (int i = 0; i < 3; ++i) {
    perf::ParsedRecord s = Sample(kPid, kPid, 2 + i, 0x1010);
    std::get<perf::SampleRecord>(s).sample.period = 1000 + i;
    batch.push_back(std::move(s));
  }
  p.Process(std::move(batch));
  ASSERT_EQ(Folded(p.FoldedProfile()), "app-1073741000/1073741000;app:1005;caller;helper_[i] 3\n");

  ExportMeta meta;
  meta.event = "cpu-clock";
  meta.frequency_hz = 100;
  exporter::ExportProfile model = ToExport(p.recorded(), meta);
  ASSERT_EQ(model.samples.size(), 1u);
  const exporter::ExportSample& sample = model.samples[0];
  EXPECT_EQ(sample.weight, 3);
  ASSERT_EQ(sample.extra.size(), 1u);
  EXPECT_EQ(sample.extra[0], 3003);  // the periods, summed
  ASSERT_EQ(model.extra_types.size(), 1u);
  EXPECT_EQ(model.extra_types[0].type, "cpu");
  EXPECT_EQ(model.extra_types[0].unit, "nanoseconds");
  EXPECT_EQ(model.sample_type, "samples");
  EXPECT_EQ(model.period_type, "cpu");
  EXPECT_EQ(model.period, 10000000);

  // Root first: the thread, the return address, then the leaf with its
  // inline chain innermost first.
  ASSERT_EQ(sample.frames.size(), 3u);
  const exporter::ExportFrame& root = model.frames[sample.frames[0]];
  ASSERT_EQ(root.lines.size(), 1u);
  EXPECT_EQ(root.lines[0].function, "app-1073741000/1073741000");
  EXPECT_EQ(root.mapping, -1);
  const exporter::ExportFrame& caller = model.frames[sample.frames[1]];
  EXPECT_EQ(caller.address, 0x1005u);
  ASSERT_EQ(caller.lines.size(), 1u);
  EXPECT_EQ(caller.lines[0].function, "app:1005");
  const exporter::ExportFrame& leaf = model.frames[sample.frames[2]];
  EXPECT_EQ(leaf.address, 0x1010u);
  ASSERT_EQ(leaf.lines.size(), 2u);
  EXPECT_EQ(leaf.lines[0].function, "helper");  // the marker is pprof's line order
  EXPECT_EQ(leaf.lines[0].file, "/src/h.h");
  EXPECT_EQ(leaf.lines[0].line, 7);
  EXPECT_EQ(leaf.lines[1].function, "caller");
  EXPECT_EQ(leaf.lines[1].file, "/src/a.cc");
  EXPECT_EQ(leaf.lines[1].line, 31);

  ASSERT_EQ(model.mappings.size(), 1u);
  EXPECT_EQ(leaf.mapping, 0);
  EXPECT_EQ(caller.mapping, 0);
  const exporter::ExportMapping& m = model.mappings[0];
  EXPECT_EQ(m.file, "/bin/app");
  EXPECT_EQ(m.start, 0x1000u);
  EXPECT_EQ(m.limit, 0x2000u);
  EXPECT_EQ(m.file_offset, 0x3000u);
  EXPECT_EQ(m.build_id, "01ab10");
  EXPECT_TRUE(m.has_functions);
  EXPECT_TRUE(m.has_inline_frames);
  EXPECT_TRUE(m.has_filenames);
  EXPECT_TRUE(m.has_line_numbers);
}

TEST_F(PipelineTest, LibraryLoadedAgainAndAgainKeepsOnlyTheNewestCopies) {
  // No munmap records: without a bound every address a dlopen loop ever used
  // would stay mapped.
  Pipeline p({}, &unwinder_, &symbolizer_);
  for (uint64_t i = 0; i < 10; ++i) {
    p.Process(Batch(Mmap(kPid, 1 + i, 0x7000000 + i * 0x10000, "/lib/libchurn.so")));
  }
  unwinder_.next = {0x7000010};
  p.Process(Batch(Sample(kPid, kPid, 20, 0x7000010)));  // the first copy: dropped
  unwinder_.next = {0x7090010};
  p.Process(Batch(Sample(kPid, kPid, 21, 0x7090010)));  // the newest: kept
  EXPECT_EQ(unwinder_.last_maps_size, Pipeline::kMaxCopiesPerFile);
  EXPECT_EQ(Folded(p.FoldedProfile()), "[unknown]:7000010 1\nlibchurn.so:7090010 1\n");
}

TEST_F(PipelineTest, FramePointerFallbackStopsOutsideCode) {
  Pipeline p({}, &unwinder_, &symbolizer_);
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app")));
  unwinder_.next = {0x1010};
  unwinder_.outcome = UnwindOutcome::kFailed;
  perf::ParsedRecord r = Sample(kPid, kPid, 2, 0x1010);
  // A fresh thread's rbp: past 0x1005 the chain points at nothing mapped.
  std::get<perf::SampleRecord>(r).sample.user_ips = {0x1010, 0x1005, 0x5000, 0x1006};
  p.Process(Batch(std::move(r)));
  EXPECT_EQ(Folded(p.FoldedProfile()), "app:1005;app:1010 1\n");
}

TEST_F(PipelineTest, ExitedThreadsAreForgottenButCounted) {
  PipelineOptions options;
  options.per_thread = true;
  Pipeline p(options, &unwinder_, &symbolizer_);
  p.SetThreadName(kPid, "app");
  p.Process(Batch(Mmap(kPid, 1, 0x1000, "/bin/app")));
  for (uint32_t tid = kPid + 1; tid < kPid + 4; ++tid) {
    perf::TaskRecord fork;
    fork.pid = fork.ppid = kPid;
    fork.tid = tid;
    fork.ptid = kPid;
    fork.time_ns = tid;
    perf::TaskRecord exit = fork;
    exit.fork = false;
    exit.time_ns = tid + 2;
    p.Process(Batch(fork, Sample(kPid, tid, tid + 1, 0x1010), exit));
  }
  EXPECT_EQ(p.counters().threads.load(), 3u);
  EXPECT_EQ(p.counters().samples.load(), 3u);
  // Each thread was named after its creator while it lived.
  EXPECT_NE(Folded(p.FoldedProfile()).find("app-" + std::to_string(kPid) + "/" +
                                     std::to_string(kPid + 3) + ";"),
            std::string::npos);
}

TEST(StackBuilderTest, StacksOfOldMapsGenerationsAreSwept) {
  // A process mapping code in a loop bumps its maps generation each time;
  // stacks cached under older generations can never be hit again.
  FakeSymbolizer symbolizer;
  StackStore store;
  StackBuilder builder(&symbolizer, nullptr, {}, &store);
  ProcessMaps maps;
  std::vector<uint64_t> pcs = {0x1010};
  std::vector<uint64_t> none;
  StackKey key;
  key.pid = kPid;
  key.user_pcs = &pcs;
  key.kernel_ips = &none;
  size_t most = 0;
  for (uint64_t generation = 1; generation <= 50000; ++generation) {
    key.maps_generation = generation;
    pcs[0] = 0x1000 + generation % 7;
    EXPECT_FALSE(store.locations_of(builder.Build(key, maps)).empty());
    most = std::max(most, builder.cached_keys());
  }
  EXPECT_LE(most, 8192u);
  // Seven distinct pcs: seven stacks, however many generations saw them.
  EXPECT_EQ(store.stack_count(), 7u);
  // A stack of the current generation stays cached.
  const int calls = symbolizer.user_calls;
  builder.Build(key, maps);
  EXPECT_EQ(symbolizer.user_calls, calls);
}

// perf's context-switches event on the same thread makes the kernel give
// our switch-out sample perf's time on perf's clock: the SWITCH_OUT record
// read right after it (same ring) has ours.
TEST(TimeSwitchSampleTest, TheSwitchRecordGivesTheSampleItsTime) {
  auto switch_sample = [](uint32_t tid, uint32_t cpu, uint64_t time) {
    perf::ParsedRecord r = Sample(kPid, tid, time, 0x1000);
    auto& s = std::get<perf::SampleRecord>(r);
    s.switch_out = true;
    s.sample.cpu = cpu;
    return r;
  };
  perf::SwitchRecord out;
  out.out = true;
  out.pid = kPid;
  out.tid = 7;
  out.cpu = 1;
  out.time_ns = 5'000'000'000;
  auto time_of = [](const std::vector<perf::ParsedRecord>& records) {
    return std::get<perf::SampleRecord>(records.back()).sample.time_ns;
  };
  auto one = [](perf::ParsedRecord r) {  // records are move-only
    std::vector<perf::ParsedRecord> v;
    v.push_back(std::move(r));
    return v;
  };

  std::vector<perf::ParsedRecord> records = one(switch_sample(7, 1, 9'000'000'123));
  Pipeline::TimeSwitchSample(out, &records);
  EXPECT_EQ(time_of(records), 4'999'999'999u);  // just before its switch record

  // Not its sample: another thread, another CPU, a clock sample.
  records = one(switch_sample(8, 1, 123));
  Pipeline::TimeSwitchSample(out, &records);
  EXPECT_EQ(time_of(records), 123u);
  records = one(switch_sample(7, 0, 123));
  Pipeline::TimeSwitchSample(out, &records);
  EXPECT_EQ(time_of(records), 123u);
  records = one(Sample(kPid, 7, 123, 0x1000));
  std::get<perf::SampleRecord>(records.back()).sample.cpu = 1;
  Pipeline::TimeSwitchSample(out, &records);
  EXPECT_EQ(time_of(records), 123u);
  // Nothing read before it.
  records.clear();
  Pipeline::TimeSwitchSample(out, &records);
  EXPECT_TRUE(records.empty());
}

}  // namespace
}  // namespace stackfire::record
