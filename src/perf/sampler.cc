#include "src/perf/sampler.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/proc/threads.h"
#include "stackfire/status_macros.h"

namespace stackfire::perf {
namespace {

int PerfEventOpen(perf_event_attr* attr, int tid, int cpu) {
  return static_cast<int>(
      ::syscall(SYS_perf_event_open, attr, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

std::string SwitchStacksNote() {
  return "kernel.perf_event_paranoid forbids sampling in the kernel, where threads switch: "
         "off-CPU time is recorded without its stacks (they need "
         "kernel.perf_event_paranoid <= 1, CAP_PERFMON or root)";
}

void RaiseFdLimit() {
  rlimit lim;
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

std::vector<int> OnlineCpus() {
  std::vector<int> cpus;
  std::ifstream in("/sys/devices/system/cpu/online");
  std::string text;
  if (in >> text) {
    for (absl::string_view range : absl::StrSplit(text, ',')) {
      std::vector<absl::string_view> ends = absl::StrSplit(range, '-');
      int lo = 0, hi = 0;
      if (!absl::SimpleAtoi(ends[0], &lo)) continue;
      hi = lo;
      if (ends.size() > 1 && !absl::SimpleAtoi(ends[1], &hi)) continue;
      for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    }
  }
  if (cpus.empty()) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < (n > 0 ? n : 1); ++c) cpus.push_back(static_cast<int>(c));
  }
  return cpus;
}

absl::StatusOr<std::unique_ptr<Sampler>> Sampler::Create(const Options& options,
                                                         std::vector<std::string>* notes) {
  if (options.pids.empty()) return absl::InvalidArgumentError("no process to sample");
  const uint64_t max_rate = MaxSampleRate();
  if (options.attr.frequency_hz == 0) {
    return absl::InvalidArgumentError("the sampling frequency must be at least 1 Hz");
  }
  if (max_rate != 0 && options.attr.frequency_hz > max_rate) {
    return absl::InvalidArgumentError(
        absl::StrCat("-F ", options.attr.frequency_hz,
                     " Hz is above the kernel's limit of ", max_rate, " Hz"));
  }
  RaiseFdLimit();
  std::unique_ptr<Sampler> s(new Sampler);
  AttrOptions attr_options = options.attr;
  if (!attr_options.exclude_kernel && KernelSamplesForbidden()) {
    attr_options.exclude_kernel = true;
    notes->push_back(
        "kernel.perf_event_paranoid forbids kernel samples; recording user space only");
  }
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  if (attr_options.wakeup_bytes == 0) {
    attr_options.wakeup_bytes = static_cast<uint32_t>(options.mmap_pages * page / 4);
  }
  s->attr_ = BuildAttr(attr_options);
  s->off_cpu_ = options.off_cpu;
  if (options.off_cpu) {
    const bool kernel_samples = !KernelSamplesForbidden();
    s->switch_attr_ = BuildSwitchAttr(attr_options, kernel_samples);
    if (!kernel_samples) notes->push_back(SwitchStacksNote());
  }
  s->event_ = attr_options.event;
  s->layout_ = SampleLayout{s->attr_.sample_type, s->attr_.sample_regs_user};
  s->mmap_pages_ = options.mmap_pages;
  s->cpus_ = OnlineCpus();
  s->ring_fd_.assign(s->cpus_.size(), -1);
  if (options.off_cpu && options.cpu_wide_clock && s->OpenCpuWide(notes)) {
    // The switch event follows the target's threads: it sends the maps,
    // names and births the clock sent.
    s->switch_attr_.mmap = s->attr_.mmap;
    s->switch_attr_.mmap2 = s->attr_.mmap2;
    s->switch_attr_.build_id = s->attr_.build_id;
    s->switch_attr_.comm = s->attr_.comm;
    s->switch_attr_.comm_exec = s->attr_.comm_exec;
    s->switch_attr_.task = s->attr_.task;
  }

  for (int pid : options.pids) {
    ASSIGN_OR_RETURN(std::vector<proc::ThreadInfo> threads, proc::ListThreads(pid));
    size_t before = s->direct_tids_.size();
    // Scan again until no new thread shows up, so threads created while we
    // were attaching are not missed.
    for (int round = 0; round < 8; ++round) {
      size_t added = 0;
      for (const proc::ThreadInfo& t : threads) {
        if (s->direct_tids_.contains(static_cast<uint32_t>(t.tid))) continue;
        absl::Status st = s->OpenThread(t.tid, notes);
        if (absl::IsNotFound(st)) continue;  // the thread exited meanwhile
        RETURN_IF_ERROR(st);
        ++added;
      }
      if (added == 0 && round > 0) break;
      auto again = proc::ListThreads(pid);
      if (!again.ok()) break;
      threads = *std::move(again);
    }
    if (s->direct_tids_.size() == before) {
      return absl::NotFoundError(absl::StrCat("no such process: pid ", pid));
    }
  }
  return s;
}

bool Sampler::OpenCpuWide(std::vector<std::string>* notes) {
  perf_event_attr attr = attr_;
  // cpu-clock: on a CPU, task-clock and cpu-clock count the same time.
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  attr.inherit = 0;
  attr.enable_on_exec = 0;
  attr.mmap = attr.mmap2 = attr.build_id = 0;
  attr.comm = attr.comm_exec = attr.task = 0;
  std::vector<ScopedFd> opened;
  int err = 0;
  for (size_t i = 0; i < cpus_.size() && err == 0; ++i) {
    const int fd = PerfEventOpen(&attr, -1, cpus_[i]);
    if (fd < 0) {
      err = errno;
    } else {
      opened.emplace_back(fd);
    }
  }
  auto refused = [&](const std::string& why) {
    notes->push_back(absl::StrCat(
        "--off-cpu: the clock is per thread (", why,
        "): it adds to the target's cost at each of its context switches; one clock per CPU "
        "needs root, CAP_PERFMON or kernel.perf_event_paranoid <= 0"));
    return false;
  };
  if (err != 0) {
    return refused(absl::StrCat("a CPU-wide event was refused: ", std::strerror(err)));
  }
  std::vector<RingBuffer> rings;
  std::vector<uint64_t> ids;
  for (ScopedFd& fd : opened) {
    auto ring = RingBuffer::Map(fd.get(), mmap_pages_);
    uint64_t id = 0;
    if (!ring.ok() || ::ioctl(fd.get(), PERF_EVENT_IOC_ID, &id) != 0) {
      return refused(ring.ok() ? "PERF_EVENT_IOC_ID failed" : std::string(ring.status().message()));
    }
    rings.push_back(*std::move(ring));
    ids.push_back(id);
  }
  for (size_t i = 0; i < opened.size(); ++i) {
    ring_fd_[i] = opened[i].get();
    cpu_wide_fds_.push_back(opened[i].get());
    cpu_wide_ids_.insert(ids[i]);
    rings_.push_back(std::move(rings[i]));
    fds_.push_back(std::move(opened[i]));
  }
  return true;
}

absl::Status Sampler::OpenThread(int tid, std::vector<std::string>* notes) {
  // Per CPU index i: the clock event at [i] (none with a CPU-wide clock),
  // then the switch event (off-CPU) at [clocks + i].
  std::vector<ScopedFd> opened;
  const size_t clocks = cpu_wide_fds_.empty() ? cpus_.size() : 0;
  for (size_t i = 0; i < clocks; ++i) {
    ScopedFd fd;
    RETURN_IF_ERROR(OpenOne(tid, i, &fd, notes));
    opened.push_back(std::move(fd));
  }
  for (size_t i = 0; off_cpu_ && i < cpus_.size(); ++i) {
    ScopedFd fd;
    RETURN_IF_ERROR(OpenSwitch(tid, i, &fd, notes));
    opened.push_back(std::move(fd));
  }
  for (size_t k = 0; k < opened.size(); ++k) {
    const size_t i = k % cpus_.size();
    const int fd = opened[k].get();
    if (ring_fd_[i] < 0) {
      ASSIGN_OR_RETURN(RingBuffer ring, RingBuffer::Map(fd, mmap_pages_));
      rings_.push_back(std::move(ring));
      ring_fd_[i] = fd;
    } else if (::ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring_fd_[i]) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("PERF_EVENT_IOC_SET_OUTPUT (tid ", tid, ")"));
    }
    uint64_t id = 0;
    if (::ioctl(fd, PERF_EVENT_IOC_ID, &id) == 0) {
      id_owner_[id] = static_cast<uint32_t>(tid);
      if (k >= clocks) switch_ids_.insert(id);
    }
    fds_.push_back(std::move(opened[k]));
  }
  direct_tids_.insert(static_cast<uint32_t>(tid));
  return absl::OkStatus();
}

absl::Status Sampler::OpenOne(int tid, size_t cpu_index, ScopedFd* out,
                              std::vector<std::string>* notes) {
  for (;;) {
    int fd = PerfEventOpen(&attr_, tid, cpus_[cpu_index]);
    if (fd >= 0) {
      out->reset(fd);
      return absl::OkStatus();
    }
    const int err = errno;
    if (err == ESRCH) return absl::NotFoundError(absl::StrCat("thread ", tid, " is gone"));
    if ((err == EACCES || err == EPERM) && !attr_.exclude_kernel) {
      attr_.exclude_kernel = 1;
      notes->push_back("kernel samples refused; recording user space only");
      continue;
    }
    if ((err == ENOENT || err == EOPNOTSUPP || err == ENODEV) && attr_.type != PERF_TYPE_SOFTWARE) {
      notes->push_back(absl::StrCat("the ", event_.name,
                                    " event is not supported here; falling back to cpu-clock"));
      const bool user_only = event_.exclude_kernel;
      event_ = CpuClockEvent();
      event_.exclude_kernel = user_only;
      attr_.type = event_.type;
      attr_.config = event_.config;
      continue;
    }
    return ErrorOf(err, tid, cpu_index, event_.name, attr_.freq != 0);
  }
}

absl::Status Sampler::OpenSwitch(int tid, size_t cpu_index, ScopedFd* out,
                                 std::vector<std::string>* notes) {
  for (;;) {
    int fd = PerfEventOpen(&switch_attr_, tid, cpus_[cpu_index]);
    if (fd >= 0) {
      out->reset(fd);
      return absl::OkStatus();
    }
    const int err = errno;
    if (err == ESRCH) return absl::NotFoundError(absl::StrCat("thread ", tid, " is gone"));
    if ((err == EACCES || err == EPERM) && !switch_attr_.exclude_kernel) {
      switch_attr_.exclude_kernel = 1;
      switch_attr_.exclude_callchain_kernel = 0;
      notes->push_back(SwitchStacksNote());
      continue;
    }
    return ErrorOf(err, tid, cpu_index, "context-switches (--off-cpu)", false);
  }
}

absl::Status Sampler::ErrorOf(int err, int tid, size_t cpu_index, const std::string& event,
                              bool by_rate) const {
  const std::string what = absl::StrCat("perf_event_open(tid ", tid, ", cpu ", cpus_[cpu_index],
                                        ", event ", event, ")");
  if (err == EACCES || err == EPERM) {
    return absl::PermissionDeniedError(absl::StrCat(what, " refused: ", std::strerror(err)));
  }
  if (err == EINVAL && by_rate) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": invalid argument (is -F ", attr_.sample_freq,
        " Hz above kernel.perf_event_max_sample_rate, currently ", MaxSampleRate(), "?)"));
  }
  if (err == EMFILE || err == ENFILE) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": too many open files"));
  }
  return absl::ErrnoToStatus(err, what);
}

