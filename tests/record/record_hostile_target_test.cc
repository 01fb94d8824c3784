// A root profiler that targets cannot fool or stall (issue 15), on real
// processes whose files are changed under them while they run:
//   - a dlopen'ed library replaced on disk (`mv new old`, as apt does), and
//     the main binary deleted or replaced after it started: the names are
//     the mapped file's (read through /proc/PID/map_files), never the new
//     file's; without map_files the frames are named by module, with one
//     warning, never with the wrong file's names;
//   - a FIFO at a mapped library's path, and at its .gnu_debuglink debug
//     file's path: the recording starts and ends on time.
// Each recording lasts 2 s; each test skips only when perf_event_open is
// refused.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"
#include "tests/symbolize/debuginfod_server.h"

namespace stackfire::record_test {
namespace {

using Clock = std::chrono::steady_clock;

bool CopyFile(const std::string& from, const std::string& to) {
  const std::string data = ReadFile(from);
  if (data.empty()) return false;
  FILE* f = std::fopen(to.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

// As a package manager does: the new file is written beside the old one,
// then renamed over it (the old inode stays mapped).
bool ReplaceByRename(const std::string& with, const std::string& path) {
  return CopyFile(with, path + ".new") && std::rename((path + ".new").c_str(), path.c_str()) == 0;
}

long WithPrefix(const Folded& folded, const std::string& prefix) {
  long n = 0;
  for (const auto& [stack, count] : folded) {
    for (const std::string& frame : SplitFrames(stack)) {
      if (frame.rfind(prefix, 0) == 0) {
        n += count;
        break;
      }
    }
  }
  return n;
}

struct Recorded {
  RunResult run;
  Folded folded;
  double seconds = 0;
};

Recorded RecordPid(pid_t pid, const std::vector<std::string>& prefix = {}) {
  Recorded r;
  const std::string out = TempPath("out.folded");
  std::vector<std::string> argv = prefix;
  for (const std::string& a : {StackfireBin(), std::string("record"), std::string("-p"),
                               std::to_string(pid), std::string("-d"), std::string("2"),
                               std::string("--no-kernel"), std::string("-o"), out}) {
    argv.push_back(a);
  }
  const auto start = Clock::now();
  r.run = RunCommand(argv, 60);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.folded = ReadFolded(out);
  return r;
}

std::string Describe(const Recorded& r) {
  std::string s = "exit " + std::to_string(r.run.exit_code) + " after " +
                  std::to_string(r.seconds) + " s\nstderr:\n" + r.run.err + "\nfolded:\n";
  int lines = 0;
  for (const auto& [stack, count] : r.folded) {
    if (++lines > 15) break;
    s += stack + " " + std::to_string(count) + "\n";
  }
  return s;
}

// The target spins in hot_spin -> hot_spin_inner of `lib` (a copy in a
// temp dir, so that the test may replace it).
class HostileTarget : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_PERF(); }

  std::unique_ptr<Background> StartWithLibrary(const std::string& lib) {
    auto target = std::make_unique<Background>(
        std::vector<std::string>{Workload("hostile_target"), lib, "20"});
    if (!target->WaitForLine("ready")) return nullptr;
    return target;
  }
};

TEST_F(HostileTarget, LibraryReplacedOnDiskKeepsTheMappedFilesNames) {
  const std::string lib = TempPath("libhot.so");
  ASSERT_TRUE(CopyFile(Workload("libhostile_hot.so"), lib));
  auto target = StartWithLibrary(lib);
  ASSERT_NE(target, nullptr);
  ASSERT_TRUE(ReplaceByRename(Workload("libhostile_other.so"), lib));

  const Recorded r = RecordPid(target->pid());
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_EQ(WithPrefix(r.folded, "padding_"), 0) << "names of the new file:\n" << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "hot_spin_inner"), total * 8 / 10) << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "hot_spin"), total * 8 / 10) << Describe(r);
}

