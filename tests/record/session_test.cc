// RecordSession in process, on real workloads: each stop condition gives
// its reason, a command that ended by itself gives its status, and the
// result's views (folded, export) and counters agree with the stack model.
#include "src/record/session.h"

#include <signal.h>
#include <sys/wait.h>

#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "stackfire/hint.h"
#include "tests/record/record_harness.h"

namespace stackfire::record {
namespace {

using record_test::Workload;

RecordConfig Launch(std::vector<std::string> command, double duration_s = 0) {
  RecordRequest request;
  request.command = std::move(command);
  request.frequency_hz = 499;
  request.no_kernel = true;
  request.duration_s = duration_s;
  auto config = RecordConfig::Create(request);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

TEST(RecordSessionTest, CommandThatEndsByItself) {
  SKIP_WITHOUT_PERF();
  SessionOptions options;
  options.export_model = true;
  std::vector<std::string> notes;
  auto session = RecordSession::Start(Launch({Workload("record_profile"), "0.5"}), options, &notes);
  ASSERT_TRUE(session.ok()) << session.status();
  int progress_calls = 0;
  EXPECT_EQ((*session)->Run(nullptr, [&](double, const Counters&) { ++progress_calls; }),
            StopReason::kTargetsExited);
  EXPECT_GT(progress_calls, 0);
  RecordResult r = (*session)->Finish();
  EXPECT_EQ(r.stop_reason, StopReason::kTargetsExited);
  ASSERT_TRUE(r.command_status.has_value());
  EXPECT_TRUE(WIFEXITED(*r.command_status) && WEXITSTATUS(*r.command_status) == 0);
  ASSERT_GT(r.counters.samples, 50u);
  // Every sample is in the stack model, the folded view and the export view.
  EXPECT_EQ(r.recorded.weights.total(), static_cast<int64_t>(r.counters.samples));
  EXPECT_EQ(r.profile.total(), static_cast<double>(r.counters.samples));
  ASSERT_TRUE(r.model.has_value());
  EXPECT_EQ(r.model->total(), static_cast<double>(r.counters.samples));
  bool leaf_sixty = false;
  for (const Profile::Entry& e : r.profile.entries()) {
    leaf_sixty = leaf_sixty || e.stack.find("leaf_sixty") != std::string::npos;
  }
  EXPECT_TRUE(leaf_sixty);
  EXPECT_GT(r.seconds, 0.3);
  EXPECT_GT(r.start_wall_ns, 0);
}

TEST(RecordSessionTest, DurationAndStopSignalEndTheCommand) {
  SKIP_WITHOUT_PERF();
  std::vector<std::string> notes;
  auto session = RecordSession::Start(Launch({"sleep", "30"}, 0.3), {}, &notes);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->Run(nullptr, nullptr), StopReason::kDuration);
  RecordResult r = (*session)->Finish();
  EXPECT_FALSE(r.command_status.has_value());  // the recording ended it
  EXPECT_FALSE(r.model.has_value());

  session = RecordSession::Start(Launch({"sleep", "30"}), {}, &notes);
  ASSERT_TRUE(session.ok()) << session.status();
  volatile sig_atomic_t stop = 0;
  std::thread signaller([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = SIGHUP;
  });
  EXPECT_EQ((*session)->Run(&stop, nullptr), StopReason::kHungUp);
  signaller.join();
  EXPECT_EQ((*session)->Finish().stop_reason, StopReason::kHungUp);
}

// `server & stackfire record -p $!`: the pid may still be the shell's fork
// when stackfire reads its maps, and exec the server before the events are
// on, so no MMAP2 record ever tells of the new image. The maps read again
// after the enable must be the ones the samples unwind through.
TEST(RecordSessionTest, TargetThatExecsBeforeTheEventsAreOnIsUnwoundThroughItsNewMaps) {
  SKIP_WITHOUT_PERF();
  const std::string workload = Workload("record_profile");
  record_test::Background target(
      {"sh", "-c", "trap 'exec \"$0\" 3' USR1; echo ready; while :; do sleep 0.01; done",
       workload});
  ASSERT_TRUE(target.WaitForLine("ready"));
  RecordRequest request;
  request.pids = std::to_string(target.pid());
  request.frequency_hz = 499;
  request.no_kernel = true;
  request.duration_s = 1.0;
  auto config = RecordConfig::Create(request);
  ASSERT_TRUE(config.ok()) << config.status();
  SessionOptions options;
  bool exec_seen = false;
  options.before_enable = [&] {
    ::kill(target.pid(), SIGUSR1);
    const std::string exe = absl::StrCat("/proc/", target.pid(), "/exe");
    for (int i = 0; i < 500 && !exec_seen; ++i) {
      char buf[4096];
      const ssize_t n = ::readlink(exe.c_str(), buf, sizeof buf);
      exec_seen = n > 0 && std::string(buf, static_cast<size_t>(n)) == workload;
      if (!exec_seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  std::vector<std::string> notes;
  auto session = RecordSession::Start(*config, options, &notes);
  ASSERT_TRUE(session.ok()) << session.status();
  ASSERT_TRUE(exec_seen);
  (*session)->Run(nullptr, nullptr);
  RecordResult r = (*session)->Finish();
  EXPECT_EQ(r.maps_refreshed, 1);
  ASSERT_GT(r.counters.samples, 50u);
  EXPECT_LT(r.counters.unwind_failures, r.counters.samples / 10) << r.counters.unwind_failures;
  double in_workload = 0;
  for (const Profile::Entry& e : r.profile.entries()) {
    if (e.stack.find("main;") != std::string::npos &&
        e.stack.find("leaf_") != std::string::npos) {
      in_workload += e.weight;
    }
  }
  EXPECT_GT(in_workload, 0.8 * r.profile.total()) << in_workload << " of " << r.profile.total();
}

TEST(RecordSessionTest, StartErrorsCarryHints) {
  std::vector<std::string> notes;
  auto missing = RecordSession::Start(Launch({"stackfire-no-such-command-xyz"}), {}, &notes);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(HintOf(missing.status()).find("PATH"), std::string::npos);

  RecordRequest request;
  request.pids = "1073741000";
  auto config = RecordConfig::Create(request);
  ASSERT_TRUE(config.ok());
  auto gone = RecordSession::Start(*config, {}, &notes);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().message(), "no such process: pid 1073741000");
  EXPECT_NE(HintOf(gone.status()).find("ps -p"), std::string::npos);
}

}  // namespace
}  // namespace stackfire::record
