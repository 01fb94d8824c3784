// Faults during `stackfire record` (issue 5), each on real processes: the
// target execs another program, 200 threads churn, libraries are loaded and
// unloaded in a loop, stackfire itself is stopped and continued, the ring
// buffer is far too small, the output disk is full. In every case the
// samples collected so far must reach a valid output and the summary must say
// what happened. Each test skips only when perf_event_open is refused.
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits.h>
#include <stdlib.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"

namespace stackfire::record_test {
namespace {

// The number printed just before `what` in the summary line, e.g.
// SummaryCount(err, " lost") on "... 12 samples, 3 lost, ..." is 3; -1 if
// absent.
long SummaryCount(const std::string& err, const std::string& what) {
  const size_t line = err.find("stackfire: stopped after");
  if (line == std::string::npos) return -1;
  const size_t at = err.find(what, line);
  if (at == std::string::npos || at == 0) return -1;
  size_t begin = at;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(err[begin - 1]))) --begin;
  if (begin == at) return -1;
  return std::atol(err.c_str() + begin);
}

// Running (not exited, not a zombie waiting to be reaped).
bool Running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z' &&
         text[paren + 2] != 'X';
}

// The pid of a child of `parent` running `exe`, or -1.
pid_t ChildRunning(pid_t parent, const std::string& exe) {
  char want[PATH_MAX];
  if (realpath(exe.c_str(), want) == nullptr) return -1;
  std::ifstream in("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                   "/children");
  pid_t child;
  while (in >> child) {
    char buf[PATH_MAX];
    const ssize_t n = readlink(("/proc/" + std::to_string(child) + "/exe").c_str(), buf,
                               sizeof buf - 1);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)) == want) return child;
  }
  return -1;
}

