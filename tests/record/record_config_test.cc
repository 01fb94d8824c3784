// RecordConfig::Create: every check `stackfire record` makes before it
// starts, with the kernel's settings given by the test (no perf_event_open).
#include "src/record/record_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "stackfire/hint.h"

namespace stackfire::record {
namespace {

SystemLimits Limits(uint64_t max_rate = 100000) {
  SystemLimits limits;
  limits.max_sample_rate = max_rate;
  limits.page_size = 4096;
  return limits;
}

RecordRequest Attach(const std::string& pids = "1234") {
  RecordRequest r;
  r.pids = pids;
  return r;
}

bool Has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The usage error of request: its message and hint.
std::pair<std::string, std::string> Error(const RecordRequest& request,
                                          const SystemLimits& limits = Limits()) {
  absl::StatusOr<RecordConfig> c = RecordConfig::Create(request, limits);
  EXPECT_FALSE(c.ok());
  if (c.ok()) return {};
  EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << c.status();
  return {std::string(c.status().message()), HintOf(c.status())};
}

TEST(RecordConfigTest, OffCpuStackRateSetsTheSwitchEventsFrequency) {
  RecordRequest r = Attach();
  r.off_cpu = true;
  auto every = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(every.ok()) << every.status();
  EXPECT_EQ(every->attr.switch_stack_hz, 0u);
  const perf_event_attr all = perf::BuildSwitchAttr(every->attr, true);
  EXPECT_EQ(all.freq, 0u);
  EXPECT_EQ(all.sample_period, 1u);
  r.off_cpu_stack_hz = 500;
  auto capped = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(capped.ok()) << capped.status();
  EXPECT_EQ(capped->off_cpu_stack_hz, 500u);
  const perf_event_attr attr = perf::BuildSwitchAttr(capped->attr, true);
  EXPECT_EQ(attr.freq, 1u);
  EXPECT_EQ(attr.sample_freq, 500u);
  EXPECT_EQ(attr.context_switch, 1u);  // every switch is still timed
  EXPECT_EQ(attr.sample_type, perf::kSampleType);  // one layout for both events
  // The clock event keeps its frequency.
  EXPECT_EQ(perf::BuildAttr(capped->attr).sample_freq, 99u);
  r.off_cpu_stack_hz = 200000;
  EXPECT_TRUE(Has(Error(r).first, "above the kernel's limit of 100000 Hz"));
  r.off_cpu = false;
  r.off_cpu_stack_hz = 500;
  EXPECT_TRUE(Has(Error(r).first, "--off-cpu-stack-rate applies to --off-cpu"));
}

TEST(RecordConfigTest, PerThreadClockIsAnOffCpuChoice) {
  RecordRequest r = Attach();
  r.off_cpu = true;
  auto c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->per_thread_clock);  // one clock per CPU where allowed
  r.per_thread_clock = true;
  c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->per_thread_clock);
  r.off_cpu = false;
  EXPECT_TRUE(Has(Error(r).first, "--per-thread-clock applies to --off-cpu"));
}

TEST(RecordConfigTest, Defaults) {
  auto c = RecordConfig::Create(Attach("12, 34,12"), Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->pids, (std::vector<int>{12, 34}));
  EXPECT_FALSE(c->launches());
  EXPECT_TRUE(c->per_pid);  // several processes: never merged
  EXPECT_EQ(c->attr.frequency_hz, 99u);
  EXPECT_EQ(c->attr.event.name, "cpu-clock");
  EXPECT_EQ(c->attr.call_graph, perf::CallGraph::kDwarf);
  EXPECT_EQ(c->attr.stack_bytes, perf::kDefaultStackBytes);
  EXPECT_FALSE(c->attr.exclude_kernel);
  EXPECT_EQ(c->mmap_pages, perf::kDefaultMmapPages);
  EXPECT_EQ(c->unwinder, unwind::UnwinderKind::kTable);
  EXPECT_TRUE(c->unnamed_by_address);
  EXPECT_TRUE(c->debuginfod);
  EXPECT_TRUE(c->warnings.empty());

  RecordRequest launch;
  launch.command = {"make", "-j2"};
  launch.event = "task-clock:u";
  launch.call_graph = "fp";
  launch.no_kernel = true;
  launch.per_thread = true;
  launch.unwinder = "verify";
  launch.duration_s = 2.5;
  c = RecordConfig::Create(launch, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->launches());
  EXPECT_TRUE(c->pids.empty());
  EXPECT_FALSE(c->per_pid);
  EXPECT_TRUE(c->per_thread);
  EXPECT_EQ(c->command, launch.command);
  EXPECT_EQ(c->event_name, "task-clock:u");
  EXPECT_TRUE(c->attr.event.exclude_kernel);
  EXPECT_TRUE(c->attr.exclude_kernel);
  EXPECT_EQ(c->attr.call_graph, perf::CallGraph::kFramePointer);
  EXPECT_EQ(c->unwinder, unwind::UnwinderKind::kVerify);
  EXPECT_EQ(c->duration_s, 2.5);
}

