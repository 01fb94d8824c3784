// See record_config.h.
#include "src/record/record_config.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "stackfire/hint.h"
#include "stackfire/status_macros.h"

namespace stackfire::record {
namespace {

// The drain thread must read a ring before one busy thread fills it: this is
// how long it may be late (the drain loop's own poll period; a loaded
// machine can keep it off the CPU that long).
constexpr double kDrainBudgetSeconds = 0.025;

absl::Status Usage(std::string message, std::string_view hint = {}) {
  return WithHint(absl::InvalidArgumentError(message), hint);
}

absl::StatusOr<std::vector<int>> ParsePids(const std::string& text) {
  std::vector<int> pids;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    int pid = 0;
    if (!absl::SimpleAtoi(part, &pid) || pid <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("-p: '", std::string(part), "' is not a process id"));
    }
    if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
  }
  if (pids.empty()) return absl::InvalidArgumentError("-p: no process id given");
  return pids;
}

// Two -o naming one file would race to write it: the same path, spelled the
// same or not (./x.svg, dir/../x.svg), or two names of one existing file.
absl::Status CheckDistinctOutputs(const std::vector<std::string>& outputs) {
  namespace fs = std::filesystem;
  struct Seen {
    const std::string* given;
    fs::path normal;
    bool exists;
    struct stat st;
  };
  std::vector<Seen> seen;
  for (const std::string& path : outputs) {
    if (path == "-") continue;  // stdout: ResolveRecordOutputs says it twice
    std::error_code ec;
    Seen s{&path, fs::absolute(path, ec).lexically_normal(), false, {}};
    if (ec) s.normal = fs::path(path).lexically_normal();
    s.exists = ::stat(path.c_str(), &s.st) == 0;
    for (const Seen& o : seen) {
      const bool same_file =
          s.exists && o.exists && s.st.st_dev == o.st.st_dev && s.st.st_ino == o.st.st_ino;
      if (o.normal != s.normal && !same_file) continue;
      const std::string message =
          *o.given == path ? absl::StrCat("-o ", path, " is given twice")
                           : absl::StrCat("-o ", *o.given, " and -o ", path, " are the same file");
      return Usage(message,
                   "give each output once; several outputs need names of their own, e.g. "
                   "-o flame.svg -o profile.pb.gz");
    }
    seen.push_back(s);
  }
  return absl::OkStatus();
}

// A rate to suggest at or below limit: odd, so as not to sample in step
// with periodic work (99, 999, 4299).
uint64_t SuggestedRate(uint64_t limit) {
  if (limit >= 200) return limit - limit % 100 - 1;
  return std::max<uint64_t>(limit, 1);
}

