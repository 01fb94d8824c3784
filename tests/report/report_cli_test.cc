// `stackfire report` as a user runs it: plain output into a pipe, colour and
// truncation on a pseudo-terminal, the options, the errors, and the top
// function of corpus profiles against an independent count made here.
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

struct CliRun {
  int code = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Bin() { return std::getenv("STACKFIRE_BIN"); }
std::string TestData(const std::string& rel) {
  return std::string(std::getenv("STACKFIRE_TESTDATA")) + "/" + rel;
}

// stdout and stderr go to files, so stdout is not a terminal.
CliRun Stackfire(const std::string& args) {
  const std::string dir = ::testing::TempDir();
  const std::string cmd = Bin() + " " + args + " >" + dir + "/report.out 2>" + dir + "/report.err";
  const int rc = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = Slurp(dir + "/report.out");
  r.err = Slurp(dir + "/report.err");
  return r;
}

// Runs the binary with stdout and stderr on a pseudo-terminal. The parent
// keeps the terminal's other end open until it has read everything: with
// forkpty's, a read after the child exits may fail (EIO) while the child's
// last output is still on its way to the master side (a loaded machine lost
// all but the first line so).
CliRun OnTerminal(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  int master = -1, slave = -1;
  struct winsize ws = {};
  ws.ws_row = 40;
  ws.ws_col = 200;
  CliRun r;
  if (openpty(&master, &slave, nullptr, nullptr, &ws) != 0) return r;
  pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    close(master);
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, STDIN_FILENO);
    dup2(slave, STDOUT_FILENO);
    dup2(slave, STDERR_FILENO);
    if (slave > STDERR_FILENO) close(slave);
    unsetenv("NO_COLOR");
    unsetenv("COLUMNS");
    for (const std::string& kv : env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> argv;
    std::string bin = Bin();
    argv.push_back(bin.data());
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  char buf[4096];
  int status = 0;
  bool exited = false;
  // Until the child has exited, then until nothing more comes for 300 ms.
  for (;;) {
    struct pollfd p = {master, POLLIN, 0};
    const int ready = poll(&p, 1, exited ? 300 : 100);
    if (ready > 0 && (p.revents & POLLIN) != 0) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        r.out.append(buf, static_cast<size_t>(n));
        continue;
      }
    }
    if (exited) break;
    exited = waitpid(pid, &status, WNOHANG) == pid;
  }
  close(slave);
  close(master);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out.erase(std::remove(r.out.begin(), r.out.end(), '\r'), r.out.end());
  return r;
}

std::string StripAnsi(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033' && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !(s[i] >= '@' && s[i] <= '~')) ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// The function column of each table row (after the two header lines).
std::vector<std::string> Names(const std::string& out) {
  std::vector<std::string> names;
  std::vector<std::string> lines = Lines(out);
  for (size_t i = 2; i < lines.size(); ++i) {
    std::istringstream row(lines[i]);
    std::string self_pct, self, total_pct, total, name;
    row >> self_pct >> self >> total_pct >> total;
    std::getline(row >> std::ws, name);
    names.push_back(name);
  }
  return names;
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/hand.folded";
    std::ofstream f(path_);
    f << "main;a;b 10\nmain;a 5\nmain;c;a;a 3\nmain;b 2\nother 1\n";
  }
  std::string path_;
};

TEST_F(ReportCliTest, PlainTableWhenStdoutIsNotATerminal) {
  CliRun r = Stackfire("report " + path_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "Samples: 21  Functions: 5  Shown: 5 (by self)\n"
            "  Self%  Self   Total%  Total  Function\n"
            " 57.14%    12   57.14%     12  b\n"
            " 38.10%     8   85.71%     18  a\n"
            "  4.76%     1    4.76%      1  other\n"
            "  0.00%     0   95.24%     20  main\n"
            "  0.00%     0   14.29%      3  c\n");
  CliRun in = Stackfire("report - <" + path_);
  EXPECT_EQ(in.code, 0);
  EXPECT_EQ(in.out, r.out);
  CliRun none = Stackfire("report <" + path_);
  EXPECT_EQ(none.out, r.out);
}

TEST_F(ReportCliTest, TopByAndGrep) {
  CliRun r = Stackfire("report --by total --top 2 " + path_);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Names(r.out), (std::vector<std::string>{"main", "a"}));
  EXPECT_NE(r.out.find("Shown: 2 (by total)"), std::string::npos) << r.out;
  r = Stackfire("report --grep '^(a|c)$' " + path_);
  EXPECT_EQ(Names(r.out), (std::vector<std::string>{"a", "c"}));
  EXPECT_NE(r.out.find(" 38.10%     8   85.71%     18  a\n"), std::string::npos) << r.out;
  r = Stackfire("report --top 0 --by self " + path_);
  EXPECT_EQ(Names(r.out).size(), 5u);
  r = Stackfire("report --grep zzz " + path_);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("no function name matches /zzz/"), std::string::npos) << r.out;
}