TEST(RecordConfigTest, TargetsAndTheirErrors) {
  EXPECT_TRUE(Has(Error(RecordRequest()).first, "give either -p"));
  EXPECT_TRUE(Has(Error(RecordRequest()).second, "stackfire record -p 1234"));
  RecordRequest both = Attach();
  both.command = {"true"};
  EXPECT_TRUE(Has(Error(both).first, "give either -p"));
  EXPECT_EQ(Error(Attach("12,abc")).first, "-p: 'abc' is not a process id");
  EXPECT_EQ(Error(Attach("0")).first, "-p: '0' is not a process id");
  EXPECT_EQ(Error(Attach(",")).first, "-p: no process id given");
}

TEST(RecordConfigTest, EventCallGraphRingUnwinderDuration) {
  RecordRequest r = Attach();
  r.event = "no-such-event";
  auto [message, hint] = Error(r);
  EXPECT_TRUE(Has(message, "unknown event 'no-such-event'"));
  EXPECT_EQ(hint, "try -e cpu-clock or -e task-clock");

  r = Attach();
  r.call_graph = "dwarf,16384";
  auto c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->attr.stack_bytes, 16384u);
  r.call_graph = "dwarf,100";
  EXPECT_TRUE(Has(Error(r).second, "multiple of 8"));
  r.call_graph = "lbr";
  EXPECT_EQ(Error(r).first, "--call-graph: 'lbr' is not dwarf[,BYTES] or fp");

  r = Attach();
  r.mmap_pages = 3;
  EXPECT_EQ(Error(r).first, "--mmap-pages 3 is not a power of two");
  EXPECT_TRUE(Has(Error(r).second, "-m 256"));
  r.mmap_pages = 0;
  EXPECT_TRUE(Has(Error(r).first, "not a power of two"));

  r = Attach();
  r.unwinder = "magic";
  EXPECT_EQ(Error(r).first, "--unwinder: 'magic' is not table, libunwind or verify");
  r = Attach();
  r.duration_s = -1;
  EXPECT_EQ(Error(r).first, "-d must not be negative");
}

TEST(RecordConfigTest, UnnamedAndDebuginfod) {
  RecordRequest r = Attach();
  r.unnamed = "module";
  r.no_debuginfod = true;
  auto c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->unnamed_by_address);
  EXPECT_FALSE(c->debuginfod);
  r.unnamed = "symbol";
  auto [message, hint] = Error(r);
  EXPECT_EQ(message, "--unnamed: 'symbol' is not address or module");
  EXPECT_TRUE(Has(hint, "lib.so+0xSTART"));
}

