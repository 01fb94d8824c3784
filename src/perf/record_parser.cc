#include "src/perf/record_parser.h"

#include <algorithm>
#include <cstring>

#include "src/perf/event_attr.h"

namespace stackfire::perf {
namespace {

class Reader {
 public:
  Reader(const uint8_t* p, size_t size) : p_(p), end_(p + size) {}
  bool U64(uint64_t* v) { return Copy(v, 8); }
  bool U32(uint32_t* v) { return Copy(v, 4); }
  bool Skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  bool Bytes(size_t n, const uint8_t** out) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *out = p_;
    p_ += n;
    return true;
  }
  // A NUL-terminated string padded to 8 bytes.
  bool String(std::string* s) {
    const void* nul = std::memchr(p_, '\0', static_cast<size_t>(end_ - p_));
    if (nul == nullptr) return false;
    const uint8_t* z = static_cast<const uint8_t*>(nul);
    s->assign(reinterpret_cast<const char*>(p_), static_cast<size_t>(z - p_));
    size_t padded = (static_cast<size_t>(z - p_) + 1 + 7) & ~size_t{7};
    if (padded > static_cast<size_t>(end_ - p_)) padded = static_cast<size_t>(end_ - p_);
    p_ += padded;
    return true;
  }
  size_t left() const { return static_cast<size_t>(end_ - p_); }

