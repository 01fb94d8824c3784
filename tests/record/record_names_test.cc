// `stackfire record` on programs whose names are hard to get: node's V8
// builtins (code mapped from the middle of node's own file), JIT code in a
// process with its own pid and mount namespaces, stripped code split by
// function, MiniDebugInfo, and debug info fetched from Debian's debuginfod
// server (and from servers that are dead or silent, which must not stall
// the recording). Each recording lasts about a second.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"
#include "tests/symbolize/debuginfod_server.h"

namespace stackfire::record_test {
namespace {

using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double Pct(long part, long whole) { return whole == 0 ? 0 : 100.0 * part / whole; }

// Samples whose stack has a frame for which pred holds.
template <typename Pred>
long Where(const Folded& folded, Pred pred) {
  long n = 0;
  for (const auto& [stack, count] : folded) {
    for (const std::string& f : SplitFrames(stack)) {
      if (pred(f)) {
        n += count;
        break;
      }
    }
  }
  return n;
}

// "name -> vaddr" of the full build's local and global functions (nm).
std::map<std::string, std::string> NmAddresses(const std::string& binary) {
  RunResult r = RunCommand({"nm", "--defined-only", "-C", binary});
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    // "0000000000002000 t (anonymous namespace)::names_alpha(unsigned long) [clone .constprop.0]"
    if (line.size() < 20) continue;
    std::string addr = line.substr(0, 16);
    addr.erase(0, addr.find_first_not_of('0'));
    for (const char* fn : {"names_alpha", "names_beta", "names_gamma"}) {
      if (line.find(fn) != std::string::npos) out[fn] = "0x" + addr;
    }
  }
  return out;
}

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// node --perf-basic-prof leaves /tmp/perf-PID.map behind: remove those that
// name a script under dir.
void RemoveNodePerfMaps(const std::string& dir) {
  RunCommand({"sh", "-c", "grep -l -F '" + dir + "' /tmp/perf-*.map | xargs -r rm -f"});
}

// V8's builtins live in node's own file, mapped again r-xp from the middle
// of its text segment. They were a bare [node] in 15-85 % of samples, with
// "no PT_LOAD segment at file offset 0x14c4000"; perf names them
// Builtins_ArrayTimSort and so on, and so must stackfire.
TEST(RecordNamesTest, NodeBuiltinsAreNamed) {
  SKIP_WITHOUT_PERF();
  const std::string node = Env("NODE_BIN");
  if (node.empty()) GTEST_SKIP() << "node is not installed (Debian's nodejs)";
  const std::string dir = TempPath("node");
  ASSERT_EQ(RunCommand({"mkdir", "-p", dir}).exit_code, 0);
  const std::string out = dir + "/node.folded";
  // From its own folder: node --perf-basic-prof leaves an isolate log there.
  RunResult r =
      RunCommand({"sh", "-c",
                  "cd '" + dir + "' && exec '" + StackfireBin() + "' record -q -F 999 -o '" + out +
                      "' -- '" + node + "' --perf-basic-prof '" + Env("NODE_WORKLOAD") + "' 1.5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  const long total = Total(folded);
  ASSERT_GT(total, 200) << r.err;
  RemoveNodePerfMaps(Env("NODE_WORKLOAD"));

  EXPECT_EQ(r.err.find("no PT_LOAD segment"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("no unwind information"), std::string::npos) << r.err;
  const long bare = Where(folded, [](const std::string& f) { return f == "[node]"; });
  EXPECT_LT(Pct(bare, total), 1.0) << bare << " of " << total << " samples show a bare [node]";
  const long builtins =
      Where(folded, [](const std::string& f) { return f.rfind("Builtins_", 0) == 0; });
  EXPECT_GT(Pct(builtins, total), 10.0) << builtins << " of " << total;
  for (const char* name : {"Builtins_ArrayTimSort", "Builtins_SortCompareUserFn"}) {
    EXPECT_GT(Where(folded, [&](const std::string& f) { return f == name; }), 0) << name;
  }
  // JS functions come from the perf map, kernel and JIT frames aside.
  EXPECT_GT(Where(folded,
                  [](const std::string& f) {
                    return f.find("byId") != std::string::npos &&
                           f.find("_[j]") != std::string::npos;
                  }),
            0);
  long rooted = 0;
  for (const auto& [stack, n] : folded) {
    const std::string first = SplitFrames(stack)[0];
    if (first == "_start" || first == "clone3") rooted += n;
  }
  EXPECT_GT(Pct(rooted, total), 90.0);
}

// A process in its own pid namespace writes /tmp/perf-<its own pid>.map,
// here /tmp/perf-1.map, in its own /tmp: stackfire reads it through
// /proc/PID/root with the pid from NSpid.
class ContainerTest : public ::testing::TestWithParam<bool> {};

TEST_P(ContainerTest, PerfMapInsideTheNamespace) {
  SKIP_WITHOUT_PERF();
  const bool private_tmp = GetParam();
  if (RunCommand({"unshare", "--pid", "--fork", "--mount-proc", "true"}).exit_code != 0) {
    GTEST_SKIP() << "unshare --pid --mount-proc is not allowed here (needs root)";
  }
  std::string jit = Workload("record_jit_ns");
  // A tmpfs on /tmp hides a build folder under /tmp: run a copy from
  // /var/tmp then.
  std::string copy;
  if (private_tmp && jit.rfind("/tmp/", 0) == 0) {
    copy = "/var/tmp/stackfire_jit_ns_" + std::to_string(getpid());
    std::filesystem::copy_file(jit, copy, std::filesystem::copy_options::overwrite_existing);
    jit = copy;
  }
  struct RemoveCopy {
    std::string path;
    ~RemoveCopy() {
      if (!path.empty()) std::remove(path.c_str());
    }
  } remove_copy{copy};
  const std::string out = TempPath(private_tmp ? "ns_tmp.folded" : "ns.folded");
  std::vector<std::string> argv = {StackfireBin(), "record", "-q",          "-F", "499",
                                   "--no-kernel",  "-o",     out,           "--", "unshare",
                                   "--pid",        "--fork", "--mount-proc"};
  if (private_tmp) {
    argv.insert(argv.end(), {"sh", "-c", "mount -t tmpfs tmpfs /tmp && exec '" + jit + "' 1"});
  } else {
    argv.insert(argv.end(), {jit, "1"});
  }
  RunResult r = RunCommand(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ready /tmp/perf-1.map"), std::string::npos) << r.out << r.err;
  const Folded folded = ReadFolded(out);
  const long total = Total(folded);
  ASSERT_GT(total, 200) << r.err;
  const long named =
      Where(folded, [](const std::string& f) { return f == "jit_spin_in_namespace_[j]"; });
  EXPECT_GT(Pct(named, total), 80.0) << named << " of " << total << "\n" << r.err;
  // Crossed through its frame pointer, down to main.
  long to_main = 0;
  for (const auto& [stack, n] : folded) {
    if (stack.find("main;jit_spin_in_namespace_[j]") != std::string::npos) to_main += n;
  }
  EXPECT_GT(Pct(to_main, total), 80.0);
}

INSTANTIATE_TEST_SUITE_P(SharedAndPrivateTmp, ContainerTest, ::testing::Bool());

class StrippedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_PERF();
    ASSERT_FALSE(Env("NAMES_TARGET").empty()) << "run through meson test";
    addr_ = NmAddresses(Env("NAMES_TARGET"));
    ASSERT_EQ(addr_.size(), 3u);
  }
  std::map<std::string, std::string> addr_;
};

// Every function of a stripped module was one "[module]" box per level;
// the CFI gives each function's start, so they stay apart.
TEST_F(StrippedTest, SplitByFunctionStart) {
  const std::string bin = Env("NAMES_TARGET_STRIPPED");
  const std::string out = TempPath("stripped.folded");
  RunResult r = RunCommand(
      {StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", out, "--", bin, "0.6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  const long total = Total(folded);
  ASSERT_GT(total, 150);
  long split = 0;
  for (const auto& [fn, addr] : addr_) {
    const std::string frame = BaseName(bin) + "+" + addr;
    const long n = Where(folded, [&](const std::string& f) { return f == frame; });
    EXPECT_GT(n, total / 50) << frame << "\n" << r.err;
    split += n;
    // Each under the exported entry point, which .dynsym names.
    long under = 0;
    for (const auto& [stack, c] : folded) {
      if (stack.find("main;names_entry;" + frame) != std::string::npos) under += c;
    }
    EXPECT_EQ(under, n) << frame;
  }
  EXPECT_GT(Pct(split, total), 90.0);

  const std::string old_out = TempPath("stripped_module.folded");
  r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "--unnamed", "module",
                  "-o", old_out, "--", bin, "0.6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded module_style = ReadFolded(old_out);
  const std::string box = "[" + BaseName(bin) + "]";
  EXPECT_GT(
      Pct(Where(module_style, [&](const std::string& f) { return f == box; }), Total(module_style)),
      90.0);
}

// The pprof export keeps each unnamed frame's address and mapping, and
// marks the mapping unsymbolized, so that pprof can name it later from a
// file with symbols. Here the program is a stripped copy that is replaced,
// once recorded, by the full build (same build-id), as when the symbols are
// installed afterwards; `go tool pprof` reads the file at the mapped path.
TEST_F(StrippedTest, PprofSymbolizesLater) {
  if (RunCommand({"go", "version"}).exit_code != 0) GTEST_SKIP() << "go is not installed";
  const std::string dir = TempPath("pprof_bin");
  ASSERT_EQ(RunCommand({"mkdir", "-p", dir}).exit_code, 0);
  const std::string bin = dir + "/" + BaseName(Env("NAMES_TARGET_STRIPPED"));
  ASSERT_EQ(RunCommand({"cp", Env("NAMES_TARGET_STRIPPED"), bin}).exit_code, 0);
  const std::string pb = TempPath("stripped.pb.gz");
  RunResult r = RunCommand(
      {StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", pb, "--", bin, "0.6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  RunResult raw = RunCommand({"go", "tool", "pprof", "-symbolize=none", "-raw", pb});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(raw.out.find(BaseName(bin) + "+" + addr_["names_alpha"]), std::string::npos) << raw.out;
  // Its mapping claims no function names ([FN]): pprof may symbolize it.
  const size_t mapping = raw.out.find(" " + bin + " ");
  ASSERT_NE(mapping, std::string::npos) << raw.out;
  const std::string line = raw.out.substr(mapping, raw.out.find('\n', mapping) - mapping);
  EXPECT_EQ(line.find("[FN]"), std::string::npos) << line;
  ASSERT_EQ(RunCommand({"cp", Env("NAMES_TARGET"), bin}).exit_code, 0);
  // Go's own pprof symbolizes C and C++ from DWARF line tables (it names
  // functions only where a DW_TAG_subprogram carries the name, so not gcc's
  // .constprop clones): each unnamed location gets its source line.
  RunResult named = RunCommand({"go", "tool", "pprof", "-symbolize=local", "-raw", pb});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.out.find("names_target.cc:"), std::string::npos) << named.out << named.err;
  EXPECT_EQ(named.out.find(BaseName(bin) + "+0x"), std::string::npos) << named.out;
}

TEST_F(StrippedTest, MiniDebugInfo) {
  const std::string out = TempPath("mini.folded");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "499", "--no-kernel", "-o", out,
                            "--", Env("NAMES_TARGET_MINI"), "0.6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  const long total = Total(folded);
  ASSERT_GT(total, 150);
  long named = 0;
  for (const char* fn : {"names_alpha", "names_beta", "names_gamma"}) {
    const std::string frame = std::string("(anonymous namespace)::") + fn;
    const long n = Where(folded, [&](const std::string& f) { return f == frame; });
    EXPECT_GT(n, total / 50) << frame << "\n" << r.err;
    named += n;
  }
  EXPECT_GT(Pct(named, total), 90.0);
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

class DebuginfodRecordTest : public StrippedTest {
 protected:
  void SetUp() override {
    StrippedTest::SetUp();
    if (IsSkipped()) return;
    setenv("DEBUGINFOD_CACHE_PATH", TempPath("debuginfod_cache").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("DEBUGINFOD_URLS");
    unsetenv("DEBUGINFOD_CACHE_PATH");
    unsetenv("DEBUGINFOD_TIMEOUT");
  }
  RunResult Record(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {StackfireBin(), "record", "-F", "499",
                                     "--no-kernel",  "-o",     out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"--", Env("NAMES_TARGET_STRIPPED"), "0.6"});
    return RunCommand(argv);
  }
};

TEST_F(DebuginfodRecordTest, NamesFromDebianServer) {
  const std::string binary = Env("DEBUGINFOD_BIN");
  if (binary.empty()) {
    GTEST_SKIP() << "Debian's debuginfod is not installed (STACKFIRE_SETUP_TESTS=1 "
                    "scripts/setup.sh installs it)";
  }
  const std::string srv = TempPath("debuginfod_srv");
  ASSERT_EQ(RunCommand({"mkdir", "-p", srv}).exit_code, 0);
  ASSERT_EQ(RunCommand({"cp", Env("NAMES_TARGET_DEBUG"), srv + "/"}).exit_code, 0);
  testing::Server server(binary, srv, TempPath("debuginfod.sqlite"));
  RunResult id = RunCommand(
      {"sh", "-c",
       "readelf -n '" + Env("NAMES_TARGET_STRIPPED") + "' | sed -n 's/.*Build ID: //p'"});
  const std::string hex = id.out.substr(0, id.out.find('\n'));
  ASSERT_EQ(hex.size(), 40u) << id.out;
  ASSERT_TRUE(server.WaitFor("/buildid/" + hex + "/debuginfo")) << server.log();
  setenv("DEBUGINFOD_URLS", server.url().c_str(), 1);
  const std::string out = TempPath("debuginfod.folded");
  RunResult r = Record(out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(out);
  EXPECT_GT(
      Pct(Where(folded,
                [](const std::string& f) { return f.find("(anonymous namespace)::names_") == 0; }),
          Total(folded)),
      90.0)
      << r.err;
  // stderr is not a terminal: one line for the one download.
  const std::regex line(
      "stackfire: debuginfod: .*names_target_stripped: downloaded [0-9]+ KB of "
      "debug info in [0-9.]+ s\n");
  EXPECT_TRUE(std::regex_search(r.err, line)) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;

  // --no-debuginfod: not asked, even with the file at hand.
  unsetenv("DEBUGINFOD_CACHE_PATH");
  setenv("DEBUGINFOD_CACHE_PATH", TempPath("debuginfod_cache_2").c_str(), 1);
  r = Record(out, {"--no-debuginfod"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("stackfire: debuginfod"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("warning: debuginfod"), std::string::npos) << r.err;
  EXPECT_EQ(Where(ReadFolded(out),
                  [](const std::string& f) { return f.find("names_alpha") != std::string::npos; }),
            0);
}

// A server that accepts and never answers costs one stall (DEBUGINFOD_TIMEOUT
// seconds), then no more queries; the profile is written with the stripped
// names, and the summary says what happened.
TEST_F(DebuginfodRecordTest, SilentServerDoesNotStallTheRecording) {
  testing::Port silent(true);
  setenv("DEBUGINFOD_URLS", silent.url().c_str(), 1);
  setenv("DEBUGINFOD_TIMEOUT", "1", 1);
  const std::string out = TempPath("silent.folded");
  const auto t0 = Clock::now();
  RunResult r = Record(out);
  const double took = Since(t0);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(took, 8.0) << r.err;
  EXPECT_NE(r.err.find("no server answered within"), std::string::npos) << r.err;
  EXPECT_GT(Total(ReadFolded(out)), 150);
}

TEST_F(DebuginfodRecordTest, DeadServerIsOneWarning) {
  testing::Port closed(false);
  setenv("DEBUGINFOD_URLS", closed.url().c_str(), 1);
  const std::string out = TempPath("dead.folded");
  RunResult r = Record(out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Connection refused); no more debuginfod queries in this run"),
            std::string::npos)
      << r.err;
  const Folded folded = ReadFolded(out);
  EXPECT_GT(Where(folded,
                  [&](const std::string& f) {
                    return f == BaseName(Env("NAMES_TARGET_STRIPPED")) + "+" + addr_["names_alpha"];
                  }),
            0);
}

// The commands that README.md and stackfire-record(1) show for these cases,
// with the workload substituted (app.js, big.tar) and, for the debuginfod
// one, a local port in place of debuginfod.debian.net (no network in CI):
// they must work as shown.
TEST(RecordNamesTest, DocumentedCommands) {
  SKIP_WITHOUT_PERF();
  const std::string dir = TempPath("docs");
  ASSERT_EQ(RunCommand({"mkdir", "-p", dir}).exit_code, 0);
  const std::string node = Env("NODE_BIN");
  if (!node.empty()) {
    RunResult r = RunCommand({"sh", "-c",
                              "cd '" + dir + "' && cp '" + Env("NODE_WORKLOAD") +
                                  "' app.js && exec '" + StackfireBin() +
                                  "' record -o node.svg -- node --perf-basic-prof app.js 1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(ValidSvg(dir + "/node.svg"));
    EXPECT_NE(ReadFile(dir + "/node.svg").find("Builtins_"), std::string::npos);
    RemoveNodePerfMaps(dir);
  }
  // A big.tar that xz -9 takes about half a second on.
  ASSERT_EQ(RunCommand({"sh", "-c", "head -c 400000 /dev/urandom | base64 > '" + dir + "/big.tar'"})
                .exit_code,
            0);
  testing::Port no_server(false);
  RunResult r = RunCommand({"sh", "-c",
                            "cd '" + dir + "' && DEBUGINFOD_URLS=" + no_server.url() +
                                " DEBUGINFOD_CACHE_PATH='" + dir + "/cache' exec '" +
                                StackfireBin() + "' record -o xz.svg -- xz -9 -k big.tar"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(ValidSvg(dir + "/xz.svg"));
  EXPECT_EQ(RunCommand({"xz", "-t", dir + "/big.tar.xz"}).exit_code, 0);
  // liblzma's functions are apart, each by its start address.
  const std::string svg = ReadFile(dir + "/xz.svg");
  std::set<std::string> starts;
  for (size_t at = svg.find("liblzma.so."); at != std::string::npos;
       at = svg.find("liblzma.so.", at + 1)) {
    const size_t plus = svg.find("+0x", at);
    if (plus == std::string::npos || plus - at > 20) continue;
    starts.insert(svg.substr(plus, svg.find_first_not_of("+0x0123456789abcdef", plus) - plus));
  }
  EXPECT_GE(starts.size(), 2u) << r.err;
}

}  // namespace
}  // namespace stackfire::record_test
