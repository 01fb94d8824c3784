// See record_config.h.
#include "src/record/record_config.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "stackfire/hint.h"
#include "stackfire/status_macros.h"

namespace stackfire::record {
namespace {

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

// Warns when the ring cannot hold one sample: the kernel then drops them all.
void CheckRate(const RecordConfig& c, const SystemLimits& limits,
               std::vector<std::string>* warnings) {
  const size_t sample = SampleBytesEstimate(c.attr);
  const size_t ring = c.mmap_pages * limits.page_size;
  if (ring < sample) {
    // Room for a few samples between two reads.
    const size_t suggested =
        std::bit_ceil((4 * sample + limits.page_size - 1) / limits.page_size);
    warnings->push_back(absl::StrFormat(
        "--mmap-pages %zu (%zu KiB per CPU) cannot hold one sample (up to %zu KiB): the kernel "
        "will drop every sample; use -m %zu or more",
        c.mmap_pages, ring / 1024, (sample + 1023) / 1024, suggested));
  }
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
  if (request.frequency_hz == 0) {
    return Usage("-F must be at least 1 Hz", RateHint(limits.max_sample_rate));
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
  c.attr.exclude_kernel = request.no_kernel;
  c.per_thread = request.per_thread;
  c.per_pid = request.per_pid || c.pids.size() > 1;
  CheckRate(c, limits, &c.warnings);
  return c;
}

}  // namespace stackfire::record