// Warns when the rate cannot be sustained: one busy thread would fill its
// CPU's ring faster than the drain thread is sure to read it, or the rate
// is within a factor of two of the kernel's limit, where the kernel
// throttles an event whenever a burst of its samples goes past the budget
// of a tick (kernel.perf_event_max_sample_rate / HZ per tick).
void CheckRate(const RecordConfig& c, const SystemLimits& limits,
               std::vector<std::string>* warnings) {
  const size_t sample = SampleBytesEstimate(c.attr);
  const size_t ring = c.mmap_pages * limits.page_size;
  if (ring < sample) {
    // Room for a few samples between two reads.
    const size_t suggested = std::bit_ceil((4 * sample + limits.page_size - 1) / limits.page_size);
    warnings->push_back(absl::StrFormat(
        "--mmap-pages %zu (%zu KiB per CPU) cannot hold one sample (up to %zu KiB): the kernel "
        "will drop every sample; use -m %zu or more",
        c.mmap_pages, ring / 1024, (sample + 1023) / 1024, suggested));
    return;
  }
  const uint64_t hz = c.attr.frequency_hz;
  const uint64_t ring_rate =
      static_cast<uint64_t>(static_cast<double>(ring / sample) / kDrainBudgetSeconds);
  const uint64_t kernel_rate = limits.max_sample_rate > 0 ? limits.max_sample_rate / 2 : UINT64_MAX;
  const bool ring_short = hz > ring_rate;
  const bool kernel_short = hz > kernel_rate;
  if (!ring_short && !kernel_short) return;
  const std::string ring_text = absl::StrFormat(
      "one busy thread would fill its CPU's %zu KiB ring in %.1f ms (about %zu KiB a sample)",
      ring / 1024, 1e3 * static_cast<double>(ring / sample) / static_cast<double>(hz),
      (sample + 1023) / 1024);
  std::string warning;
  if (kernel_short) {
    warning = absl::StrCat("-F ", hz,
                           " is more than half the kernel's limit "
                           "(kernel.perf_event_max_sample_rate = ",
                           limits.max_sample_rate,
                           "): the kernel will throttle sampling and samples will be lost");
    if (ring_short) absl::StrAppend(&warning, ", and ", ring_text);
  } else {
    warning = absl::StrCat("-F ", hz, ": ", ring_text,
                           "; samples are lost whenever stackfire reads it later than that");
  }
  absl::StrAppend(&warning, "; use -F ", SuggestedRate(std::min(ring_rate, kernel_rate)),
                  " or lower");
  if (!kernel_short) {
    // The ring that holds this rate for the drain budget.
    const double bytes =
        static_cast<double>(hz) * kDrainBudgetSeconds * static_cast<double>(sample);
    const size_t pages =
        std::bit_ceil(static_cast<size_t>(bytes / static_cast<double>(limits.page_size)) + 1);
    absl::StrAppend(&warning, ", or -m ", pages, " to keep this rate");
  }
  warnings->push_back(std::move(warning));
}

}  // namespace

std::string RateHint(uint64_t max_rate) {
  return absl::StrCat("lower -F, or raise kernel.perf_event_max_sample_rate (now ", max_rate,
                      ", read /proc/sys/kernel/perf_event_max_sample_rate; "
                      "sysctl -w kernel.perf_event_max_sample_rate=N)");
}

SystemLimits SystemLimits::Read() {
  SystemLimits limits;
  limits.max_sample_rate = perf::MaxSampleRate();
  limits.page_size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return limits;
}

size_t SampleBytesEstimate(const perf::AttrOptions& attr) {
  size_t bytes = 512 + 128 * 8;  // header, ids, regs; a full kernel callchain
  if (attr.call_graph == perf::CallGraph::kDwarf) bytes += attr.stack_bytes + 16;
  return bytes;
}

