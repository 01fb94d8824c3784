// Decodes perf ring-buffer records into plain structs.
//
// Pure code over byte arrays: the layout of a PERF_RECORD_SAMPLE depends only
// on the attr's sample_type and sample_regs_user, passed in as a
// SampleLayout. A malformed record (a field running past its size) yields
// std::nullopt; the caller counts it. Registers are converted to DWARF
// numbering here (see raw_sample.h).
// Kernel ABI: include/uapi/linux/perf_event.h, enum perf_event_type.
#ifndef STACKFIRE_SRC_PERF_RECORD_PARSER_H_
#define STACKFIRE_SRC_PERF_RECORD_PARSER_H_

#include <linux/perf_event.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "stackfire/raw_sample.h"

namespace stackfire::perf {

struct SampleLayout {
  uint64_t sample_type = 0;
  uint64_t regs_user_mask = 0;
};

struct MmapRecord {
  uint32_t pid = 0, tid = 0;
  uint64_t addr = 0, len = 0, pgoff = 0;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0;
  std::string build_id;  // raw bytes, when the kernel sent one (attr.build_id)
  uint32_t prot = 0, flags = 0;
  std::string filename;
  uint64_t time_ns = 0;
};

struct CommRecord {
  uint32_t pid = 0, tid = 0;
  std::string comm;
  bool exec = false;  // PERF_RECORD_MISC_COMM_EXEC: the process called exec
  uint64_t time_ns = 0;
};

struct TaskRecord {  // PERF_RECORD_FORK or PERF_RECORD_EXIT
  bool fork = true;
  uint32_t pid = 0, ppid = 0, tid = 0, ptid = 0;
  uint64_t time_ns = 0;
};

struct LostRecord {  // PERF_RECORD_LOST or PERF_RECORD_LOST_SAMPLES
  uint64_t lost = 0;
  uint64_t time_ns = 0;
};

struct ThrottleRecord {
  bool throttled = true;  // false: PERF_RECORD_UNTHROTTLE
  uint64_t time_ns = 0;
};

// PERF_RECORD_SWITCH (attr.context_switch on a per-thread event) or
// PERF_RECORD_SWITCH_CPU_WIDE (on a per-CPU one): a thread left the CPU or
// came back to it. Which thread, when and through which event come from the
// sample_id trailer (attr.sample_id_all); a record too short for its
// trailer is malformed.
struct SwitchRecord {
  bool out = false;        // PERF_RECORD_MISC_SWITCH_OUT: it leaves the CPU
  bool preempted = false;  // PERF_RECORD_MISC_SWITCH_OUT_PREEMPT: still runnable
  bool cpu_wide = false;
  uint32_t pid = 0, tid = 0;
  uint64_t time_ns = 0;
  uint64_t id = 0;  // PERF_SAMPLE_IDENTIFIER (or ID); 0 when the layout has neither
  uint32_t cpu = 0;
  // CPU-wide only: the thread switched to (out) or from (in).
  uint32_t other_pid = 0, other_tid = 0;
};

struct SampleRecord {
  uint64_t id = 0;  // PERF_SAMPLE_IDENTIFIER: the event that wrote it
  // Set by the sampler's reader, not the parser: the sample was taken at a
  // switch-out by the off-CPU event (BuildSwitchAttr), not by the clock.
  bool switch_out = false;
  // Also set by the reader: taken by the CPU-wide clock (Sampler::IsCpuWide),
  // so of any process on that CPU.
  bool cpu_wide = false;
  RawSample sample;
};

// Other record types are skipped.
struct OtherRecord {
  uint32_t type = 0;
};

using ParsedRecord = std::variant<OtherRecord, SampleRecord, MmapRecord, CommRecord, TaskRecord,
                                  LostRecord, ThrottleRecord, SwitchRecord>;

// `record` points at a perf_event_header followed by header.size - 8 bytes.
std::optional<ParsedRecord> ParseRecord(const perf_event_header* record,
                                        const SampleLayout& layout);

// The time of any record: from the sample, or from the sample_id trailer of
// the others (sample_id_all). 0 when unknown.
uint64_t RecordTime(const ParsedRecord& record);

}  // namespace stackfire::perf

#endif  // STACKFIRE_SRC_PERF_RECORD_PARSER_H_
