// stackfire record on real processes: the workloads in testdata/workloads,
// built at -O2 -g -fomit-frame-pointer (only DWARF unwinds them). Each test
// skips only when perf_event_open is refused on this machine.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"

namespace stackfire::record_test {
namespace {

double Pct(long part, long whole) { return whole == 0 ? 0 : 100.0 * part / whole; }

void ExpectMix(const Folded& folded, const std::string& what) {
  const long sixty = WithFrame(folded, "(anonymous namespace)::leaf_sixty");
  const long thirty = WithFrame(folded, "(anonymous namespace)::leaf_thirty");
  const long ten = WithFrame(folded, "(anonymous namespace)::leaf_ten");
  const long all = sixty + thirty + ten;
  ASSERT_GT(all, 200) << what;
  EXPECT_NEAR(Pct(sixty, all), 60, 5) << what;
  EXPECT_NEAR(Pct(thirty, all), 30, 5) << what;
  EXPECT_NEAR(Pct(ten, all), 10, 5) << what;
  // The leaves hang under run_mix, and the stacks reach the thread's first
  // frame: DWARF did that, the frame pointer cannot.
  long whole = 0;
  for (const auto& [stack, n] : folded) {
    const bool rooted = stack.rfind("_start;", 0) == 0 || stack.rfind("clone3;", 0) == 0;
    if (rooted && stack.find("(anonymous namespace)::run_mix;(anonymous namespace)::leaf_") !=
                      std::string::npos) {
      whole += n;
    }
  }
  EXPECT_GT(Pct(whole, all), 90) << what;
}

TEST(RecordTest, KnownProfileOneThread) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("one.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", out, "--",
                     Workload("record_profile"), "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectMix(ReadFolded(out), "one thread");
  EXPECT_NE(r.err.find("unwind failures"), std::string::npos) << r.err;
}

TEST(RecordTest, KnownProfileTwoThreadsPerThread) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("two.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "--per-thread",
                     "-o", out, "--", Workload("record_profile"), "2", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Split by the thread root frame and compare within each thread.
  std::map<std::string, Folded> by_thread;
  for (const auto& [stack, n] : ReadFolded(out)) {
    const size_t semi = stack.find(';');
    by_thread[stack.substr(0, semi)][stack.substr(semi + 1)] += n;
  }
  int busy = 0;
  for (const auto& [root, folded] : by_thread) {
    // "comm-pid/tid", as stackcollapse-perf.pl --tid names a thread.
    EXPECT_EQ(root.rfind("record_profile-", 0), 0u) << root;
    EXPECT_NE(root.find('/'), std::string::npos) << root;
    if (WithFrame(folded, "(anonymous namespace)::run_mix") < 100) continue;
    ++busy;
    ExpectMix(folded, root);
  }
  EXPECT_EQ(busy, 2);
}

TEST(RecordTest, ThreadStartedAfterAttachIsSampled) {
  SKIP_WITHOUT_PERF();
  Background target({Workload("record_late_thread"), "1.5", "1"});
  ASSERT_TRUE(target.WaitForLine("ready"));
  const std::string out = TempPath("late.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--per-thread", "-p",
                     std::to_string(target.pid()), "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(target.Wait(), 0);
  const Folded folded = ReadFolded(out);
  long late = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.find("late_thread_work") == std::string::npos) continue;
    // Rooted at the new thread, not at the main one.
    EXPECT_EQ(stack.find("-" + std::to_string(target.pid()) + "/" + std::to_string(target.pid())),
              std::string::npos)
        << stack;
    late += n;
  }
  EXPECT_GT(late, 100) << r.err;
}

TEST(RecordTest, LibraryLoadedAfterAttachIsSymbolized) {
  SKIP_WITHOUT_PERF();
  Background target(
      {Workload("record_dlopen"), Workload("librecord_dlopen_lib.so"), "1.5", "1"});
  ASSERT_TRUE(target.WaitForLine("ready"));
  const std::string out = TempPath("dlopen.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-p",
                     std::to_string(target.pid()), "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(target.Wait(), 0) << target.Stderr();
  const Folded folded = ReadFolded(out);
  long plugin = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.find("main;plugin_work") != std::string::npos) plugin += n;
  }
  EXPECT_GT(plugin, 100) << r.err;
}