 private:
  bool Copy(void* v, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    std::memcpy(v, p_, n);
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

// The sample_id trailer of non-sample records (attr.sample_id_all): the
// last TrailerBytes() bytes of the record.
struct SampleId {
  uint32_t pid = 0, tid = 0;
  uint64_t time = 0;
  uint64_t id = 0;
  uint32_t cpu = 0;
};

size_t TrailerBytes(const SampleLayout& layout) {
  const uint64_t t = layout.sample_type;
  size_t fields = 0;
  for (uint64_t bit : {PERF_SAMPLE_TID, PERF_SAMPLE_TIME, PERF_SAMPLE_ID, PERF_SAMPLE_STREAM_ID,
                       PERF_SAMPLE_CPU, PERF_SAMPLE_IDENTIFIER}) {
    if (t & bit) ++fields;
  }
  return fields * 8;
}

// False when fewer bytes than a trailer are left.
bool ParseTrailer(Reader r, const SampleLayout& layout, SampleId* out) {
  const uint64_t t = layout.sample_type;
  const size_t bytes = TrailerBytes(layout);
  if (r.left() < bytes) return false;
  r.Skip(r.left() - bytes);
  // The size was checked: every read below succeeds.
  if (t & PERF_SAMPLE_TID) {
    r.U32(&out->pid);
    r.U32(&out->tid);
  }
  if (t & PERF_SAMPLE_TIME) r.U64(&out->time);
  if (t & PERF_SAMPLE_ID) r.U64(&out->id);
  if (t & PERF_SAMPLE_STREAM_ID) r.Skip(8);
  if (t & PERF_SAMPLE_CPU) {
    r.U32(&out->cpu);
    r.Skip(4);
  }
  if (t & PERF_SAMPLE_IDENTIFIER) r.U64(&out->id);
  return true;
}

// The trailer's time; 0 when unknown.
uint64_t TrailerTime(Reader r, const SampleLayout& layout) {
  SampleId id;
  if (!(layout.sample_type & PERF_SAMPLE_TIME) || !ParseTrailer(r, layout, &id)) return 0;
  return id.time;
}

bool ParseSample(Reader r, const SampleLayout& layout, SampleRecord* out) {
  const uint64_t t = layout.sample_type;
  RawSample& s = out->sample;
  uint64_t ip = 0;
  if (t & PERF_SAMPLE_IDENTIFIER && !r.U64(&out->id)) return false;
  if (t & PERF_SAMPLE_IP && !r.U64(&ip)) return false;
  if (t & PERF_SAMPLE_TID && (!r.U32(&s.pid) || !r.U32(&s.tid))) return false;
  if (t & PERF_SAMPLE_TIME && !r.U64(&s.time_ns)) return false;
  if (t & PERF_SAMPLE_ADDR && !r.Skip(8)) return false;
  if (t & PERF_SAMPLE_ID && !r.U64(&out->id)) return false;
  if (t & PERF_SAMPLE_STREAM_ID && !r.Skip(8)) return false;
  if (t & PERF_SAMPLE_CPU && (!r.U32(&s.cpu) || !r.Skip(4))) return false;
  if (t & PERF_SAMPLE_PERIOD && !r.U64(&s.period)) return false;
  if (t & PERF_SAMPLE_READ) return false;  // never requested: layout unknown
  if (t & PERF_SAMPLE_CALLCHAIN) {
    uint64_t nr = 0;
    if (!r.U64(&nr) || nr > r.left() / 8) return false;
    std::vector<uint64_t>* dest = nullptr;
    for (uint64_t i = 0; i < nr; ++i) {
      uint64_t pc = 0;
      r.U64(&pc);
      if (pc >= PERF_CONTEXT_MAX) {
        if (pc == PERF_CONTEXT_KERNEL) {
          dest = &s.kernel_ips;
        } else if (pc == PERF_CONTEXT_USER) {
          dest = &s.user_ips;
        } else {
          dest = nullptr;  // hypervisor or guest frames: not ours
        }
        continue;
      }
      if (dest != nullptr) dest->push_back(pc);
    }
  }
  if (t & PERF_SAMPLE_RAW) {
    uint32_t size = 0;
    if (!r.U32(&size) || !r.Skip(size)) return false;
  }
  if (t & PERF_SAMPLE_BRANCH_STACK) return false;  // never requested
  if (t & PERF_SAMPLE_REGS_USER) {
    uint64_t abi = 0;
    if (!r.U64(&abi)) return false;
    if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
      const int count = __builtin_popcountll(layout.regs_user_mask);
      const bool standard = layout.regs_user_mask == kSampleRegsUser;
      for (int i = 0; i < count; ++i) {
        uint64_t v = 0;
        if (!r.U64(&v)) return false;
        if (standard && kPerfToDwarf[i] >= 0) s.regs[kPerfToDwarf[i]] = v;
      }
      s.has_user_regs = standard && abi == PERF_SAMPLE_REGS_ABI_64;
    }
  }
  if (t & PERF_SAMPLE_STACK_USER) {
    uint64_t size = 0;
    if (!r.U64(&size)) return false;
    if (size > 0) {
      const uint8_t* bytes = nullptr;
      uint64_t dyn_size = 0;
      if (!r.Bytes(size, &bytes) || !r.U64(&dyn_size)) return false;
      if (dyn_size > size) dyn_size = size;
      s.stack.assign(bytes, bytes + dyn_size);
      s.stack_requested = static_cast<uint32_t>(size);
    }
  }
  if (!s.has_user_regs && s.user_ips.empty() && ip != 0 && s.kernel_ips.empty()) {
    s.user_ips.push_back(ip);
  }
  if (s.has_user_regs && s.regs[kRip] == 0) s.regs[kRip] = ip;
  return true;
}

}  // namespace

std::optional<ParsedRecord> ParseRecord(const perf_event_header* record,
                                        const SampleLayout& layout) {
  if (record->size < sizeof(perf_event_header)) return std::nullopt;
  Reader r(reinterpret_cast<const uint8_t*>(record) + sizeof(perf_event_header),
           record->size - sizeof(perf_event_header));
  switch (record->type) {
    case PERF_RECORD_SAMPLE: {
      SampleRecord s;
      if (!ParseSample(r, layout, &s)) return std::nullopt;
      return ParsedRecord(std::move(s));
    }
    case PERF_RECORD_MMAP2: {
      MmapRecord m;
      if (!r.U32(&m.pid) || !r.U32(&m.tid) || !r.U64(&m.addr) || !r.U64(&m.len) ||
          !r.U64(&m.pgoff)) {
        return std::nullopt;
      }
      if (record->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
        const uint8_t* id = nullptr;
        if (!r.Bytes(24, &id)) return std::nullopt;  // build_id_size, pad[3], build_id[20]
        m.build_id.assign(reinterpret_cast<const char*>(id) + 4, std::min<size_t>(id[0], 20));
      } else if (!r.U32(&m.maj) || !r.U32(&m.min) || !r.U64(&m.ino) || !r.Skip(8)) {
        return std::nullopt;
      }
      if (!r.U32(&m.prot) || !r.U32(&m.flags) || !r.String(&m.filename)) return std::nullopt;
      m.time_ns = TrailerTime(r, layout);
      return ParsedRecord(std::move(m));
    }
    case PERF_RECORD_COMM: {
      CommRecord c;
      if (!r.U32(&c.pid) || !r.U32(&c.tid) || !r.String(&c.comm)) return std::nullopt;
      c.exec = (record->misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
      c.time_ns = TrailerTime(r, layout);
      return ParsedRecord(std::move(c));
    }
    case PERF_RECORD_FORK:
    case PERF_RECORD_EXIT: {
      TaskRecord task;
      task.fork = record->type == PERF_RECORD_FORK;
      if (!r.U32(&task.pid) || !r.U32(&task.ppid) || !r.U32(&task.tid) || !r.U32(&task.ptid) ||
          !r.U64(&task.time_ns)) {
        return std::nullopt;
      }
      return ParsedRecord(task);
    }
    case PERF_RECORD_LOST: {
      LostRecord lost;
      if (!r.Skip(8) || !r.U64(&lost.lost)) return std::nullopt;
      lost.time_ns = TrailerTime(r, layout);
      return ParsedRecord(lost);
    }
    case PERF_RECORD_LOST_SAMPLES: {
      LostRecord lost;
      if (!r.U64(&lost.lost)) return std::nullopt;
      lost.time_ns = TrailerTime(r, layout);
      return ParsedRecord(lost);
    }
    case PERF_RECORD_SWITCH:
    case PERF_RECORD_SWITCH_CPU_WIDE: {
      SwitchRecord sw;
      sw.out = (record->misc & PERF_RECORD_MISC_SWITCH_OUT) != 0;
      sw.preempted = sw.out && (record->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0;
      sw.cpu_wide = record->type == PERF_RECORD_SWITCH_CPU_WIDE;
      if (sw.cpu_wide && (!r.U32(&sw.other_pid) || !r.U32(&sw.other_tid))) return std::nullopt;
      SampleId id;
      if (!ParseTrailer(r, layout, &id)) return std::nullopt;
      sw.pid = id.pid;
      sw.tid = id.tid;
      sw.time_ns = id.time;
      sw.id = id.id;
      sw.cpu = id.cpu;
      return ParsedRecord(sw);
    }
    case PERF_RECORD_THROTTLE:
    case PERF_RECORD_UNTHROTTLE: {
      ThrottleRecord th;
      th.throttled = record->type == PERF_RECORD_THROTTLE;
      if (!r.U64(&th.time_ns)) return std::nullopt;
      return ParsedRecord(th);
    }
    default:
      return ParsedRecord(OtherRecord{record->type});
  }
}

uint64_t RecordTime(const ParsedRecord& record) {
  return std::visit(
      [](const auto& r) -> uint64_t {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, SampleRecord>) {
          return r.sample.time_ns;
        } else if constexpr (std::is_same_v<T, OtherRecord>) {
          return 0;
        } else {
          return r.time_ns;
        }
      },
      record);
}

}  // namespace stackfire::perf
