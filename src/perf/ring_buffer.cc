#include "src/perf/ring_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stackfire::perf {

absl::StatusOr<RingBuffer> RingBuffer::Map(int fd, size_t data_pages) {
  if (data_pages == 0 || (data_pages & (data_pages - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ring buffer size must be a power of two pages, got ", data_pages));
  }
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t size = (data_pages + 1) * page;
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mmap of a ", size / 1024,
                                                   " KiB perf ring buffer"));
  }
  MmapRegion region(addr, size);
  auto* meta = static_cast<perf_event_mmap_page*>(addr);
  uint64_t offset = meta->data_offset != 0 ? meta->data_offset : page;
  uint64_t data_size = meta->data_size != 0 ? meta->data_size : data_pages * page;
  RingBuffer ring(meta, static_cast<uint8_t*>(addr) + offset, data_size);
  ring.region_ = std::move(region);
  return ring;
}

RingBuffer::RingBuffer(perf_event_mmap_page* meta, uint8_t* data, size_t data_size)
    : meta_(meta), data_(data), data_size_(data_size) {
  read_pos_ = std::atomic_ref<__u64>(meta_->data_tail).load(std::memory_order_relaxed);
  head_ = read_pos_;
}

const perf_event_header* RingBuffer::ReadRecord() {
  if (head_ - read_pos_ < sizeof(perf_event_header)) {
    head_ = std::atomic_ref<__u64>(meta_->data_head).load(std::memory_order_acquire);
  }
  const uint64_t available = head_ - read_pos_;
  if (available < sizeof(perf_event_header)) return nullptr;

  const size_t mask = data_size_ - 1;
  const size_t offset = read_pos_ & mask;
  perf_event_header header;
  if (offset + sizeof header <= data_size_) {
    std::memcpy(&header, data_ + offset, sizeof header);
  } else {
    const size_t first = data_size_ - offset;
    std::memcpy(&header, data_ + offset, first);
    std::memcpy(reinterpret_cast<uint8_t*>(&header) + first, data_, sizeof header - first);
  }
  // The kernel pads every record to a multiple of 8 bytes (perf_prepare_sample
  // in kernel/events/core.c relies on the low 3 bits of size being zero), so
  // any other size is corruption, and reading on would misalign every record.
  if (header.size < sizeof header || header.size % 8 != 0 || header.size > available ||
      header.size > data_size_) {
    corrupt_bytes_ += available;
    read_pos_ = head_;
    return nullptr;
  }
  const uint8_t* record = data_ + offset;
  if (offset + header.size > data_size_) {
    scratch_.resize(header.size);
    const size_t first = data_size_ - offset;
    std::memcpy(scratch_.data(), data_ + offset, first);
    std::memcpy(scratch_.data() + first, data_, header.size - first);
    record = scratch_.data();
  }
  read_pos_ += header.size;
  return reinterpret_cast<const perf_event_header*>(record);
}

void RingBuffer::Consume() {
  std::atomic_ref<__u64>(meta_->data_tail).store(read_pos_, std::memory_order_release);
}

}  // namespace stackfire::perf