TEST(RecordTest, InlinedFramesAndDemangledTemplates) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("cxx.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", out, "--",
                     Workload("record_cxx"), "1.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  long inlined = 0, templ = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.find("main;hot_loop;mix_step_[i]") != std::string::npos) inlined += n;
    if (stack.find("main;template_work;shapes::Accumulator<double>::add") != std::string::npos) {
      templ += n;
    }
  }
  const long total = Total(folded);
  EXPECT_GT(Pct(inlined, total), 20) << r.err;
  EXPECT_GT(Pct(templ, total), 20) << r.err;
}

TEST(RecordTest, StrippedBinaryFallsBackToDynsym) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("stripped.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", out, "--",
                     Workload("record_cxx_stripped"), "1.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  // -rdynamic exported them; strip removed .symtab and the debug info, but
  // .eh_frame stays, so the stacks are still whole.
  const long total = Total(folded);
  EXPECT_GT(Pct(WithFrame(folded, "hot_loop"), total), 20);
  EXPECT_GT(Pct(WithFrame(folded, "template_work"), total), 20);
  long rooted = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.find("main;hot_loop") != std::string::npos ||
        stack.find("main;template_work") != std::string::npos) {
      rooted += n;
    }
  }
  EXPECT_GT(Pct(rooted, total), 40);
}