// Without map_files (no CAP_SYS_ADMIN nor CAP_CHECKPOINT_RESTORE), nothing
// trustworthy can be read: the frames are named by module, with a warning.
TEST_F(HostileTarget, LibraryReplacedWithoutMapFilesIsNamedByModule) {
  if (RunCommand({"setpriv", "--bounding-set=-sys_admin,-checkpoint_restore",
                  "--inh-caps=-sys_admin,-checkpoint_restore", "true"})
          .exit_code != 0) {
    GTEST_SKIP() << "setpriv cannot drop CAP_SYS_ADMIN here";
  }
  const std::string lib = TempPath("libhot.so");
  ASSERT_TRUE(CopyFile(Workload("libhostile_hot.so"), lib));
  auto target = StartWithLibrary(lib);
  ASSERT_NE(target, nullptr);
  ASSERT_TRUE(ReplaceByRename(Workload("libhostile_other.so"), lib));

  const Recorded r = RecordPid(target->pid(), {"setpriv", "--bounding-set=-sys_admin,-checkpoint_restore",
                                             "--inh-caps=-sys_admin,-checkpoint_restore"});
  if (r.run.exit_code != 0 && r.run.err.find("perf_event") != std::string::npos) {
    GTEST_SKIP() << "perf_event_open needs CAP_SYS_ADMIN here: " << r.run.err;
  }
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_EQ(WithPrefix(r.folded, "padding_"), 0) << "names of the new file:\n" << Describe(r);
  EXPECT_EQ(WithFrame(r.folded, "hot_spin_inner"), 0) << Describe(r);
  // The old inode has no name left: "(deleted)" in /proc/PID/maps.
  const std::string module = "[" + lib.substr(lib.rfind('/') + 1) + " (deleted)]";
  EXPECT_GT(WithFrame(r.folded, module), total / 2) << Describe(r);
  const std::string warning = "warning: " + lib + " (deleted): deleted since it was mapped; the "
                              "mapped file cannot be read either: /proc/";
  EXPECT_NE(r.run.err.find(warning), std::string::npos) << r.run.err;
  EXPECT_NE(r.run.err.find("its frames show as " + module), std::string::npos) << r.run.err;
}

TEST_F(HostileTarget, BinaryDeletedAfterStartKeepsItsNames) {
  const std::string exe = TempPath("hostile_target");
  ASSERT_TRUE(CopyFile(Workload("hostile_target"), exe));
  ASSERT_EQ(chmod(exe.c_str(), 0755), 0);
  Background target({exe, "-", "20"});
  ASSERT_TRUE(target.WaitForLine("ready"));
  ASSERT_EQ(unlink(exe.c_str()), 0);

  const Recorded r = RecordPid(target.pid());
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "main_spin_inner"), total * 8 / 10) << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "main"), total * 8 / 10) << Describe(r);
}

TEST_F(HostileTarget, BinaryReplacedAfterStartKeepsItsNames) {
  const std::string exe = TempPath("hostile_target");
  ASSERT_TRUE(CopyFile(Workload("hostile_target"), exe));
  ASSERT_EQ(chmod(exe.c_str(), 0755), 0);
  Background target({exe, "-", "20"});
  ASSERT_TRUE(target.WaitForLine("ready"));
  ASSERT_TRUE(ReplaceByRename(Workload("libhostile_other.so"), exe));

  const Recorded r = RecordPid(target.pid());
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_EQ(WithPrefix(r.folded, "padding_"), 0) << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "main_spin_inner"), total * 8 / 10) << Describe(r);
}

// A FIFO at the path of a mapped library: a blocking open() would wait for
// a writer forever. The mapped file is still read through map_files.
TEST_F(HostileTarget, FifoAtMappedPathDoesNotBlock) {
  const std::string lib = TempPath("libhot.so");
  ASSERT_TRUE(CopyFile(Workload("libhostile_hot.so"), lib));
  auto target = StartWithLibrary(lib);
  ASSERT_NE(target, nullptr);
  ASSERT_EQ(unlink(lib.c_str()), 0);
  ASSERT_EQ(mkfifo(lib.c_str(), 0600), 0);

  const Recorded r = RecordPid(target->pid());
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  EXPECT_LT(r.seconds, 15) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "hot_spin_inner"), total * 8 / 10) << Describe(r);
}

