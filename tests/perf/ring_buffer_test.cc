#include "src/perf/ring_buffer.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/perf/record_bytes.h"

namespace stackfire::perf {
namespace {

// A ring over plain memory, written the way the kernel writes it.
class FakeRing {
 public:
  explicit FakeRing(size_t size) : data_(size) { meta_ = {}; }
  void Write(const std::vector<uint8_t>& record) {
    for (uint8_t b : record) data_[head_++ % data_.size()] = b;
    meta_.data_head = head_;
  }
  perf_event_mmap_page* meta() { return &meta_; }
  uint8_t* data() { return data_.data(); }
  size_t size() const { return data_.size(); }

 private:
  perf_event_mmap_page meta_;
  std::vector<uint8_t> data_;
  uint64_t head_ = 0;
};

std::vector<uint8_t> Comm(uint32_t tid, const std::string& name) {
  RecordBytes r(PERF_RECORD_COMM);
  r.U32(1).U32(tid).Str(name);
  return r.bytes();
}

TEST(RingBufferTest, ReadsThenConsumes) {
  FakeRing fake(256);
  RingBuffer ring(fake.meta(), fake.data(), fake.size());
  EXPECT_EQ(ring.ReadRecord(), nullptr);
  fake.Write(Comm(7, "a"));
  fake.Write(Comm(8, "b"));
  const perf_event_header* h = ring.ReadRecord();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, PERF_RECORD_COMM);
  EXPECT_EQ(fake.meta()->data_tail, 0u);  // not released until Consume
  ASSERT_NE(ring.ReadRecord(), nullptr);
  EXPECT_EQ(ring.ReadRecord(), nullptr);
  ring.Consume();
  EXPECT_EQ(fake.meta()->data_tail, fake.meta()->data_head);
}

TEST(RingBufferTest, WrappedRecordIsContiguous) {
  FakeRing fake(64);
  RingBuffer ring(fake.meta(), fake.data(), fake.size());
  // 24-byte records; the third spans the end of the 64-byte ring.
  for (uint32_t i = 0; i < 40; ++i) {
    const std::string name = std::string("t").append(std::to_string(i % 10));
    fake.Write(Comm(100 + i, name));
    const perf_event_header* h = ring.ReadRecord();
    ASSERT_NE(h, nullptr) << i;
    ASSERT_EQ(h->size, 24u);
    const auto* body = reinterpret_cast<const uint32_t*>(h + 1);
    EXPECT_EQ(body[1], 100 + i);
    EXPECT_STREQ(reinterpret_cast<const char*>(body + 2), name.c_str()) << i;
    ring.Consume();
  }
  EXPECT_EQ(fake.meta()->data_tail, 40u * 24);
  EXPECT_EQ(ring.corrupt_bytes(), 0u);
}

// Records are 8-byte multiples, so a header never straddles the end of the
// ring, but it can fill its last 8 bytes with the whole body wrapping.
TEST(RingBufferTest, HeaderInTheLastBytesBodyWraps) {
  FakeRing fake(64);
  RingBuffer ring(fake.meta(), fake.data(), fake.size());
  RecordBytes pad(PERF_RECORD_COMM);
  pad.U32(1).U32(2).U32(3).U32(4);  // 24 bytes
  std::vector<uint8_t> bare = RecordBytes(PERF_RECORD_THROTTLE).bytes();  // 8 bytes
  fake.Write(pad.bytes());
  fake.Write(pad.bytes());
  fake.Write(bare);
  for (int i = 0; i < 3; ++i) ASSERT_NE(ring.ReadRecord(), nullptr);
  ring.Consume();
  fake.Write(Comm(55, "wrap"));  // header at 56..63, body from 0
  const perf_event_header* h = ring.ReadRecord();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, PERF_RECORD_COMM);
  EXPECT_EQ(reinterpret_cast<const uint32_t*>(h + 1)[1], 55u);
  EXPECT_EQ(ring.corrupt_bytes(), 0u);
}

TEST(RingBufferTest, CorruptSizeDropsTheRest) {
  FakeRing fake(64);
  RingBuffer ring(fake.meta(), fake.data(), fake.size());
  std::vector<uint8_t> bad = Comm(1, "x");
  bad[6] = 0;  // header.size = 0
  bad[7] = 0;
  fake.Write(bad);
  EXPECT_EQ(ring.ReadRecord(), nullptr);
  EXPECT_EQ(ring.corrupt_bytes(), bad.size());
  fake.Write(Comm(2, "y"));  // reading goes on after the corrupt span
  ASSERT_NE(ring.ReadRecord(), nullptr);
}

// The kernel pads every record to 8 bytes; an odd size would leave the next
// record misaligned (found by the perf_record fuzzer, input kept in
// testdata/fuzz-regressions/perf_record/).
TEST(RingBufferTest, SizeNotAMultipleOf8IsCorrupt) {
  FakeRing fake(64);
  RingBuffer ring(fake.meta(), fake.data(), fake.size());
  std::vector<uint8_t> bad = Comm(1, "x");
  bad[6] = static_cast<uint8_t>(bad.size() - 1);  // header.size, one short
  fake.Write(bad);
  EXPECT_EQ(ring.ReadRecord(), nullptr);
  EXPECT_EQ(ring.corrupt_bytes(), bad.size());
  fake.Write(Comm(2, "y"));
  const perf_event_header* h = ring.ReadRecord();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->type, PERF_RECORD_COMM);
}

}  // namespace
}  // namespace stackfire::perf
