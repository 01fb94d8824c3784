#include "src/perf/event_attr.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "stackfire/hint.h"
#include "stackfire/raw_sample.h"

namespace stackfire::perf {

// perf order: AX BX CX DX SI DI BP SP IP FLAGS CS SS, then R8..R15 (bits 16-23).
const std::array<int, kRegsInSample> kPerfToDwarf = {
    kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRbp, kRsp, kRip, -1, -1, -1,
    kR8,  kR9,  kR10, kR11, kR12, kR13, kR14, kR15,
};
static_assert(__builtin_popcountll(kSampleRegsUser) == kRegsInSample);

namespace {

struct NamedEvent {
  const char* name;
  uint32_t type;
  uint64_t config;
};

constexpr NamedEvent kEvents[] = {
    {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES},
    {"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
    {"stalled-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"stalled-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
};

}  // namespace

EventSpec CpuClockEvent() { return EventSpec{}; }

absl::StatusOr<EventSpec> ParseEvent(std::string_view text) {
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(
      absl::string_view(text.data(), text.size())));
  bool user_only = false;
  if (size_t colon = name.find(':'); colon != std::string::npos) {
    const std::string modifier = name.substr(colon + 1);
    name.resize(colon);
    if (modifier == "u") {
      user_only = true;
    } else if (!modifier.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("event modifier ':", modifier, "' is not supported (only ':u')"));
    }
  }
  for (const NamedEvent& e : kEvents) {
    if (name == e.name) {
      EventSpec spec;
      spec.type = e.type;
      spec.config = e.config;
      spec.name = e.name;
      spec.exclude_kernel = user_only;
      return spec;
    }
  }
  std::string known;
  for (const NamedEvent& e : kEvents) absl::StrAppend(&known, known.empty() ? "" : ", ", e.name);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown event '", std::string(text), "'; known events: ", known));
}

absl::StatusOr<CallGraphSpec> ParseCallGraph(std::string_view text) {
  const absl::string_view flag(text.data(), text.size());
  std::vector<absl::string_view> parts = absl::StrSplit(flag, ',');
  CallGraphSpec spec;
  if (parts[0] == "fp" && parts.size() == 1) {
    spec.mode = CallGraph::kFramePointer;
    return spec;
  }
  if (parts[0] != "dwarf" || parts.size() > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("--call-graph: '", flag, "' is not dwarf[,BYTES] or fp"));
  }
  spec.mode = CallGraph::kDwarf;
  if (parts.size() == 2) {
    uint32_t bytes = 0;
    if (!absl::SimpleAtoi(parts[1], &bytes) || bytes == 0 || bytes % 8 != 0 ||
        bytes > kMaxStackBytes) {
      return WithHint(
          absl::InvalidArgumentError(absl::StrCat("--call-graph: bad stack size '", parts[1], "'")),
          absl::StrCat("a multiple of 8 up to ", kMaxStackBytes,
                       ", e.g. --call-graph dwarf,16384"));
    }
    spec.stack_bytes = bytes;
    spec.switch_stack_bytes = bytes;
  }
  return spec;
}

perf_event_attr BuildAttr(const AttrOptions& options) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = options.event.type;
  attr.config = options.event.config;
  attr.freq = 1;
  attr.sample_freq = options.frequency_hz;
  const bool dwarf = options.call_graph == CallGraph::kDwarf;
  attr.sample_type = dwarf ? kSampleType : kSampleTypeFp;
  if (dwarf) {
    attr.sample_regs_user = kSampleRegsUser;
    uint32_t bytes = options.stack_bytes == 0 ? kDefaultStackBytes : options.stack_bytes;
    if (bytes > kMaxStackBytes) bytes = kMaxStackBytes;
    attr.sample_stack_user = bytes & ~7u;
  }
  attr.disabled = 1;
  attr.inherit = 1;
  attr.exclude_kernel = options.exclude_kernel || options.event.exclude_kernel;
  attr.exclude_hv = 1;
  attr.exclude_guest = 1;
  attr.mmap = 1;
  attr.mmap2 = 1;
  attr.build_id = 1;  // MMAP2 carries the build-id: caches are keyed by it
  attr.comm = 1;
  attr.comm_exec = 1;
  attr.task = 1;
  attr.sample_id_all = 1;
  // Sample times on CLOCK_MONOTONIC (std::chrono::steady_clock), so that a
  // sample's time can be placed against the recording's start and intervals.
  attr.use_clockid = 1;
  attr.clockid = CLOCK_MONOTONIC;
  attr.enable_on_exec = options.enable_on_exec;
  if (options.wakeup_bytes > 0) {
    attr.watermark = 1;
    attr.wakeup_watermark = options.wakeup_bytes;
  } else {
    attr.wakeup_events = 1;
  }
  return attr;
}

perf_event_attr BuildSwitchAttr(const AttrOptions& options, bool kernel_samples) {
  perf_event_attr attr = BuildAttr(options);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_CONTEXT_SWITCHES;
  attr.freq = 0;
  if (options.switch_stack_hz > 0) {
    // Frequency mode: with a fixed period above 1 and PERF_SAMPLE_PERIOD,
    // the kernel samples every switch anyway (perf_swevent_event), and a
    // fixed period can keep hitting the same place of a thread that blocks
    // in a cycle; the adjusted period varies.
    attr.freq = 1;
    attr.sample_freq = options.switch_stack_hz;
  } else {
    attr.sample_period = 1;
  }
  attr.context_switch = 1;
  // With DWARF, leave out the kernel's walk of the user frame pointers at
  // every switch, as perf's DWARF mode does for every sample: on a
  // switch-heavy target it cost a tenth of the slowdown (1.50x against
  // 1.43x at 57k switches/s, 4.25x against 3.87x at 380k). Off-CPU stacks
  // whose DWARF unwind fails then have no frame-pointer fallback (the clock
  // samples keep theirs); code built with frame pointers but no unwind
  // tables wants --call-graph fp anyway.
  if (options.call_graph == CallGraph::kDwarf) attr.exclude_callchain_user = 1;
  if (attr.sample_stack_user != 0) {
    attr.sample_stack_user = std::min(options.switch_stack_bytes, kMaxStackBytes) & ~7u;
  }
  attr.mmap = 0;
  attr.mmap2 = 0;
  attr.build_id = 0;
  attr.comm = 0;
  attr.comm_exec = 0;
  attr.task = 0;
  attr.exclude_kernel = kernel_samples ? 0 : 1;
  attr.exclude_callchain_kernel =
      kernel_samples && (options.exclude_kernel || options.event.exclude_kernel);
  return attr;
}

bool KernelSamplesForbidden() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  int level = 2;
  if (!(in >> level)) return ::geteuid() != 0;
  return level >= 2 && ::geteuid() != 0;
}

uint64_t MaxSampleRate() {
  std::ifstream in("/proc/sys/kernel/perf_event_max_sample_rate");
  uint64_t rate = 0;
  if (!(in >> rate)) return 0;
  return rate;
}

}  // namespace stackfire::perf
