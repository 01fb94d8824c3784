// Reader of one perf_event mmap ring buffer.
//
// Reading and consuming are separate steps: ReadRecord() returns the next
// record without releasing it, Consume() gives its bytes back to the kernel.
// data_head is loaded with acquire ordering (the kernel wrote the record
// before publishing the head) and data_tail stored with release ordering (we
// finished reading before the kernel may overwrite). A record that wraps
// around the end of the buffer is copied into one scratch buffer, so callers
// always see a contiguous record.
//
// The ring can be built over plain memory (a metadata page and a power-of-two
// data area), so tests can make it wrap without a kernel.
// Kernel ABI: include/uapi/linux/perf_event.h, struct perf_event_mmap_page.
#ifndef STACKFIRE_SRC_PERF_RING_BUFFER_H_
#define STACKFIRE_SRC_PERF_RING_BUFFER_H_

#include <linux/perf_event.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::perf {

class RingBuffer {
 public:
  // Maps 1 + data_pages pages of a perf event fd. data_pages must be a power
  // of two.
  [[nodiscard]] static absl::StatusOr<RingBuffer> Map(int fd, size_t data_pages);

  // Over caller-owned memory: meta is the control page, data the ring of
  // data_size bytes (a power of two). Neither is freed by the RingBuffer.
  RingBuffer(perf_event_mmap_page* meta, uint8_t* data, size_t data_size);

  RingBuffer(RingBuffer&&) = default;
  RingBuffer& operator=(RingBuffer&&) = default;

  // The next unread record, or nullptr when the ring is empty. The pointer
  // stays valid until the next ReadRecord() or Consume() and is 8-byte
  // aligned. A record with an impossible size (under 8, not a multiple of 8,
  // or more than is written) means the ring is corrupt: everything up to the
  // head is dropped and counted in corrupt_bytes().
  const perf_event_header* ReadRecord();
  // Releases every record returned so far to the kernel.
  void Consume();

  size_t data_size() const { return data_size_; }
  uint64_t corrupt_bytes() const { return corrupt_bytes_; }

 private:
  MmapRegion region_;  // empty when built over plain memory
  perf_event_mmap_page* meta_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t data_size_ = 0;
  uint64_t read_pos_ = 0;  // where the next record starts
  uint64_t head_ = 0;      // last data_head seen
  uint64_t corrupt_bytes_ = 0;
  std::vector<uint8_t> scratch_;
};

}  // namespace stackfire::perf

#endif  // STACKFIRE_SRC_PERF_RING_BUFFER_H_