absl::Status Sampler::Enable() {
  for (const ScopedFd& fd : fds_) {
    if (::ioctl(fd.get(), PERF_EVENT_IOC_ENABLE, 0) != 0) {
      return absl::ErrnoToStatus(errno, "PERF_EVENT_IOC_ENABLE");
    }
  }
  return absl::OkStatus();
}

absl::Status Sampler::EnableCpuWide() {
  for (int fd : cpu_wide_fds_) {
    if (::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
      return absl::ErrnoToStatus(errno, "PERF_EVENT_IOC_ENABLE");
    }
  }
  return absl::OkStatus();
}

void Sampler::Disable() {
  for (const ScopedFd& fd : fds_) ::ioctl(fd.get(), PERF_EVENT_IOC_DISABLE, 0);
}

void Sampler::Wait(int timeout_ms) {
  if (hup_seen_) {
    // Events of exited threads report POLLHUP forever; poll would spin.
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
    return;
  }
  std::vector<pollfd> pfds;
  for (int fd : ring_fd_) {
    if (fd >= 0) pfds.push_back(pollfd{fd, POLLIN, 0});
  }
  int n = ::poll(pfds.data(), pfds.size(), timeout_ms);
  if (n <= 0) return;
  for (const pollfd& p : pfds) {
    if (p.revents & (POLLHUP | POLLERR)) hup_seen_ = true;
  }
}

size_t Sampler::Drain(const std::function<void(const perf_event_header*)>& fn, bool* all_read) {
  constexpr size_t kMaxPerRing = 100000;
  size_t count = 0;
  if (all_read != nullptr) *all_read = true;
  for (RingBuffer& ring : rings_) {
    // Bounded per ring, so a busy CPU cannot starve the others.
    size_t i = 0;
    for (; i < kMaxPerRing; ++i) {
      const perf_event_header* h = ring.ReadRecord();
      if (h == nullptr) break;
      fn(h);
      ++count;
    }
    if (i == kMaxPerRing && all_read != nullptr) *all_read = false;
    ring.Consume();
  }
  return count;
}

bool Sampler::IsDuplicate(uint64_t id, uint32_t tid) const {
  if (!direct_tids_.contains(tid) || cpu_wide_ids_.contains(id)) return false;
  auto it = id_owner_.find(id);
  return it == id_owner_.end() || it->second != tid;
}

uint64_t Sampler::corrupt_bytes() const {
  uint64_t total = 0;
  for (const RingBuffer& r : rings_) total += r.corrupt_bytes();
  return total;
}

}  // namespace stackfire::perf
