// Read-only view of a sample's stack copy, addressed by the target's
// addresses: the copy starts at the sampled rsp. Unwinders read the stack only
// through this, never from the live process.
#ifndef STACKFIRE_SRC_UNWIND_STACK_VIEW_H_
#define STACKFIRE_SRC_UNWIND_STACK_VIEW_H_

#include <cstdint>
#include <cstring>

#include "stackfire/raw_sample.h"

namespace stackfire::unwind {

class StackView {
 public:
  StackView() : base_(0), data_(nullptr), size_(0) {}
  explicit StackView(const RawSample& s)
      : base_(s.regs[kRsp]), data_(s.stack.data()), size_(s.stack.size()) {}

  bool Read64(uint64_t addr, uint64_t* out) const {
    if (addr < base_ || addr - base_ > size_ || size_ - (addr - base_) < 8) return false;
    std::memcpy(out, data_ + (addr - base_), 8);
    return true;
  }
  // True when addr lies at or beyond the end of the copy: reading it failed
  // because the copy was too short, not because the address is bad. The
  // bound keeps garbage addresses out (stacks are at most a few hundred MB).
  bool PastEnd(uint64_t addr) const {
    const uint64_t end = base_ + size_;
    return addr + 8 > end && addr >= base_ && addr - end < (uint64_t{1} << 30);
  }
  uint64_t base() const { return base_; }
  uint64_t end() const { return base_ + size_; }

 private:
  uint64_t base_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace stackfire::unwind

#endif  // STACKFIRE_SRC_UNWIND_STACK_VIEW_H_