TEST(RecordConfigTest, FrequencyLimits) {
  RecordRequest r = Attach();
  r.frequency_hz = 0;
  auto [message, hint] = Error(r);
  EXPECT_EQ(message, "-F must be at least 1 Hz");
  // Not "lower -F": the rate is too low, not too high.
  EXPECT_FALSE(Has(hint, "lower")) << hint;
  EXPECT_TRUE(Has(hint, "-F 99")) << hint;

  r.frequency_hz = 2000;
  std::tie(message, hint) = Error(r, Limits(1000));
  EXPECT_EQ(message, "-F 2000 Hz is above the kernel's limit of 1000 Hz");
  EXPECT_TRUE(Has(hint, "lower -F")) << hint;
  EXPECT_TRUE(Has(hint, "kernel.perf_event_max_sample_rate (now 1000")) << hint;
  // An unreadable limit is no limit.
  EXPECT_TRUE(RecordConfig::Create(r, Limits(0)).ok());
}

TEST(RecordConfigTest, RatesThatCannotBeSustainedAreWarnedAbout) {
  // A DWARF sample takes up to 34,320 bytes (a 32 KiB stack copy): the
  // default 1 MiB ring holds 30, which one busy thread must not fill in less
  // than 25 ms: 1,200 Hz.
  RecordRequest r = Attach();
  r.frequency_hz = 1000;
  auto c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty());

  r.frequency_hz = 5000;
  c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "-F 5000: one busy thread would fill its CPU's 1024 KiB ring in 6.0 ms (about 34 "
            "KiB a sample); samples are lost whenever stackfire reads it later than that; use "
            "-F 1199 or lower, or -m 2048 to keep this rate");
  // A ring that holds 25 ms of it: no warning.
  r.mmap_pages = 2048;
  c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];

  // The case: the kernel allows 100,000 Hz, but at that rate it
  // throttles, and no ring keeps up.
  r = Attach();
  r.frequency_hz = 100000;
  c = RecordConfig::Create(r, Limits(100000));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "-F 100000 is more than half the kernel's limit (kernel.perf_event_max_sample_rate = "
            "100000): the kernel will throttle sampling and samples will be lost, and one busy "
            "thread would fill its CPU's 1024 KiB ring in 0.3 ms (about 34 KiB a sample); use "
            "-F 1199 or lower");
  // (no -m: a larger ring does not stop the throttling)

  // Frame pointers only: small samples, the kernel's limit is what binds.
  r.call_graph = "fp";
  r.frequency_hz = 20000;
  c = RecordConfig::Create(r, Limits(30000));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "-F 20000 is more than half the kernel's limit (kernel.perf_event_max_sample_rate = "
            "30000): the kernel will throttle sampling and samples will be lost; use -F 14999 or "
            "lower");
}

TEST(RecordConfigTest, RingThatCannotHoldOneSample) {
  RecordRequest r = Attach();
  r.mmap_pages = 1;
  auto c = RecordConfig::Create(r, Limits());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0],
            "--mmap-pages 1 (4 KiB per CPU) cannot hold one sample (up to 34 KiB): the kernel "
            "will drop every sample; use -m 64 or more");
}

TEST(RecordConfigTest, OneFileGivenTwiceToOutput) {
  const std::string dir = ::testing::TempDir() + "/record_config_test";
  std::filesystem::create_directories(dir);
  RecordRequest r = Attach();
  r.outputs = {dir + "/x.svg", dir + "/x.svg"};
  auto [message, hint] = Error(r);
  EXPECT_EQ(message, "-o " + dir + "/x.svg is given twice");
  EXPECT_TRUE(Has(hint, "give each output once")) << hint;

  r.outputs = {dir + "/x.svg", dir + "/./sub/../x.svg"};
  EXPECT_EQ(Error(r).first,
            "-o " + dir + "/x.svg and -o " + dir + "/./sub/../x.svg are the same file");

  // Two names of one existing file.
  const std::string file = dir + "/real.folded";
  const std::string link = dir + "/link.folded";
  std::ofstream(file) << "a 1\n";
  std::remove(link.c_str());
  ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
  r.outputs = {file, link};
  EXPECT_TRUE(Has(Error(r).first, "are the same file"));

  // Different files, and stdout (whose repetition the output resolution
  // reports), are fine.
  r.outputs = {dir + "/x.svg", dir + "/x.folded", "-", "-"};
  EXPECT_TRUE(RecordConfig::Create(r, Limits()).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace stackfire::record
