// The sampler against the live kernel, on this test process itself: samples
// arrive through one ring per CPU, carry the right thread, and threads born
// after Create() are followed through inherit. Skips only where
// perf_event_open is refused.
#include "src/perf/sampler.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"

namespace stackfire::perf {
namespace {

std::atomic<bool> g_stop{false};

void Burn(std::atomic<int>* tid_out) {
  tid_out->store(static_cast<int>(::syscall(SYS_gettid)));
  volatile unsigned long x = 1;
  while (!g_stop.load(std::memory_order_relaxed)) x = x * 6364136223846793005ul + 1;
}

struct Drained {
  absl::flat_hash_map<uint32_t, int> samples_by_tid;
  std::vector<std::string> mmapped_files;
  int malformed = 0;
  int duplicates = 0;
};

// Maps a page of this test's own executable, executable, as a library
// load does (the kernel then sends PERF_RECORD_MMAP2); its path in *path.
// nullptr on failure.
void* MapOwnExecutable(std::string* path) {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return nullptr;
  path->assign(exe, static_cast<size_t>(n));
  const int fd = open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* text = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  close(fd);
  return text == MAP_FAILED ? nullptr : text;
}

void DrainInto(Sampler& sampler, Drained* d) {
  sampler.Drain([&](const perf_event_header* h) {
    auto parsed = ParseRecord(h, sampler.layout());
    if (!parsed) {
      ++d->malformed;
      return;
    }
    if (auto* s = std::get_if<SampleRecord>(&*parsed)) {
      if (sampler.IsDuplicate(s->id, s->sample.tid)) {
        ++d->duplicates;
        return;
      }
      EXPECT_EQ(s->sample.pid, static_cast<uint32_t>(getpid()));
      if (s->sample.has_user_regs) EXPECT_FALSE(s->sample.stack.empty());
      ++d->samples_by_tid[s->sample.tid];
    } else if (auto* m = std::get_if<MmapRecord>(&*parsed)) {
      d->mmapped_files.push_back(m->filename);
    }
  });
}

TEST(SamplerTest, SamplesExistingAndLaterThreads) {
  g_stop = false;
  std::atomic<int> early_tid{0}, late_tid{0};
  std::thread early(Burn, &early_tid);
  while (early_tid.load() == 0) std::this_thread::yield();

  Sampler::Options options;
  options.pids = {getpid()};
  options.attr.frequency_hz = 499;
  options.attr.exclude_kernel = true;
  options.mmap_pages = 64;
  std::vector<std::string> notes;
  auto sampler = Sampler::Create(options, &notes);
  if (!sampler.ok() && absl::IsPermissionDenied(sampler.status())) {
    GTEST_SKIP() << "perf_event_open refused: " << sampler.status();
  }
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  EXPECT_GE((*sampler)->thread_count(), 2u);  // this thread and `early`
  EXPECT_EQ((*sampler)->event_count(), (*sampler)->thread_count() * OnlineCpus().size());
  ASSERT_TRUE((*sampler)->Enable().ok());

  std::thread late(Burn, &late_tid);  // born after the events were opened
  // An executable mapping made now must come back as PERF_RECORD_MMAP2.
  std::string exe;
  void* text = MapOwnExecutable(&exe);
  ASSERT_NE(text, nullptr);
  Drained d;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < end) {
    (*sampler)->Wait(20);
    DrainInto(**sampler, &d);
  }
  g_stop = true;
  early.join();
  late.join();
  (*sampler)->Disable();
  DrainInto(**sampler, &d);

