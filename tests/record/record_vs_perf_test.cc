// The same workload recorded by `perf record --call-graph dwarf` (folded by
// `stackfire collapse` when this build has it, else by reading perf script's
// leaf lines directly) and by `stackfire record`: the five biggest leaf
// functions must agree within 5 percentage points.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/record/record_harness.h"

namespace stackfire::record_test {
namespace {

constexpr char kRounds[] = "500";  // ~1,800 samples per run: 5 points is > 3 sigma

std::map<std::string, double> Shares(const std::map<std::string, long>& counts) {
  long total = 0;
  for (const auto& [name, n] : counts) total += n;
  std::map<std::string, double> shares;
  for (const auto& [name, n] : counts) shares[name] = total ? 100.0 * n / total : 0;
  return shares;
}

// perf script's default output: a header line, then one line per frame,
// leaf first: "\t    addr symbol+0xoff (dso)".
std::map<std::string, long> LeavesFromPerfScript(const std::string& text) {
  std::map<std::string, long> leaves;
  std::istringstream in(text);
  std::string line;
  bool want_leaf = false;
  while (std::getline(in, line)) {
    if (line.empty()) {
      want_leaf = false;
      continue;
    }
    if (line[0] != '\t' && line[0] != ' ') {
      want_leaf = true;  // a sample header
      continue;
    }
    if (!want_leaf) continue;
    want_leaf = false;
    std::istringstream fields(line);
    std::string addr, symbol;
    fields >> addr >> symbol;
    symbol = symbol.substr(0, symbol.find("+0x"));
    leaves[symbol] += 1;
  }
  return leaves;
}

TEST(RecordVsPerfTest, TopFiveLeavesAgree) {
  std::string reason = PerfUnavailableReason();
  if (!reason.empty()) GTEST_SKIP() << reason;
  if (RunCommand({"perf", "--version"}).exit_code != 0) GTEST_SKIP() << "perf is not installed";

  const std::string data = TempPath("perf.data");
  RunResult perf = RunCommand({"perf", "record", "-q", "--call-graph", "dwarf", "--all-user",
                               "-F", "499", "-o", data, "--", Workload("record_leaves"), kRounds});
  ASSERT_EQ(perf.exit_code, 0) << perf.err;
  RunResult script = RunCommand({"perf", "script", "-i", data});
  ASSERT_EQ(script.exit_code, 0) << script.err;

  std::map<std::string, long> perf_leaves;
  RunResult help = RunCommand({StackfireBin(), "collapse", "--help"});
  if (help.exit_code == 0 && help.out.find("stackfire collapse") != std::string::npos) {
    const std::string script_path = TempPath("perf.script");
    std::ofstream(script_path) << script.out;
    RunResult collapsed = RunCommand({"sh", "-c", StackfireBin() + " collapse < " + script_path});
    ASSERT_EQ(collapsed.exit_code, 0) << collapsed.err;
    const std::string folded_path = TempPath("perf.folded");
    std::ofstream(folded_path) << collapsed.out;
    perf_leaves = Leaves(ReadFolded(folded_path));
  } else {
    perf_leaves = LeavesFromPerfScript(script.out);
  }

  const std::string out = TempPath("stackfire.folded");
  RunResult ours = RunCommand({StackfireBin(), "record", "-q", "--no-kernel", "-F", "499", "-o",
                               out, "--", Workload("record_leaves"), kRounds});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  const auto theirs = Shares(perf_leaves);
  const auto mine = Shares(Leaves(ReadFolded(out)));

  std::vector<std::pair<double, std::string>> top;
  for (const auto& [name, share] : theirs) top.push_back({share, name});
  std::sort(top.rbegin(), top.rend());
  ASSERT_GE(top.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const std::string& name = top[i].second;
    const double ours_share = mine.count(name) ? mine.at(name) : 0;
    EXPECT_NEAR(ours_share, top[i].first, 5) << name;
  }
  // The workload's own weights: 8/23, 6/23, 4/23, 3/23, 2/23.
  EXPECT_EQ(top[0].second, "leaf_alpha");
  EXPECT_NEAR(mine.count("leaf_alpha") ? mine.at("leaf_alpha") : 0, 100.0 * 8 / 23, 5);
}

}  // namespace
}  // namespace stackfire::record_test