// Waits until stackfire has launched `exe`: sampling is on from its exec.
bool WaitForLaunch(pid_t recorder, const std::string& exe, int timeout_s = 60) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < end && Running(recorder)) {
    if (ChildRunning(recorder, exe) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int CountFds(pid_t pid) {
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

bool StackHas(const std::string& stack, const std::string& frame) {
  for (const std::string& f : SplitFrames(stack)) {
    if (f == frame) return true;
  }
  return false;
}

// --- exec ----------------------------------------------------------------

// Both images of one process are symbolized: before the exec with the first
// program's functions, after it with the new program's, never a mix.
void ExpectBothImages(const Folded& folded, const std::string& err) {
  long before = 0, after = 0, mixed = 0, after_rooted = 0;
  for (const auto& [stack, n] : folded) {
    const bool old_image = StackHas(stack, "before_exec_spin");
    const bool new_image = StackHas(stack, "(anonymous namespace)::run_mix");
    if (old_image && new_image) mixed += n;
    if (old_image) before += n;
    if (new_image) {
      after += n;
      if (stack.rfind("_start;", 0) == 0 && stack.find(";main;") != std::string::npos) {
        after_rooted += n;
      }
    }
  }
  EXPECT_GT(before, 40) << err;
  EXPECT_GT(after, 40) << err;
  EXPECT_EQ(mixed, 0);
  // The new image unwinds through its own CFI up to its own _start.
  EXPECT_GT(after_rooted * 10, after * 8) << after_rooted << " of " << after;
  // Its leaves have names, not "[record_profile]".
  EXPECT_GT(WithFrame(folded, "(anonymous namespace)::leaf_sixty"), 0);
}

TEST(RecordFaults, ExecOfAnotherProgramInLaunchedCommand) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("exec.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", out,
                            "--", Workload("record_exec"), "0.7", Workload("record_profile"),
                            "0.7"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectBothImages(ReadFolded(out), r.err);
}

TEST(RecordFaults, ExecOfAnotherProgramInAttachedProcess) {
  SKIP_WITHOUT_PERF();
  Background target({Workload("record_exec"), "1", Workload("record_profile"), "0.7"});
  ASSERT_TRUE(target.WaitForLine("ready"));
  const std::string out = TempPath("exec_p.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-p",
                            std::to_string(target.pid()), "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(target.Wait(), 0);
  ExpectBothImages(ReadFolded(out), r.err);
  EXPECT_NE(r.err.find("target exited"), std::string::npos) << r.err;
}

// --- thread churn ----------------------------------------------------------

// Polls stackfire's open file descriptors while it records: threads the
// kernel follows by inheritance must not cost stackfire an fd each.
struct FdWatch {
  std::vector<int> counts;  // every 50 ms
  int max = 0;
  void Poll(pid_t pid, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end && Running(pid)) {
      const int n = CountFds(pid);
      if (n <= 0) break;
      counts.push_back(n);
      max = std::max(max, n);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
};

TEST(RecordFaults, TwoHundredThreadsChurningInALaunchedCommand) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("churn.folded");
  const std::string target_out = TempPath("churn.target");
  Background recorder({"sh", "-c",
                       "exec \"$0\" record -q -F 999 --no-kernel -o \"$1\" -- \"$2\" 3 200 > \"$3\"",
                       StackfireBin(), out, Workload("record_thread_churn"), target_out});
  FdWatch fds;
  fds.Poll(recorder.pid(), std::chrono::seconds(60));
  ASSERT_EQ(recorder.Wait(30), 0) << recorder.Stderr();
  const std::string err = recorder.Stderr();
  std::ifstream in(target_out);
  std::string word;
  long started = 0;
  in >> word >> word >> started;  // "ready", "threads N"
  ASSERT_GT(started, 200) << "the workload did not churn";
  // One event fd per CPU for the launched thread, rings, libraries: a few
  // dozen. An fd per thread would be thousands.
  EXPECT_GT(fds.counts.size(), 5u);
  EXPECT_LT(fds.max, 64) << "stackfire held " << fds.max << " fds";
  const long threads = SummaryCount(err, " thread");
  EXPECT_GT(threads, 50) << err;
  EXPECT_LE(threads, started + 1) << err;
  const Folded folded = ReadFolded(out);
  const long worker = WithFrame(folded, "churn_worker");
  EXPECT_GT(worker * 2, Total(folded)) << err;  // most of the CPU went to the workers
  long rooted = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.find("start_thread;churn_worker") != std::string::npos) rooted += n;
  }
  EXPECT_GT(rooted * 10, worker * 8) << rooted << " of " << worker;
}

TEST(RecordFaults, TwoHundredThreadsChurningInAnAttachedProcess) {
  SKIP_WITHOUT_PERF();
  // Attaching races with threads that exit while their events are opened.
  Background target({Workload("record_thread_churn"), "600", "200"});  // killed at the end
  ASSERT_TRUE(target.WaitForLine("ready"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string out = TempPath("churn_p.folded");
  Background recorder({StackfireBin(), "record", "-q", "-F", "999", "--no-kernel", "-d", "4",
                       "-p", std::to_string(target.pid()), "-o", out});
  // Every thread alive during the attach holds an event per CPU; once the
  // attach is over (the count stops moving for a second) the count must stay
  // there while thousands more threads come and go.
  int settled = -1;
  std::vector<int> window;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (settled < 0 && std::chrono::steady_clock::now() < deadline && Running(recorder.pid())) {
    window.push_back(CountFds(recorder.pid()));
    if (window.size() > 20) window.erase(window.begin());
    if (window.size() == 20 && window.front() == window.back() && window.back() > 0) {
      settled = window.back();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(settled, 0) << "the attach did not finish";
  FdWatch fds;
  fds.Poll(recorder.pid(), std::chrono::seconds(60));
  ASSERT_EQ(recorder.Wait(30), 0) << recorder.Stderr();
  const std::string err = recorder.Stderr();
  EXPECT_EQ(kill(target.pid(), 0), 0);  // -p targets are left running
  EXPECT_GT(fds.counts.size(), 10u);
  EXPECT_LE(fds.max, settled + 8) << "fds grew from " << settled << " to " << fds.max;
  EXPECT_GT(SummaryCount(err, " thread"), 50) << err;
  EXPECT_GT(WithFrame(ReadFolded(out), "churn_worker"), 100) << err;
  EXPECT_NE(err.find("duration reached"), std::string::npos) << err;
}

// --- dlopen churn ----------------------------------------------------------

TEST(RecordFaults, DlopenDlcloseChurnKeepsLibrarySymbols) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("dlchurn.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "999", "--no-kernel", "-o", out,
                            "--", Workload("record_dlopen_churn"),
                            Workload("librecord_churn_a.so"), Workload("librecord_churn_b.so"),
                            "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  // Library A and B alternate at the same addresses: a sample must be named
  // after the library mapped when it was taken.
  long a_ok = 0, b_ok = 0, crossed = 0, unresolved = 0, in_libs = 0;
  for (const auto& [stack, n] : folded) {
    const bool via_a = StackHas(stack, "run_lib_a");
    const bool via_b = StackHas(stack, "run_lib_b");
    const bool a = stack.find("churn_a_work") != std::string::npos;
    const bool b = stack.find("churn_b_work") != std::string::npos;
    const bool unnamed = stack.find("[librecord_churn_") != std::string::npos ||
                         stack.find("librecord_churn_a.so+0x") != std::string::npos ||
                         stack.find("librecord_churn_b.so+0x") != std::string::npos;
    if (a || b || unnamed) in_libs += n;
    if (via_a && a && !b) a_ok += n;
    if (via_b && b && !a) b_ok += n;
    if ((via_a && b) || (via_b && a)) crossed += n;
    if (unnamed) unresolved += n;
  }
  EXPECT_GT(a_ok, 200) << r.err;
  EXPECT_GT(b_ok, 200) << r.err;
  EXPECT_EQ(crossed, 0) << "samples named after the other library";
  EXPECT_LE(unresolved * 100, in_libs) << unresolved << " of " << in_libs << " unresolved";
}

// --- SIGSTOP / SIGCONT -----------------------------------------------------

TEST(RecordFaults, StoppedAndContinuedStillFinishes) {
  SKIP_WITHOUT_PERF();
  const std::string out = TempPath("stopped.svg");
  // A 64 KiB ring holds about seven samples: it overflows soon after
  // stackfire stops reading it, however slow the machine.
  Background recorder({StackfireBin(), "record", "-q", "-F", "999", "--no-kernel", "-m", "16",
                       "-d", "5", "-o", out, "--", Workload("record_profile"), "30"});
  ASSERT_TRUE(WaitForLaunch(recorder.pid(), Workload("record_profile"))) << recorder.Stderr();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(recorder.pid(), SIGSTOP), 0);
  // The target keeps running while its samples are not read.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  ASSERT_EQ(kill(recorder.pid(), SIGCONT), 0);
  ASSERT_EQ(recorder.Wait(30), 0) << recorder.Stderr();
  const std::string err = recorder.Stderr();
  EXPECT_TRUE(ValidSvg(out));
  EXPECT_GT(SummaryCount(err, " samples"), 100) << err;
  const long lost = SummaryCount(err, " lost");
  EXPECT_GT(lost, 0) << err;
  EXPECT_NE(err.find("stackfire was suspended for"), std::string::npos) << err;
  const std::string svg = ReadFile(out);
  EXPECT_NE(svg.find(std::to_string(lost) + " lost"), std::string::npos);
}

// --- tiny ring buffer ------------------------------------------------------

TEST(RecordFaults, OnePageRingLosesSamplesCountsAndReportsThem) {
  SKIP_WITHOUT_PERF();
  // One 4 KiB page cannot even hold one sample with its 32 KiB stack copy.
  const std::string out = TempPath("tiny.svg");
  RunResult r = RunCommand({StackfireBin(), "record", "-F", "999", "--no-kernel", "-m", "1",
                            "-o", out, "--", Workload("record_profile"), "1.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("--mmap-pages 1"), std::string::npos) << r.err;  // warned up front
  // The kernel reports losses in LOST records, and writes one only together
  // with a record that fits (here the target's MMAP, COMM and EXIT records),
  // so the count is what those carried: ~1,500 on a quiet machine, 23 once
  // under CI load. Every sample is lost either way, and the summary says so.
  const long lost = SummaryCount(r.err, " lost");
  EXPECT_GT(lost, 0) << r.err;
  EXPECT_EQ(SummaryCount(r.err, " samples"), 0) << r.err;
  EXPECT_NE(r.err.find("every sample was lost"), std::string::npos) << r.err;
  EXPECT_TRUE(ValidSvg(out));
  const std::string svg = ReadFile(out);
  EXPECT_NE(svg.find(std::to_string(lost) + " lost"), std::string::npos) << "subtitle";
}

// Stacks deeper than the stack copy (here a 64-byte copy; a browser's or a
// JIT's with perf's 8 KiB) end in [truncated], and the summary says how
// to record them whole. The same workload with the default copy gets no
// such advice.
TEST(RecordFaults, StacksPastTheCopySayHowToRecordThemWhole) {
  SKIP_WITHOUT_PERF();
  const std::string tiny = TempPath("tiny_copy.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-F", "499", "--no-kernel",
                            "--call-graph", "dwarf,64", "-o", tiny, "--",
                            Workload("record_profile"), "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const long samples = SummaryCount(r.err, " samples");
  ASSERT_GT(samples, 50) << r.err;
  const Folded folded = ReadFolded(tiny);
  EXPECT_GT(WithFrame(folded, "[truncated]"), Total(folded) / 2) << r.err;
  EXPECT_NE(r.err.find("of the stacks were deeper than the 64 bytes copied with each sample and "
                       "end in [truncated]: record with --call-graph dwarf,65528 to copy more"),
            std::string::npos)
      << r.err;

  RunResult whole = RunCommand({StackfireBin(), "record", "-F", "499", "--no-kernel", "-o",
                                TempPath("default_copy.folded"), "--", Workload("record_profile"),
                                "1"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ(whole.err.find("deeper than the"), std::string::npos) << whole.err;
}

TEST(RecordFaults, SmallRingAtHighRateCountsEverySample) {
  SKIP_WITHOUT_PERF();
  // Two pages with a 1 KiB stack copy: a few samples fit, and at 999 Hz on
  // two busy threads the ring overflows whenever the drain thread is late.
  // Whatever is lost is counted: samples + lost stays close to what the
  // target's CPU time makes at 999 Hz.
  const std::string out = TempPath("small.svg");
  RunResult r = RunCommand({StackfireBin(), "record", "-F", "999", "--no-kernel", "-m", "2",
                            "--call-graph", "dwarf,1024", "-o", out, "--",
                            Workload("record_profile"), "1", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ValidSvg(out));
  const long samples = SummaryCount(r.err, " samples");
  const long lost = SummaryCount(r.err, " lost");
  ASSERT_GE(samples, 0) << r.err;
  ASSERT_GE(lost, 0) << r.err;
  // 2 threads x 1 s of CPU at 999 Hz: ~2,000 (the kernel's frequency mode
  // takes a few samples to settle).
  EXPECT_GT(samples + lost, 1400) << r.err;
  EXPECT_LT(samples + lost, 2600) << r.err;
  EXPECT_NE(ReadFile(out).find(std::to_string(lost) + " lost"), std::string::npos);
}

// --- disk full ---------------------------------------------------------------

TEST(RecordFaults, FullDiskFallsBackToTmpdir) {
  SKIP_WITHOUT_PERF();
  const std::string dir = TempPath("full");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(errno)
                 << "); the full-disk case needs root";
  }
  struct Unmount {
    std::string d;
    ~Unmount() { umount2(d.c_str(), MNT_DETACH); }
  } unmount{dir};
  // Fill it but for a few KiB: the empty output file can still be created at
  // the start, the flame graph will not fit at the end.
  {
    std::ofstream filler(dir + "/filler", std::ios::binary);
    filler << std::string(60 * 1024, 'x');
  }
  const std::string tmpdir = TempPath("fallback");
  ASSERT_EQ(mkdir(tmpdir.c_str(), 0755), 0);
  const std::string out = dir + "/flame.svg";
  RunResult r = RunCommand({"env", "TMPDIR=" + tmpdir, StackfireBin(), "record", "-q", "-F",
                            "499", "-o", out, "--", Workload("record_cxx"), "1"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  const size_t at = r.err.find(tmpdir + "/stackfire-");
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string saved = r.err.substr(at, r.err.find(".svg", at) + 4 - at);
  EXPECT_TRUE(ValidSvg(saved)) << saved;
  EXPECT_NE(ReadFile(saved).find("hot_loop"), std::string::npos);
  // Nothing half-written is left behind on the full disk.
  struct stat st;
  EXPECT_NE(stat(out.c_str(), &st), 0);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".stackfire-tmp"), std::string::npos)
        << entry.path();
  }
}

}  // namespace
}  // namespace stackfire::record_test