TEST_F(ReportCliTest, UsageErrorsExitTwo) {
  for (const char* args : {"--by size", "--top -1", "--grep 'a(b'", "--color sometimes"}) {
    CliRun r = Stackfire(std::string("report ") + args + " " + path_);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find("error"), std::string::npos) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST(ReportCli, EmptyAndBadInputsFailClearly) {
  CliRun r = Stackfire("report " + TestData("render/input/empty.folded"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("stackfire: error: no samples in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("empty.folded"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stackfire: hint:"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");

  r = Stackfire("report </dev/null");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no samples in <stdin>"), std::string::npos) << r.err;

  const std::string junk = ::testing::TempDir() + "/junk.folded";
  std::ofstream(junk) << "this is not folded\nnor;this\n";
  r = Stackfire("report " + junk);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ignored 2 lines with invalid format (first: " + junk + ":1:"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("no samples"), std::string::npos) << r.err;

  r = Stackfire("report " + ::testing::TempDir());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;

  r = Stackfire("report /nonexistent/profile.folded");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot open '/nonexistent/profile.folded': No such file or directory"),
            std::string::npos)
      << r.err;
}

TEST(ReportCli, BadLinesWarnButTheRestIsReported) {
  CliRun r = Stackfire("report " + TestData("render/input/bad-lines.folded"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("stackfire: warning: ignored 3 lines"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("Samples: "), std::string::npos);
}

TEST_F(ReportCliTest, ColourAndTruncationOnATerminal) {
  std::ofstream(path_, std::ios::app)
      << "main;std::__detail::_Map_base<std::string, std::pair<const std::string, "
         "std::vector<int>>>::operator[](std::string const&) 4\n";
  CliRun r = OnTerminal({"report", path_}, {"COLUMNS=60"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\033[1m"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\033[31m"), std::string::npos) << r.out;
  for (const std::string& line : Lines(StripAnsi(r.out))) {
    EXPECT_LE(line.size(), 60u) << line;
  }
  // 60 columns leave 29 for the name: 16 of its start, "...", 10 of its end.
  EXPECT_NE(r.out.find("  std::__detail::_...ng const&)\n"), std::string::npos) << r.out;

  // The window size is used when COLUMNS is not set (the pty is 200 wide).
  CliRun wide = OnTerminal({"report", path_}, {});
  EXPECT_NE(wide.out.find("operator[](std::string const&)\n"), std::string::npos) << wide.out;

  CliRun no_color = OnTerminal({"report", path_}, {"NO_COLOR=1", "COLUMNS=60"});
  EXPECT_EQ(no_color.out.find('\033'), std::string::npos) << no_color.out;
  EXPECT_EQ(no_color.out, StripAnsi(r.out));
  CliRun never = OnTerminal({"report", "--color", "never", path_}, {"COLUMNS=60"});
  EXPECT_EQ(never.out, no_color.out);

  // Off a terminal: no colour and full names, unless asked.
  CliRun plain = Stackfire("report " + path_);
  EXPECT_EQ(plain.out.find('\033'), std::string::npos);
  EXPECT_NE(plain.out.find("std::vector<int>>>::operator[](std::string const&)\n"),
            std::string::npos);
  CliRun always = Stackfire("report --color always " + path_);
  EXPECT_NE(always.out.find("\033[31m"), std::string::npos);
  EXPECT_EQ(StripAnsi(always.out), plain.out);
}

// Independent reading of a folded file: count after the last blank, frames
// split at ';', self to the last frame, total once per distinct frame.
struct Counts {
  std::map<std::string, double> self, total;
  double samples = 0;
};

Counts CountByHand(const std::string& path) {
  Counts c;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const size_t sp = line.find_last_of(" \t");
    if (sp == std::string::npos) continue;
    const double n = std::stod(line.substr(sp + 1));
    const std::string stack = line.substr(0, sp);
    std::vector<std::string> frames;
    std::stringstream ss(stack);
    for (std::string f; std::getline(ss, f, ';');) {
      if (!f.empty()) frames.push_back(f);
    }
    c.samples += n;
    if (frames.empty()) continue;
    c.self[frames.back()] += n;
    for (const std::string& f : std::set<std::string>(frames.begin(), frames.end())) {
      c.total[f] += n;
    }
  }
  return c;
}

TEST(ReportCli, TopFunctionsOfCorpusProfilesMatchAnIndependentCount) {
  for (const char* name : {"example-perf-stacks.folded", "vertx-all.folded"}) {
    SCOPED_TRACE(name);
    const std::string path = TestData(std::string("render/input/") + name);
    Counts c = CountByHand(path);
    ASSERT_GT(c.samples, 0);

    CliRun r = Stackfire("report --top 1 " + path);
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<std::string> lines = Lines(r.out);
    ASSERT_EQ(lines.size(), 3u) << r.out;
    std::istringstream row(lines[2]);
    std::string self_pct, total_pct, fn;
    double self = 0, total = 0;
    row >> self_pct >> self >> total_pct >> total;
    std::getline(row >> std::ws, fn);
    double best = 0;
    for (const auto& [f, n] : c.self) best = std::max(best, n);
    EXPECT_EQ(self, best);
    EXPECT_EQ(c.self[fn], best) << fn;
    EXPECT_EQ(total, c.total[fn]) << fn;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.2f%%", 100.0 * best / c.samples);
    EXPECT_EQ(self_pct, pct);

    CliRun t = Stackfire("report --by total --top 1 " + path);
    std::istringstream trow(Lines(t.out).at(2));
    trow >> self_pct >> self >> total_pct >> total;
    double best_total = 0;
    for (const auto& [f, n] : c.total) best_total = std::max(best_total, n);
    EXPECT_EQ(total, best_total);
  }
}

}  // namespace
