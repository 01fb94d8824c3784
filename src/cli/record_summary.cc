// See record_summary.h.
#include "src/cli/record_summary.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "render/report.h"
#include "src/perf/event_attr.h"

namespace stackfire::cli {
namespace {

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  return absl::StrFormat("%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// --unwinder=verify: one line with the comparison, then the first few
// differences.
void PrintUnwinderCheck(const unwind::UnwinderCheck& check) {
  std::fprintf(stderr,
               "stackfire: unwinder check: %llu samples unwound by both table and libunwind, "
               "%llu differ",
               static_cast<unsigned long long>(check.compared),
               static_cast<unsigned long long>(check.differ));
  if (check.differ_without_cfi > 0) {
    std::fprintf(stderr, " (and %llu with the leaf in code without CFI, unwound by frame pointer)",
                 static_cast<unsigned long long>(check.differ_without_cfi));
  }
  if (check.same_stack_other_verdict > 0) {
    std::fprintf(stderr, "; %llu more have the same stack and another verdict",
                 static_cast<unsigned long long>(check.same_stack_other_verdict));
  }
  if (check.past_bad_return > 0) {
    std::fprintf(stderr,
                 "; %llu more end at an unmapped return address, where libunwind guessed on",
                 static_cast<unsigned long long>(check.past_bad_return));
  }
  if (check.reference_bad_return > 0) {
    std::fprintf(stderr,
                 "; %llu more where libunwind returned into memory that holds no code",
                 static_cast<unsigned long long>(check.reference_bad_return));
  }
  std::fprintf(stderr, "\n");
  for (const std::string& example : check.examples) {
    std::fprintf(stderr, "stackfire:   %s\n", example.c_str());
  }
}

}  // namespace

std::string CountsLine(const record::CounterValues& c) {
  const uint64_t stacks = c.samples + c.switch_samples;
  std::string line = absl::StrCat(c.samples, " samples");
  if (c.switches > 0 || c.switch_samples > 0) {
    absl::StrAppend(&line, ", ", c.switches, " switch-outs");
    if (c.switches_unstacked > 0) {
      absl::StrAppend(&line, " (", c.switches_unstacked, " without a stack)");
    }
  }
  absl::StrAppend(&line, ", ", c.lost, " lost, ", c.unwind_failures, " unwind failures (",
                  Percent(c.unwind_failures, stacks), ")");
  if (c.truncated > 0) {
    absl::StrAppend(&line, ", ", c.truncated, " truncated (", Percent(c.truncated, stacks), ")");
  }
  return line;
}

std::string WallLine(const record::WallTotals& wall) {
  if (wall.span_ns > 0) {
    return absl::StrFormat("%.3f s per thread; on-CPU %.3g s, off-CPU %.3g s",
                           static_cast<double>(wall.span_ns) / 1e9,
                           static_cast<double>(wall.on_cpu_ns) / 1e9,
                           static_cast<double>(wall.off.off_cpu_ns) / 1e9);
  }
  return absl::StrFormat("on-CPU %.3g s, off-CPU %.3g s",
                         static_cast<double>(wall.on_cpu_ns) / 1e9,
                         static_cast<double>(wall.off.off_cpu_ns) / 1e9);
}

void PrintProgress(double elapsed_s, const record::Counters& c) {
  const uint64_t switches = c.switches.load();
  std::fprintf(stderr, "\r\033[Kstackfire: %.1f s, %llu samples, %s%llu lost", elapsed_s,
               static_cast<unsigned long long>(c.samples.load()),
               switches > 0 ? absl::StrCat(switches, " switch-outs, ").c_str() : "",
               static_cast<unsigned long long>(c.lost.load()));
}

const char* StopReasonText(record::StopReason reason) {
  switch (reason) {
    case record::StopReason::kInterrupted:
      return "interrupted";
    case record::StopReason::kHungUp:
      return "hung up";
    case record::StopReason::kTerminated:
      return "terminated";
    case record::StopReason::kDuration:
      return "duration reached";
    case record::StopReason::kTargetsExited:
      return "the target exited";
  }
  return "stopped";
}

void PrintSummary(const record::RecordResult& result, const std::string& counts,
                  const std::vector<std::string>& written, double finish_s, bool duration_given,
                  uint32_t dwarf_stack_bytes) {
  constexpr size_t kMaxWarnings = 10;
  const std::vector<std::string>& warnings = result.warnings;
  for (size_t i = 0; i < warnings.size() && i < kMaxWarnings; ++i) {
    std::fprintf(stderr, "stackfire: warning: %s\n", render::EscapeForTerminal(warnings[i]).c_str());
  }
  if (warnings.size() > kMaxWarnings) {
    std::fprintf(stderr, "stackfire: warning: and %zu more problems with the target's files\n",
                 warnings.size() - kMaxWarnings);
  }
  const record::CounterValues& c = result.counters;
  std::fprintf(stderr, "stackfire: stopped after %.1f s (%s): %s, %llu thread%s\n", result.seconds,
               StopReasonText(result.stop_reason), counts.c_str(),
               static_cast<unsigned long long>(c.threads), c.threads == 1 ? "" : "s");
  if (!written.empty()) {
    std::fprintf(stderr, "stackfire: wrote %s in %.3f s\n", absl::StrJoin(written, ", ").c_str(),
                 finish_s);
  }
  if (result.unwinder_check) PrintUnwinderCheck(*result.unwinder_check);
  if (result.wall) {
    const record::WallTotals& w = *result.wall;
    std::fprintf(stderr, "stackfire: wall clock: %s", WallLine(w).c_str());
    if (w.off.preempted_ns > 0) {
      std::fprintf(stderr, " (%.3g s of it runnable, waiting for a CPU)",
                   static_cast<double>(w.off.preempted_ns) / 1e9);
    }
    std::fprintf(stderr, "; weights are microseconds\n");
    if (c.unpaired > 0) {
      std::fprintf(stderr,
                   "stackfire: %llu switch records lost their partner (records were lost): the "
                   "off-CPU time around them is left out; raise --mmap-pages\n",
                   static_cast<unsigned long long>(c.unpaired));
    }
    if (w.on_cpu_estimated_threads > 0) {
      std::fprintf(stderr,
                   "stackfire: the CPU time of %llu of %llu sampled threads is estimated from "
                   "their samples' periods (a lost switch record left it unmeasured)\n",
                   static_cast<unsigned long long>(w.on_cpu_estimated_threads),
                   static_cast<unsigned long long>(w.on_cpu_estimated_threads +
                                                   w.on_cpu_measured_threads));
    }
  }
  if (c.throttled > 0) {
    std::fprintf(stderr,
                 "stackfire: the kernel throttled sampling %llu times; lower -F or raise "
                 "kernel.perf_event_max_sample_rate\n",
                 static_cast<unsigned long long>(c.throttled));
  }
  if (result.suspended_seconds > 0) {
    std::fprintf(stderr,
                 "stackfire: stackfire was suspended for %.1f s (stopped by a signal, or "
                 "starved of CPU)%s\n",
                 result.suspended_seconds,
                 c.lost > 0 ? "; the ring buffer overflowed meanwhile: see 'lost' above" : "");
  }
  if (c.queue_dropped > 0) {
    std::fprintf(stderr, "stackfire: %llu samples dropped: unwinding fell behind\n",
                 static_cast<unsigned long long>(c.queue_dropped));
  }
  // A fifth of the stacks cut at the end of their copy: deep stacks (a
  // JIT's, a browser's, deep recursion), not an accident.
  const uint64_t stacks = c.samples + c.switch_samples;
  if (dwarf_stack_bytes > 0 && c.truncated >= 10 && c.truncated * 5 >= stacks) {
    const std::string more =
        dwarf_stack_bytes < perf::kMaxStackBytes
            ? absl::StrCat("--call-graph dwarf,", perf::kMaxStackBytes, " to copy more, or ")
            : std::string();
    std::fprintf(stderr,
                 "stackfire: %s of the stacks were deeper than the %u bytes copied with each "
                 "sample and end in [truncated]: record with %s--call-graph fp where the code "
                 "keeps frame pointers\n",
                 Percent(c.truncated, stacks).c_str(), dwarf_stack_bytes, more.c_str());
  }
  if (c.samples == 0 && c.lost > 0) {
    std::fprintf(stderr,
                 "stackfire: no samples: every sample was lost before stackfire could read it "
                 "(raise --mmap-pages)\n");
  } else if (c.samples == 0) {
    std::fprintf(stderr, "stackfire: no samples: the target did not run on a CPU%s\n",
                 duration_given ? "" : " (try a longer run)");
  }
}

}  // namespace stackfire::cli