TEST(RecordTest, TargetKilledMidRecordStillWritesTheGraph) {
  SKIP_WITHOUT_PERF();
  Background target({Workload("record_profile"), "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string out = TempPath("killed.svg");
  Background recorder({StackfireBin(), "record", "-q", "-F", "199", "-p",
                       std::to_string(target.pid()), "-o", out});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(target.pid(), SIGKILL);
  target.Wait();
  ASSERT_EQ(recorder.Wait(30), 0) << recorder.Stderr();
  EXPECT_TRUE(ValidSvg(out));
  EXPECT_NE(recorder.Stderr().find("target exited"), std::string::npos) << recorder.Stderr();
  EXPECT_NE(recorder.Stderr().find(out), std::string::npos);
}

// SIGINT (Ctrl-C), SIGTERM (kill, systemd) and SIGHUP (a closed terminal)
// each end the recording, not the process: the samples so far are written,
// and the summary says why it stopped.
TEST(RecordTest, StopSignalsToStackfireStillWriteTheGraph) {
  SKIP_WITHOUT_PERF();
  const struct {
    int signal;
    const char* why;
  } kCases[] = {{SIGINT, "(interrupted)"}, {SIGTERM, "(terminated)"}, {SIGHUP, "(hung up)"}};
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.why);
    const std::string out = TempPath("signal" + std::to_string(c.signal) + ".folded");
    Background recorder({StackfireBin(), "record", "-q", "-F", "199", "-o", out, "--",
                         Workload("record_profile"), "30"});
    // A second of recording once the command runs (on a loaded machine
    // stackfire's own start can take more than a second).
    const std::string children =
        "/proc/" + std::to_string(recorder.pid()) + "/task/" + std::to_string(recorder.pid()) +
        "/children";
    // The child is forked at once but execs the command only once the
    // events are on (a stop signal before that ends the recording with
    // nothing in it): wait for the exec.
    auto started = [&] {
      const std::string child = ReadFile(children);
      if (child.empty()) return false;
      char exe[4096];
      const ssize_t n = readlink(("/proc/" + child.substr(0, child.find(' ')) + "/exe").c_str(),
                                 exe, sizeof exe - 1);
      return n > 0 && std::string(exe, static_cast<size_t>(n)).find("record_profile") !=
                          std::string::npos;
    };
    for (int i = 0; i < 300 && !started(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(started()) << "the command did not start in 30 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    kill(recorder.pid(), c.signal);
    ASSERT_EQ(recorder.Wait(30), 0) << recorder.Stderr();
    const std::string err = recorder.Stderr();
    EXPECT_NE(err.find(c.why), std::string::npos) << err;
    const Folded folded = ReadFolded(out);
    EXPECT_GT(Total(folded), 50) << err;
    EXPECT_GT(WithFrame(folded, "main"), Total(folded) / 2) << err;
    // The summary counts exactly what was written.
    EXPECT_NE(err.find(std::to_string(Total(folded)) + " samples"), std::string::npos) << err;
  }
}

TEST(RecordTest, SigintToStackfireStillWritesAnSvg) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("sigint.svg");
  Background recorder({StackfireBin(), "record", "-q", "-F", "199", "-o", out, "--",
                       Workload("record_profile"), "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(recorder.pid(), SIGINT);
  ASSERT_EQ(recorder.Wait(30), 0) << recorder.Stderr();
  EXPECT_TRUE(ValidSvg(out));
  EXPECT_NE(recorder.Stderr().find("interrupted"), std::string::npos) << recorder.Stderr();
}

TEST(RecordTest, VanishedOutputFolderFallsBackToTmpdir) {
  SKIP_WITHOUT_PERF();
  const std::string dir = TempPath("outdir");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const std::string tmpdir = TempPath("fallback");
  ASSERT_EQ(mkdir(tmpdir.c_str(), 0755), 0);
  const std::string out = dir + "/flame.folded";
  Background recorder({"env", "TMPDIR=" + tmpdir, StackfireBin(), "record", "-q", "-F", "199",
                       "-d", "2", "-o", out, "--", Workload("record_profile"), "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  ASSERT_EQ(rmdir(dir.c_str()), 0);  // the output folder disappears mid-record
  EXPECT_EQ(recorder.Wait(30), 3) << recorder.Stderr();
  const std::string err = recorder.Stderr();
  const size_t at = err.find(tmpdir + "/stackfire-");
  ASSERT_NE(at, std::string::npos) << err;
  const std::string saved = err.substr(at, err.find(".folded", at) + 7 - at);
  const Folded folded = ReadFolded(saved);
  EXPECT_GT(Total(folded), 0) << saved;  // the samples taken before and after the loss
  EXPECT_GT(WithFrame(folded, "main"), 0);
}

TEST(RecordTest, DurationStopsSampling) {
  SKIP_WITHOUT_PERF();
  Background target({Workload("record_profile"), "30"});
  const std::string out = TempPath("duration.folded");
  const auto start = std::chrono::steady_clock::now();
  RunResult r = RunCommand({StackfireBin(), "record", "-d", "1", "-p", std::to_string(target.pid()),
                     "-o", out});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(took, 10);
  EXPECT_GT(Total(ReadFolded(out)), 0);
  EXPECT_EQ(kill(target.pid(), 0), 0);  // -p targets are left running
}

TEST(RecordTest, FramePointerModeUsesTheKernelChain) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("fp.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "--call-graph",
                     "fp", "-o", out, "--", Workload("record_cxx"), "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  ASSERT_GT(Total(folded), 50);
  // The leaf is right; without frame pointers its callers are not.
  EXPECT_GT(WithFrame(folded, "shapes::Accumulator<double>::add"), 0);
}

}  // namespace
}  // namespace stackfire::record_test

namespace stackfire::record_test {
namespace {

TEST(RecordTest, HardwareEventFallsBackWhenMissing) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("cycles.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-e", "cycles", "-F", "499", "-o", out,
                            "--", Workload("record_cxx"), "0.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(Total(ReadFolded(out)), 50) << r.err;
  // Where there is no PMU (VMs), the switch is announced, as perf does.
  if (r.err.find("not supported") != std::string::npos) {
    EXPECT_NE(r.err.find("falling back to cpu-clock"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace stackfire::record_test
