// perf_event_attr for stackfire's sampling events, and `-e EVENT` parsing.
//
// Every event samples IP, TID, TIME, CPU, PERIOD, the kernel's callchain, the
// user registers and a copy of the user stack (the DWARF unwinder's input),
// plus IDENTIFIER so a sample can be traced back to the event that wrote it
// (see sampler.h for why). It also asks for MMAP2, COMM (with the exec flag)
// and FORK/EXIT records so that the process maps can follow dlopen and exec.
// Every event stamps its records with CLOCK_MONOTONIC (attr.use_clockid), so
// that their times compare with clock_gettime() in stackfire (the start and
// stop of a recording, threads found blocked at attach).
//
// Off-CPU recordings (--off-cpu) open a second event per (thread, CPU),
// BuildSwitchAttr: the software event context-switches with period 1 takes
// the same sample (registers, stack copy, callchain) at every switch-out,
// and attr.context_switch adds a PERF_RECORD_SWITCH at every switch in and
// out. The switch happens in the kernel, so the kernel refuses this event
// with exclude_kernel = 0 at kernel.perf_event_paranoid >= 2 without
// CAP_PERFMON, and with exclude_kernel = 1 it never samples (the sample's
// registers are the kernel's): only the SWITCH records remain then.
// Kernel ABI: https://man7.org/linux/man-pages/man2/perf_event_open.2.html
#ifndef STACKFIRE_SRC_PERF_EVENT_ATTR_H_
#define STACKFIRE_SRC_PERF_EVENT_ATTR_H_

#include <linux/perf_event.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stackfire::perf {

// The user registers sampled: every general-purpose register, IP, SP and
// FLAGS, CS, SS; DS, ES, FS and GS are left out (asking for them gives
// EINVAL). Bits follow arch/x86/include/uapi/asm/perf_regs.h.
inline constexpr uint64_t kSampleRegsUser = 0xff0fff;

// kPerfToDwarf[i] is the DWARF number of the i-th register present in a
// sample (mask-bit order), or -1 for the ones no unwinder needs.
inline constexpr int kRegsInSample = 20;  // popcount(kSampleRegsUser)
extern const std::array<int, kRegsInSample> kPerfToDwarf;

inline constexpr uint64_t kSampleType =
    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
    PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
    PERF_SAMPLE_STACK_USER;
// Without a stack copy (--call-graph fp).
inline constexpr uint64_t kSampleTypeFp =
    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
    PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;

// Bytes of user stack copied with each sample. 32 KiB, not perf's 8 KiB:
// a C++ database's stacks run past 8 KiB in about half of the samples
// (RocksDB's db_bench: 53 % truncated at 8 KiB, 0.1 % at 16 KiB, none at 32
// KiB), a browser's in all of them; the copy is unwound as it arrives and
// never stored, and at 99 Hz its cost to the target is a few microseconds a
// sample. A switch-out's stack (--off-cpu) keeps 8 KiB: switches come up to
// 100k a second, and the copy is most of what each one costs the target.
inline constexpr uint32_t kDefaultStackBytes = 32768;
inline constexpr uint32_t kDefaultSwitchStackBytes = 8192;
// The kernel caps sample_stack_user below 64 KiB and wants a multiple of 8.
inline constexpr uint32_t kMaxStackBytes = 65528;

struct EventSpec {
  uint32_t type = PERF_TYPE_SOFTWARE;
  uint64_t config = PERF_COUNT_SW_CPU_CLOCK;
  std::string name = "cpu-clock";  // as the user should see it
  bool exclude_kernel = false;     // ":u"
  bool IsHardware() const { return type == PERF_TYPE_HARDWARE; }
};

// "cpu-clock", "task-clock", "cycles", "instructions", ... with an optional
// ":u" modifier. kInvalidArgument names the event and the accepted names.
absl::StatusOr<EventSpec> ParseEvent(std::string_view text);
EventSpec CpuClockEvent();

enum class CallGraph { kDwarf, kFramePointer };

// What --call-graph asks for: DWARF unwinding over a copy of the top
// stack_bytes of the user stack, or the kernel's frame-pointer chain alone.
struct CallGraphSpec {
  CallGraph mode = CallGraph::kDwarf;
  uint32_t stack_bytes = kDefaultStackBytes;               // dwarf only
  uint32_t switch_stack_bytes = kDefaultSwitchStackBytes;  // dwarf,BYTES sets both
};

// "dwarf", "dwarf,BYTES" (a multiple of 8, 8..kMaxStackBytes) or "fp", as
// perf record spells them. kInvalidArgument (with a hint, stackfire/hint.h)
// for anything else.
absl::StatusOr<CallGraphSpec> ParseCallGraph(std::string_view text);

struct AttrOptions {
  EventSpec event;
  uint64_t frequency_hz = 99;
  CallGraph call_graph = CallGraph::kDwarf;
  uint32_t stack_bytes = kDefaultStackBytes;
  uint32_t switch_stack_bytes = kDefaultSwitchStackBytes;  // BuildSwitchAttr's
  bool exclude_kernel = false;  // --no-kernel, or paranoid forbids kernel samples
  bool enable_on_exec = false;  // a launched command: start counting at exec
  uint32_t wakeup_bytes = 0;    // 0: wake on every sample
  // The off-CPU event's samples (stacks) per second and per event (a
  // thread on one CPU), the kernel adjusting its period to the rate of
  // switches; 0: a sample at every switch-out. Its SWITCH records come at
  // every switch either way.
  uint64_t switch_stack_hz = 0;
};

perf_event_attr BuildAttr(const AttrOptions& options);

// The off-CPU event: context-switches, period 1 (or frequency
// options.switch_stack_hz when set), the sample layout of
// BuildAttr(options) (so that both share one ring and one SampleLayout),
// PERF_RECORD_SWITCH on, and no MMAP2/COMM/FORK records (the main event
// sends those once). kernel_samples: exclude_kernel = 0, with the kernel
// part of the callchain left out when options.exclude_kernel; false gives
// an event that only sends SWITCH records (see above).
perf_event_attr BuildSwitchAttr(const AttrOptions& options, bool kernel_samples);

// True when kernel.perf_event_paranoid forbids kernel samples to this process
// (paranoid >= 2 without CAP_PERFMON / CAP_SYS_ADMIN, approximated by euid).
bool KernelSamplesForbidden();
// /proc/sys/kernel/perf_event_max_sample_rate, or 0 if unreadable.
uint64_t MaxSampleRate();

}  // namespace stackfire::perf

#endif  // STACKFIRE_SRC_PERF_EVENT_ATTR_H_
