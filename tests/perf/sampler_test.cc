// The sampler against the live kernel, on this test process itself: samples
// arrive through one ring per CPU, carry the right thread, and threads born
// after Create() are followed through inherit. Skips only where
// perf_event_open is refused.
#include "src/perf/sampler.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  ASSERT_GT(n, 0);
  exe[n] = '\0';
  const int fd = open(exe, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  void* text = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  ASSERT_NE(text, MAP_FAILED);
  close(fd);
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
  EXPECT_NE(std::find(d.mmapped_files.begin(), d.mmapped_files.end(), std::string(exe)),
            d.mmapped_files.end());
  EXPECT_EQ((*sampler)->corrupt_bytes(), 0u);
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