  EXPECT_EQ(d.malformed, 0);
  EXPECT_GT(d.samples_by_tid[static_cast<uint32_t>(early_tid.load())], 20);
  EXPECT_GT(d.samples_by_tid[static_cast<uint32_t>(late_tid.load())], 20);
  munmap(text, 4096);
  EXPECT_NE(std::find(d.mmapped_files.begin(), d.mmapped_files.end(), exe),
            d.mmapped_files.end());
  EXPECT_EQ((*sampler)->corrupt_bytes(), 0u);
}

// --off-cpu's CPU-wide clock: one event per CPU samples every process (a
// child burning beside us shows up, flagged IsCpuWide, never a duplicate),
// while the per-thread switch events bring this process's MMAP2 records the
// clock no longer sends.
TEST(SamplerTest, CpuWideClockSamplesEveryProcessAndSwitchEventsSendTheMaps) {
  if (geteuid() != 0) GTEST_SKIP() << "CPU-wide events need root here";
  g_stop = false;
  std::atomic<int> burn_tid{0};
  std::thread burn(Burn, &burn_tid);
  while (burn_tid.load() == 0) std::this_thread::yield();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    volatile unsigned long x = 1;
    for (;;) x = x * 6364136223846793005ul + 1;
  }
  Sampler::Options options;
  options.pids = {getpid()};
  options.attr.frequency_hz = 499;
  options.mmap_pages = 64;
  options.off_cpu = true;
  options.cpu_wide_clock = true;
  std::vector<std::string> notes;
  auto sampler = Sampler::Create(options, &notes);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  Sampler& s = **sampler;
  ASSERT_TRUE(s.cpu_wide_clock()) << (notes.empty() ? "" : notes.back());
  const size_t cpus = OnlineCpus().size();
  EXPECT_EQ(s.event_count(), s.thread_count() * cpus + cpus);
  ASSERT_TRUE(s.Enable().ok());
  std::string exe;
  void* text = MapOwnExecutable(&exe);
  ASSERT_NE(text, nullptr);
  int ours = 0, childs = 0, duplicates = 0, malformed = 0, switch_samples = 0;
  bool mmap_seen = false;
  auto drain = [&] {
    s.Drain([&](const perf_event_header* h) {
      auto parsed = ParseRecord(h, s.layout());
      if (!parsed) {
        ++malformed;
        return;
      }
      if (auto* r = std::get_if<SampleRecord>(&*parsed)) {
        if (s.IsDuplicate(r->id, r->sample.tid)) ++duplicates;
        if (s.IsSwitchEvent(r->id)) {
          ++switch_samples;
          EXPECT_FALSE(s.IsCpuWide(r->id));
          EXPECT_EQ(r->sample.pid, static_cast<uint32_t>(getpid()));
          return;
        }
        EXPECT_TRUE(s.IsCpuWide(r->id));
        if (r->sample.tid == static_cast<uint32_t>(burn_tid.load())) ++ours;
        if (r->sample.pid == static_cast<uint32_t>(child)) ++childs;
      } else if (auto* m = std::get_if<MmapRecord>(&*parsed)) {
        EXPECT_EQ(m->pid, static_cast<uint32_t>(getpid()));  // never another process's
        if (m->filename == exe) mmap_seen = true;
      }
    });
  };
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < end) {
    s.Wait(20);
    drain();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a switch-out or two
  }
  s.Disable();
  drain();
  g_stop = true;
  burn.join();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  munmap(text, 4096);
  EXPECT_EQ(malformed, 0);
  EXPECT_EQ(duplicates, 0);
  EXPECT_GT(ours, 20);
  EXPECT_GT(childs, 20);
  EXPECT_GT(switch_samples, 100);
  EXPECT_TRUE(mmap_seen);
}

TEST(SamplerTest, MissingProcessIsNotFound) {
  Sampler::Options options;
  options.pids = {1073741000};
  std::vector<std::string> notes;
  auto sampler = Sampler::Create(options, &notes);
  ASSERT_FALSE(sampler.ok());
  EXPECT_TRUE(absl::IsNotFound(sampler.status())) << sampler.status();
}

TEST(SamplerTest, FrequencyAboveTheLimitIsInvalid) {
  Sampler::Options options;
  options.pids = {getpid()};
  options.attr.frequency_hz = MaxSampleRate() + 1;
  std::vector<std::string> notes;
  auto sampler = Sampler::Create(options, &notes);
  ASSERT_FALSE(sampler.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(sampler.status())) << sampler.status();
}

}  // namespace
}  // namespace stackfire::perf
