// Opens the sampling events on every thread of the target processes and
// reads their ring buffers.
//
// One event per (thread, CPU), each with inherit = 1, so that threads and
// processes the target creates later are followed by the kernel. An
// inherited event with cpu = -1 cannot be mmapped, hence per-CPU events: the
// first event on each CPU owns that CPU's ring, every other one is pointed at
// it with PERF_EVENT_IOC_SET_OUTPUT (what `perf record -p` does).
// /proc/PID/task is scanned again after opening to catch threads born during
// the attach. Such a thread may also carry an event inherited from its
// creator; its samples then arrive twice, and IsDuplicate() tells which copy
// to drop (PERF_SAMPLE_IDENTIFIER names the parent event for inherited ones).
//
// With Options::off_cpu, a second event per (thread, CPU) samples every
// switch-out and sends PERF_RECORD_SWITCH records (event_attr.h,
// BuildSwitchAttr) into the same ring. IsSwitchEvent() tells its samples
// from the clock's by their IDENTIFIER. Where the kernel refuses its
// kernel-mode samples (kernel.perf_event_paranoid >= 2 without
// CAP_PERFMON), it is opened for the SWITCH records alone, with a note:
// off-CPU time is still measured, without the stacks.
//
// With Options::cpu_wide_clock (off-CPU recordings), the clock is one event
// per CPU (pid -1) instead of one per (thread, CPU): a per-thread clock's
// timer is stopped and restarted at every switch of a target thread, which
// on a switch-heavy target costs more than the switches' own samples
// (measured: 1.18x slowdown of a 55k switches/s ping-pong for a 99 Hz
// per-thread clock, none for a per-CPU one). It owns each CPU's ring; it
// samples whatever runs there, so IsCpuWide() samples must be kept only for
// the target's processes (the pipeline does, from the FORK records), and
// the per-thread switch event sends the MMAP2/COMM/FORK records instead. It
// needs CPU-wide events (root, CAP_PERFMON, or perf_event_paranoid <= 0);
// where refused, the clock is per thread, with a note.
//
// Threading: Create/Enable/Disable on one thread; Wait/Drain on the drain
// thread only.
#ifndef STACKFIRE_SRC_PERF_SAMPLER_H_
#define STACKFIRE_SRC_PERF_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "src/perf/event_attr.h"
#include "src/perf/record_parser.h"
#include "src/perf/ring_buffer.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::perf {

inline constexpr size_t kDefaultMmapPages = 256;  // 1 MiB per CPU

class Sampler {
 public:
  struct Options {
    std::vector<int> pids;
    AttrOptions attr;
    size_t mmap_pages = kDefaultMmapPages;  // data pages per CPU, a power of two
    bool off_cpu = false;                   // also open the switch event
    bool cpu_wide_clock = false;            // off_cpu: one clock per CPU (see above)
  };

  // Errors: kNotFound (a pid with no thread left), kPermissionDenied,
  // kInvalidArgument (e.g. -F above the kernel's limit), kResourceExhausted.
  // Messages (the event fallback, kernel samples dropped) go to *notes.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Sampler>> Create(
      const Options& options, std::vector<std::string>* notes);

  absl::Status Enable();
  // Only the CPU-wide clock (a launched command's other events start at its
  // exec, attr.enable_on_exec); nothing without one.
  absl::Status EnableCpuWide();
  void Disable();

  // Blocks up to timeout_ms for data in any ring.
  void Wait(int timeout_ms);
  // Hands every available record of every ring to fn, then releases them.
  // Returns the number of records. *all_read (when given) is false when a
  // ring still held records after the per-ring bound of one call.
  size_t Drain(const std::function<void(const perf_event_header*)>& fn,
               bool* all_read = nullptr);

  bool IsDuplicate(uint64_t id, uint32_t tid) const;
  // True for the samples and records of the off-CPU event (Options::off_cpu).
  bool IsSwitchEvent(uint64_t id) const { return switch_ids_.contains(id); }
  // True for the samples of the CPU-wide clock (any process's).
  bool IsCpuWide(uint64_t id) const { return cpu_wide_ids_.contains(id); }
  bool cpu_wide_clock() const { return !cpu_wide_fds_.empty(); }
  // Off-CPU: whether switch-outs come with a stack (see above).
  bool switch_stacks() const { return switch_attr_.exclude_kernel == 0; }
  const SampleLayout& layout() const { return layout_; }
  const EventSpec& event() const { return event_; }
  bool kernel_excluded() const { return attr_.exclude_kernel != 0; }
  size_t thread_count() const { return direct_tids_.size(); }
  size_t event_count() const { return fds_.size(); }
  uint64_t corrupt_bytes() const;

 private:
  Sampler() = default;
  absl::Status OpenThread(int tid, std::vector<std::string>* notes);
  absl::Status OpenOne(int tid, size_t cpu_index, ScopedFd* out, std::vector<std::string>* notes);
  absl::Status OpenSwitch(int tid, size_t cpu_index, ScopedFd* out,
                          std::vector<std::string>* notes);
  // Opens the clock on every CPU; false (nothing kept open) when refused.
  bool OpenCpuWide(std::vector<std::string>* notes);
  absl::Status ErrorOf(int err, int tid, size_t cpu_index, const std::string& event,
                       bool by_rate) const;

  perf_event_attr attr_{};
  bool off_cpu_ = false;
  perf_event_attr switch_attr_{};
  EventSpec event_;
  SampleLayout layout_;
  size_t mmap_pages_ = kDefaultMmapPages;
  std::vector<int> cpus_;
  std::vector<ScopedFd> fds_;
  std::vector<int> ring_fd_;  // per cpu index: the fd that owns the ring, or -1
  std::vector<RingBuffer> rings_;
  absl::flat_hash_map<uint64_t, uint32_t> id_owner_;
  absl::flat_hash_set<uint64_t> switch_ids_;
  absl::flat_hash_set<uint64_t> cpu_wide_ids_;
  std::vector<int> cpu_wide_fds_;  // also in fds_
  absl::flat_hash_set<uint32_t> direct_tids_;
  bool hup_seen_ = false;
};

// The online CPUs, from /sys/devices/system/cpu/online.
std::vector<int> OnlineCpus();

}  // namespace stackfire::perf

#endif  // STACKFIRE_SRC_PERF_SAMPLER_H_
