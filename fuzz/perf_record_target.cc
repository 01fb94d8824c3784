// The perf_record target: raw bytes in a perf ring buffer, read the way the
// sampler reads them (RingBuffer over plain memory, then ParseRecord, then
// the MMAP2 records into a ProcessMaps, as the record pipeline does).
//
// Input: a 32-byte header, then the bytes the "kernel" wrote (see
// testdata/perf-records/README.md, which also says how the seeds were
// captured from a real ring buffer):
//   u64 sample_type        the attr's sample_type (the record layout)
//   u64 sample_regs_user   the attr's register mask
//   u64 data_tail          where reading starts (rounded down to 8 bytes);
//                          the ring wraps there
//   u64 flags              bit 0: a ring twice the smallest size that holds
//                          the bytes (else exactly that power of two)
//
// Checked, beyond "no crash" (ASan sees every read past the ring or a
// record): each record handed out is exactly the bytes at its position even
// when it wraps; every byte is either in a record, counted as corrupt, or
// less than a header's worth left over; data_tail ends where reading
// stopped; the parsed fields fit inside their record.
#include <linux/perf_event.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/targets.h"
#include "src/perf/record_parser.h"
#include "src/perf/ring_buffer.h"
#include "stackfire/process_maps.h"

namespace stackfire::fuzz {
namespace {

struct Header {
  uint64_t sample_type;
  uint64_t regs_user_mask;
  uint64_t data_tail;
  uint64_t flags;
};
static_assert(sizeof(Header) == 32);

void CheckParsed(const perf::ParsedRecord& record, const perf_event_header* h) {
  const size_t body = h->size - sizeof(perf_event_header);
  if (const auto* s = std::get_if<perf::SampleRecord>(&record)) {
    const RawSample& raw = s->sample;
    FUZZ_CHECK(raw.stack.size() <= raw.stack_requested, "stack copy larger than requested");
    FUZZ_CHECK(raw.stack.size() <= body, "stack copy larger than its record");
    FUZZ_CHECK((raw.kernel_ips.size() + raw.user_ips.size()) * 8 <= body,
               absl::StrCat("more callchain entries than the record holds: ",
                            raw.kernel_ips.size(), "+", raw.user_ips.size(), " in ", body));
  } else if (const auto* m = std::get_if<perf::MmapRecord>(&record)) {
    FUZZ_CHECK(m->filename.size() < body, "MMAP2 file name longer than its record");
    FUZZ_CHECK(m->build_id.size() <= 20, "build-id longer than 20 bytes");
  } else if (const auto* c = std::get_if<perf::CommRecord>(&record)) {
    FUZZ_CHECK(c->comm.size() < body, "COMM name longer than its record");
  }
  (void)perf::RecordTime(record);
}

// What the record pipeline does with an executable MMAP2 record.
void ApplyMmap(const perf::MmapRecord& m, ProcessMaps* maps) {
  if (!(m.prot & 0x4)) return;
  Mapping mapping;
  mapping.start = m.addr;
  mapping.end = m.addr + m.len;
  mapping.pgoff = m.pgoff;
  mapping.prot = m.prot;
  mapping.inode = m.ino;
  mapping.path = m.filename;
  mapping.build_id = m.build_id;
  maps->Insert(std::move(mapping));
}

}  // namespace

void FuzzPerfRecord(const uint8_t* data, size_t size) {
  Header header;
  if (size < sizeof header) return;
  std::memcpy(&header, data, sizeof header);
  // Only the reader moves data_tail, by whole records: it stays 8-aligned.
  header.data_tail &= ~uint64_t{7};
  const uint8_t* bytes = data + sizeof header;
  const size_t n = size - sizeof header;

  // The kernel never publishes more than the ring holds.
  size_t ring_size = 8;
  while (ring_size < n) ring_size <<= 1;
  if (header.flags & 1) ring_size <<= 1;
  // Exactly ring_size bytes on the heap, so that ASan catches any read past it.
  std::vector<uint8_t> ring(ring_size);
  const size_t mask = ring_size - 1;
  for (size_t i = 0; i < n; ++i) ring[(header.data_tail + i) & mask] = bytes[i];
  perf_event_mmap_page meta;
  std::memset(&meta, 0, sizeof meta);
  meta.data_tail = header.data_tail;
  meta.data_head = header.data_tail + n;

  perf::RingBuffer reader(&meta, ring.data(), ring_size);
  const perf::SampleLayout layout{header.sample_type, header.regs_user_mask};
  ProcessMaps maps;
  size_t consumed = 0;
  while (const perf_event_header* h = reader.ReadRecord()) {
    FUZZ_CHECK(h->size >= sizeof(perf_event_header) && h->size <= n - consumed,
               absl::StrCat("record of ", h->size, " bytes with ", n - consumed, " left"));
    FUZZ_CHECK(std::memcmp(h, bytes + consumed, h->size) == 0,
               absl::StrCat("record at byte ", consumed, " is not the bytes written there"));
    consumed += h->size;
    std::optional<perf::ParsedRecord> parsed = perf::ParseRecord(h, layout);
    if (!parsed) continue;  // malformed: the pipeline counts it
    CheckParsed(*parsed, h);
    if (const auto* m = std::get_if<perf::MmapRecord>(&*parsed)) ApplyMmap(*m, &maps);
  }
  reader.Consume();
  const uint64_t corrupt = reader.corrupt_bytes();
  FUZZ_CHECK(consumed + corrupt <= n && n - consumed - corrupt < sizeof(perf_event_header),
             absl::StrCat(n, " bytes written, ", consumed, " read, ", corrupt, " corrupt"));
  FUZZ_CHECK(meta.data_tail == header.data_tail + consumed + corrupt,
             "data_tail does not end where reading stopped");
  CheckMapsInvariants(maps);
}

}  // namespace stackfire::fuzz