// A FIFO where the library's .gnu_debuglink points (next to it): skipped
// with a warning that names it; the names come from .symtab.
TEST_F(HostileTarget, FifoAtDebugLinkPathDoesNotBlock) {
  const std::string lib = TempPath("libhot.so");
  ASSERT_TRUE(CopyFile(Workload("libhostile_hot_linked.so"), lib));
  // .gnu_debuglink names "libhot.debug", looked for next to the library.
  const std::string debug = lib.substr(0, lib.rfind('/')) + "/libhot.debug";
  ASSERT_EQ(mkfifo(debug.c_str(), 0600), 0);
  auto target = StartWithLibrary(lib);
  ASSERT_NE(target, nullptr);

  const Recorded r = RecordPid(target->pid());
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  EXPECT_LT(r.seconds, 15) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "hot_spin_inner"), total * 8 / 10) << Describe(r);
  EXPECT_NE(r.run.err.find(debug + " is not a regular file"), std::string::npos) << r.run.err;
}

// A stop signal while stackfire is blocked: here on a debuginfod server
// that accepts and never answers (the target is stripped, so its symbols
// are asked for; DEBUGINFOD_TIMEOUT is a minute). The first SIGTERM stops
// the recording at once and writes what it has, with the reason.
class BlockedDownload : public HostileTarget {
 protected:
  void SetUp() override {
    HostileTarget::SetUp();
    if (IsSkipped()) return;
    exe_ = TempPath("stripped_target");
    ASSERT_EQ(RunCommand({"strip", "-o", exe_, Workload("hostile_target")}).exit_code, 0);
    target_ = std::make_unique<Background>(std::vector<std::string>{exe_, "-", "30"});
    ASSERT_TRUE(target_->WaitForLine("ready"));
    setenv("DEBUGINFOD_URLS", silent_.url().c_str(), 1);
    setenv("DEBUGINFOD_TIMEOUT", "60", 1);
    // A fresh cache: libdebuginfod remembers failed queries there.
    setenv("DEBUGINFOD_CACHE_PATH", TempPath("debuginfod_cache").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("DEBUGINFOD_URLS");
    unsetenv("DEBUGINFOD_TIMEOUT");
    unsetenv("DEBUGINFOD_CACHE_PATH");
  }

  // Starts `stackfire record -p` and sends `signals` 1.5 s later (it is
  // waiting for the server by then); the seconds from the first signal to
  // its exit.
  double StopAfterSignals(const std::vector<int>& signals, Background** recorder_out) {
    out_ = TempPath("blocked.folded");
    recorder_ = std::make_unique<Background>(std::vector<std::string>{
        StackfireBin(), "record", "-p", std::to_string(target_->pid()), "--no-kernel", "-o",
        out_});
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto sent = Clock::now();
    for (int sig : signals) kill(recorder_->pid(), sig);
    exit_code_ = recorder_->Wait(30);
    *recorder_out = recorder_.get();
    return std::chrono::duration<double>(Clock::now() - sent).count();
  }

  testing::Port silent_{true};
  std::string exe_, out_;
  std::unique_ptr<Background> target_, recorder_;
  int exit_code_ = -1;
};

TEST_F(BlockedDownload, FirstSigtermStopsAndWrites) {
  Background* recorder = nullptr;
  const double took = StopAfterSignals({SIGTERM}, &recorder);
  const std::string err = recorder->Stderr();
  EXPECT_EQ(exit_code_, 0) << err;
  // < 1 s on an idle machine; this one is shared.
  EXPECT_LT(took, 3.0) << err;
  EXPECT_NE(err.find("(terminated)"), std::string::npos) << err;
  EXPECT_NE(ReadFile(out_).size(), 0u) << err;
}

// Two stop signals: the second exits at once, with 128 plus its number and
// no output. Two different signals, as two SIGTERMs sent back to back would
// merge into one pending signal; which of the two the kernel delivers first
// is its choice.
TEST_F(BlockedDownload, SecondSignalExitsAtOnce) {
  Background* recorder = nullptr;
  const double took = StopAfterSignals({SIGTERM, SIGINT}, &recorder);
  const std::string err = recorder->Stderr();
  EXPECT_TRUE(exit_code_ == 128 + SIGTERM || exit_code_ == 128 + SIGINT)
      << "exit " << exit_code_ << "\n" << err;
  EXPECT_LT(took, 3.0) << err;
  EXPECT_NE(err.find("second stop signal: exiting without writing"), std::string::npos) << err;
  EXPECT_EQ(access(out_.c_str(), F_OK), -1) << "the output was written:\n" << err;
}

// A target in its own mount namespace and root (a container) whose
// .gnu_debuglink file is an absolute symlink to a FIFO that exists only on
// the host. Followed through /proc/PID/root it would resolve against the
// host's root (and block); resolved inside the target's root, it names
// nothing.
TEST_F(HostileTarget, SymlinkOutOfContainerRootIsNotFollowed) {
  if (geteuid() != 0 || RunCommand({"unshare", "-m", "true"}).exit_code != 0) {
    GTEST_SKIP() << "unshare -m is not allowed here (needs root)";
  }
  const std::string root = TempPath("container");
  const std::string host_fifo = TempPath("host_only.fifo");
  ASSERT_EQ(mkfifo(host_fifo.c_str(), 0600), 0);
  ASSERT_EQ(RunCommand({"mkdir", "-p", root + "/usr", root + "/work", root + "/oldroot"}).exit_code,
            0);
  ASSERT_EQ(symlink("usr/lib", (root + "/lib").c_str()), 0);
  ASSERT_EQ(symlink("usr/lib64", (root + "/lib64").c_str()), 0);
  ASSERT_TRUE(CopyFile(Workload("hostile_target"), root + "/work/target"));
  ASSERT_EQ(chmod((root + "/work/target").c_str(), 0755), 0);
  ASSERT_TRUE(CopyFile(Workload("libhostile_hot_linked.so"), root + "/work/libhot.so"));
  ASSERT_EQ(symlink(host_fifo.c_str(), (root + "/work/libhot.debug").c_str()), 0);
  // pivot_root, as container runtimes do (a chroot would leave the host's
  // paths in /proc/PID/maps); the host's root stays at /oldroot, which
  // does not matter here.
  Background target({"unshare", "-m", "sh", "-c",
                     "mount --bind \"$0\" \"$0\" && mount --bind /usr \"$0\"/usr && cd \"$0\" && "
                     "pivot_root . oldroot && exec /work/target /work/libhot.so 20",
                     root});
  ASSERT_TRUE(target.WaitForLine("ready")) << target.Stderr();
  // unshare (without --fork) exec'd sh, which exec'd the target: one pid.
  const std::string pid = std::to_string(target.pid());

  const std::string out = TempPath("container.folded");
  const auto start = Clock::now();
  const RunResult r = RunCommand(
      {StackfireBin(), "record", "-p", pid, "-d", "2", "--no-kernel", "-o", out}, 60);
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(took, 15) << r.err;
  const Folded folded = ReadFolded(out);
  EXPECT_GT(WithFrame(folded, "hot_spin_inner"), Total(folded) * 8 / 10) << r.err;
  EXPECT_EQ(r.err.find("host_only.fifo"), std::string::npos) << r.err;
}

// A container whose root is an overlayfs (as Docker's and Podman's are):
// /proc/PID/maps gives the overlay's device and inode, and the library is
// replaced inside the container after it was mapped (apt upgrade in the
// container: the new file lands in the upper layer). The frames keep the
// names of the file that is mapped, never the new file's.
TEST_F(HostileTarget, LibraryReplacedInAnOverlayfsContainer) {
  if (geteuid() != 0 || RunCommand({"unshare", "-m", "true"}).exit_code != 0) {
    GTEST_SKIP() << "unshare -m is not allowed here (needs root)";
  }
  const std::string lower = TempPath("lower"), upper = TempPath("upper"),
                    work = TempPath("ovl_work"), merged = TempPath("merged");
  ASSERT_EQ(RunCommand({"mkdir", "-p", lower + "/usr", lower + "/work", lower + "/oldroot", upper,
                        work, merged})
                .exit_code,
            0);
  ASSERT_EQ(symlink("usr/lib", (lower + "/lib").c_str()), 0);
  ASSERT_EQ(symlink("usr/lib64", (lower + "/lib64").c_str()), 0);
  ASSERT_TRUE(CopyFile(Workload("hostile_target"), lower + "/work/target"));
  ASSERT_EQ(chmod((lower + "/work/target").c_str(), 0755), 0);
  ASSERT_TRUE(CopyFile(Workload("libhostile_hot.so"), lower + "/work/libhot.so"));
  const std::string options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  if (RunCommand({"unshare", "-m", "mount", "-t", "overlay", "overlay", "-o", options, merged})
          .exit_code != 0) {
    GTEST_SKIP() << "no overlayfs here";
  }
  Background target({"unshare", "-m", "sh", "-c",
                     "mount -t overlay overlay -o \"$1\" \"$0\" && mount --bind /usr \"$0\"/usr && "
                     "cd \"$0\" && pivot_root . oldroot && exec /work/target /work/libhot.so 20",
                     merged, options});
  ASSERT_TRUE(target.WaitForLine("ready")) << target.Stderr();
  const std::string in_container = "/proc/" + std::to_string(target.pid()) + "/root/work/libhot.so";
  ASSERT_TRUE(ReplaceByRename(Workload("libhostile_other.so"), in_container));

  const Recorded r = RecordPid(target.pid());
  ASSERT_EQ(r.run.exit_code, 0) << Describe(r);
  const long total = Total(r.folded);
  ASSERT_GT(total, 50) << Describe(r);
  EXPECT_EQ(WithPrefix(r.folded, "padding_"), 0) << "names of the new file:\n" << Describe(r);
  EXPECT_GT(WithFrame(r.folded, "hot_spin_inner"), total * 8 / 10) << Describe(r);
}

// sudo stackfire record --user "$SUDO_USER" -- CMD (issue 15 §6): the
// command runs as that user, with its groups, and is still sampled.
TEST(RecordAsUser, CommandRunsAsTheUserAndIsSampled) {
  SKIP_WITHOUT_PERF();
  if (geteuid() != 0) GTEST_SKIP() << "needs root to change to another user";
  const RunResult nobody = RunCommand({"id", "-u", "nobody"});
  if (nobody.exit_code != 0) GTEST_SKIP() << "no user nobody here";
  const std::string out = TempPath("user.folded");
  const RunResult r = RunCommand({StackfireBin(), "record", "-q", "--no-kernel", "--user",
                                  "nobody", "-o", out, "--", "sh", "-c",
                                  "id -u; id -G; echo $USER; exec " + Workload("hostile_target") +
                                      " - 1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n') + 1), nobody.out) << r.out;
  EXPECT_EQ(r.out.find("\n0\n"), std::string::npos) << "still in root's group: " << r.out;
  EXPECT_NE(r.out.find("\nnobody\n"), std::string::npos) << r.out;
  const Folded folded = ReadFolded(out);
  EXPECT_GT(WithFrame(folded, "main_spin_inner"), Total(folded) / 2) << r.err;

  // Errors: no such user; --user with -p.
  RunResult bad = RunCommand({StackfireBin(), "record", "--user", "no-such-user-xyz", "-o", out,
                              "--", "true"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--user: no user 'no-such-user-xyz'"), std::string::npos) << bad.err;
  bad = RunCommand({StackfireBin(), "record", "--user", "nobody", "-p", "1", "-o", out});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--user applies to a launched command"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace stackfire::record_test
