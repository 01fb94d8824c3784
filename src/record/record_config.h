// What `stackfire record` is asked to do, validated before anything starts:
// RecordRequest holds the flags as the user gave them, RecordConfig::Create
// checks them and turns them into what the session needs (targets, the
// perf_event attributes, the ring size, the unwinder), or says what is wrong
// with a hint (stackfire/hint.h). It opens no event and reads only two
// kernel settings, given through SystemLimits so that tests can pass their
// own: every choice here is unit-tested without perf_event_open, as
// Perfetto's EventConfig::Create is.
//
// Errors are kInvalidArgument (a usage error: exit status 2). Problems that
// do not stop the recording (a ring too small for the rate, a rate the
// kernel will throttle) are warnings, printed before sampling starts.
#ifndef STACKFIRE_SRC_RECORD_RECORD_CONFIG_H_
#define STACKFIRE_SRC_RECORD_RECORD_CONFIG_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/perf/event_attr.h"
#include "src/perf/sampler.h"
#include "src/unwind/unwinders.h"

namespace stackfire::record {

// The flags of `stackfire record`, unchecked.
struct RecordRequest {
  std::string pids;                             // -p "1234,5678"
  std::vector<std::string> command;             // everything after --
  uint64_t frequency_hz = 99;                   // -F
  double duration_s = 0;                        // -d; 0: until stopped or the targets exit
  std::string event = "cpu-clock";              // -e
  std::string call_graph = "dwarf";             // --call-graph
  size_t mmap_pages = perf::kDefaultMmapPages;  // -m
  std::string unwinder = "table";               // --unwinder
  bool per_thread = false;
  bool per_pid = false;
  bool no_kernel = false;
  bool off_cpu = false;  // --off-cpu: wall-clock profile
  uint64_t off_cpu_stack_hz = 0;  // --off-cpu-stack-rate: 0, a stack at every switch-out
  bool per_thread_clock = false;  // --per-thread-clock (with --off-cpu)
  std::vector<std::string> outputs;  // -o, as given (only checked: no file twice)
  std::string unnamed = "address";   // --unnamed: address or module
  bool no_debuginfod = false;        // --no-debuginfod
  std::string user;                  // --user: run the command as this user (name or uid)
};

// What the machine allows, read from /proc/sys/kernel and sysconf.
struct SystemLimits {
  uint64_t max_sample_rate = 0;  // kernel.perf_event_max_sample_rate; 0: unknown
  size_t page_size = 4096;
  static SystemLimits Read();
};

// Who a launched command runs as (--user), resolved from the password
// database when the configuration is made.
struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct RecordConfig {
  // kInvalidArgument, with a hint, for: neither or both of -p and a command,
  // a bad pid list, an unknown event, -F 0 or above the kernel's limit, a
  // bad --call-graph, -m not a power of two, an unknown unwinder, a
  // negative -d, one file given to -o twice, --unnamed other than address
  // or module, --off-cpu with an event that does not count time,
  // --off-cpu-stack-rate without --off-cpu or above the kernel's limit, and
  // --user without a command or naming no user.
  [[nodiscard]] static absl::StatusOr<RecordConfig> Create(
      const RecordRequest& request, const SystemLimits& limits = SystemLimits::Read());

  bool launches() const { return !command.empty(); }

  std::vector<int> pids;             // attach to these (distinct, in order), or
  std::vector<std::string> command;  // launch this
  perf::AttrOptions attr;            // event, -F, call graph, --no-kernel
  std::string event_name;            // -e as given, for the export model
  size_t mmap_pages = perf::kDefaultMmapPages;
  unwind::UnwinderKind unwinder = unwind::UnwinderKind::kTable;
  double duration_s = 0;
  bool per_thread = false;
  // Root stacks at "comm-pid": asked for, or several processes given.
  bool per_pid = false;
  // Wall-clock profile: off-CPU stacks weigh their time off CPU, on-CPU
  // samples their period, both in nanoseconds (pipeline.h).
  bool off_cpu = false;
  // --off-cpu-stack-rate HZ: the switch event samples about HZ
  // switch-outs a second per thread (attr.switch_stack_hz); the pipeline
  // gives the time of the others to their thread's sampled stacks
  // (PipelineOptions::off_cpu_sampled). 0: every switch-out.
  uint64_t off_cpu_stack_hz = 0;
  // --off-cpu: one clock per thread even where a CPU-wide one is allowed
  // (perf::Sampler::Options::cpu_wide_clock).
  bool per_thread_clock = false;
  // Code without symbols: "module+0xSTART" (true) or "[module]" (false).
  bool unnamed_by_address = true;
  // Fetch debug info from DEBUGINFOD_URLS (when it is set).
  bool debuginfod = true;
  // --user: the launched command runs with this user's ids and groups.
  std::optional<RunAs> run_as;
  // To print before sampling starts ("stackfire: warning: ...").
  std::vector<std::string> warnings;
};

// The user named by `user` (a name, or a numeric uid) in the password
// database; kInvalidArgument with a hint when there is none.
absl::StatusOr<RunAs> LookUpUser(const std::string& user);

// The hint for a rate the kernel refuses: lower -F or raise the limit
// (now max_rate).
std::string RateHint(uint64_t max_rate);

// The bytes one sample may take in the ring: header and ids, the
// registers, a full kernel callchain, and the stack copy.
size_t SampleBytesEstimate(const perf::AttrOptions& attr);

}  // namespace stackfire::record

#endif  // STACKFIRE_SRC_RECORD_RECORD_CONFIG_H_
