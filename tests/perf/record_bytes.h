// Builds perf records as byte arrays for tests, the way the kernel lays them
// out (8-byte aligned, header first).
#ifndef STACKFIRE_TESTS_PERF_RECORD_BYTES_H_
#define STACKFIRE_TESTS_PERF_RECORD_BYTES_H_

#include <linux/perf_event.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace stackfire::perf {

class RecordBytes {
 public:
  RecordBytes(uint32_t type, uint16_t misc = 0) : bytes_(sizeof(perf_event_header)) {
    header().type = type;
    header().misc = misc;
  }
  RecordBytes& U64(uint64_t v) { return Put(&v, 8); }
  RecordBytes& U32(uint32_t v) { return Put(&v, 4); }
  RecordBytes& Str(const std::string& s) {
    Put(s.data(), s.size());
    bytes_.push_back(0);
    while (bytes_.size() % 8) bytes_.push_back(0);
    return *this;
  }
  RecordBytes& Raw(const std::vector<uint8_t>& b) { return Put(b.data(), b.size()); }
  // Finishes the record: fixes header.size; returns 8-byte aligned storage.
  std::vector<uint64_t> Done() {
    header().size = static_cast<uint16_t>(bytes_.size());
    std::vector<uint64_t> out((bytes_.size() + 7) / 8);
    std::memcpy(out.data(), bytes_.data(), bytes_.size());
    return out;
  }
  const std::vector<uint8_t>& bytes() {
    header().size = static_cast<uint16_t>(bytes_.size());
    return bytes_;
  }

 private:
  perf_event_header& header() { return *reinterpret_cast<perf_event_header*>(bytes_.data()); }
  RecordBytes& Put(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

inline const perf_event_header* AsHeader(const std::vector<uint64_t>& v) {
  return reinterpret_cast<const perf_event_header*>(v.data());
}

}  // namespace stackfire::perf

#endif  // STACKFIRE_TESTS_PERF_RECORD_BYTES_H_