absl::StatusOr<RecordConfig> RecordConfig::Create(const RecordRequest& request,
                                                  const SystemLimits& limits) {
  RecordConfig c;
  const bool have_pids = !request.pids.empty();
  if (have_pids == !request.command.empty()) {
    return Usage("give either -p PID[,PID...] or -- COMMAND [ARGS...]",
                 "stackfire record -p 1234, or stackfire record -- ./my_program arg");
  }
  if (have_pids) {
    ASSIGN_OR_RETURN(c.pids, ParsePids(request.pids));
  } else {
    c.command = request.command;
  }
  auto event = perf::ParseEvent(request.event);
  if (!event.ok()) {
    return WithHint(event.status(), "try -e cpu-clock or -e task-clock");
  }
  c.attr.event = *event;
  c.event_name = request.event;
  if (request.off_cpu && !(event->type == PERF_TYPE_SOFTWARE &&
                           (event->config == PERF_COUNT_SW_CPU_CLOCK ||
                            event->config == PERF_COUNT_SW_TASK_CLOCK))) {
    return Usage(absl::StrCat("--off-cpu weighs on-CPU samples by their time: -e ", request.event,
                              " does not count time"),
                 "use -e cpu-clock (the default) or -e task-clock with --off-cpu");
  }
  c.off_cpu = request.off_cpu;
  if (request.off_cpu_stack_hz > 0 && !request.off_cpu) {
    return Usage("--off-cpu-stack-rate applies to --off-cpu recordings");
  }
  if (limits.max_sample_rate != 0 && request.off_cpu_stack_hz > limits.max_sample_rate) {
    return Usage(absl::StrCat("--off-cpu-stack-rate ", request.off_cpu_stack_hz,
                              " Hz is above the kernel's limit of ", limits.max_sample_rate,
                              " Hz"),
                 RateHint(limits.max_sample_rate));
  }
  c.off_cpu_stack_hz = request.off_cpu_stack_hz;
  if (request.per_thread_clock && !request.off_cpu) {
    return Usage("--per-thread-clock applies to --off-cpu recordings",
                 "without --off-cpu the clock is always per thread");
  }
  c.per_thread_clock = request.per_thread_clock;
  c.attr.switch_stack_hz = request.off_cpu_stack_hz;
  if (request.frequency_hz == 0) {
    return Usage("-F must be at least 1 Hz",
                 "-F is samples per second per thread: e.g. -F 99 (the default) or -F 999");
  }
  if (limits.max_sample_rate != 0 && request.frequency_hz > limits.max_sample_rate) {
    return Usage(absl::StrCat("-F ", request.frequency_hz, " Hz is above the kernel's limit of ",
                              limits.max_sample_rate, " Hz"),
                 RateHint(limits.max_sample_rate));
  }
  c.attr.frequency_hz = request.frequency_hz;
  ASSIGN_OR_RETURN(const perf::CallGraphSpec call_graph, perf::ParseCallGraph(request.call_graph));
  c.attr.call_graph = call_graph.mode;
  c.attr.stack_bytes = call_graph.stack_bytes;
  c.attr.switch_stack_bytes = call_graph.switch_stack_bytes;
  const size_t pages = request.mmap_pages;
  if (pages == 0 || (pages & (pages - 1)) != 0) {
    return Usage(absl::StrCat("--mmap-pages ", pages, " is not a power of two"),
                 "e.g. -m 256 (1 MiB per CPU)");
  }
  c.mmap_pages = pages;
  std::optional<unwind::UnwinderKind> unwinder = unwind::ParseUnwinderKind(request.unwinder);
  if (!unwinder) {
    return Usage(
        absl::StrCat("--unwinder: '", request.unwinder, "' is not table, libunwind or verify"));
  }
  c.unwinder = *unwinder;
  if (request.duration_s < 0) return Usage("-d must not be negative");
  c.duration_s = request.duration_s;
  RETURN_IF_ERROR(CheckDistinctOutputs(request.outputs));
  c.attr.exclude_kernel = request.no_kernel;
  c.per_thread = request.per_thread;
  c.per_pid = request.per_pid || c.pids.size() > 1;
  if (request.unnamed != "address" && request.unnamed != "module") {
    return Usage(absl::StrCat("--unnamed: '", request.unnamed, "' is not address or module"),
                 "--unnamed address names code without symbols lib.so+0xSTART, --unnamed module "
                 "[lib.so]");
  }
  c.unnamed_by_address = request.unnamed == "address";
  c.debuginfod = !request.no_debuginfod;
  if (!request.user.empty()) {
    if (!c.launches()) {
      return Usage("--user applies to a launched command (after --), not to -p");
    }
    absl::StatusOr<RunAs> as = LookUpUser(request.user);
    if (!as.ok()) return as.status();
    c.run_as = *std::move(as);
  }
  CheckRate(c, limits, &c.warnings);
  return c;
}

absl::StatusOr<RunAs> LookUpUser(const std::string& user) {
  std::vector<char> buf(16384);
  passwd pw;
  passwd* found = nullptr;
  uint64_t uid = 0;
  const bool numeric = absl::SimpleAtoi(user, &uid);
  const int rc = numeric ? ::getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &found)
                         : ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found == nullptr) {
    if (rc != 0) return absl::ErrnoToStatus(rc, absl::StrCat("--user ", user));
    return WithHint(absl::InvalidArgumentError(absl::StrCat("--user: no user '", user, "'")),
                    "give a user name or uid from the password database (getent passwd)");
  }
  return RunAs{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir != nullptr ? pw.pw_dir : ""};
}

}  // namespace stackfire::record
