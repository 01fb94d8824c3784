// A folded stack built from parts that arrive leaf first, as `perf script`
// prints frames: each part is written in front of the ones before it, from
// the end of one buffer towards its start, so that the finished stack
// ("root;...;leaf") is contiguous without a second copy.
//
// Memory: one buffer, as large as the largest stack seen (it only grows).
// Not thread-safe.
#ifndef STACKFIRE_COLLAPSE_REVERSED_STACK_H_
#define STACKFIRE_COLLAPSE_REVERSED_STACK_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace stackfire::collapse {

class ReversedStack {
 public:
  // Puts `part` (one frame, or several joined by ';') in front of the stack,
  // with a ';' between it and what follows. An empty part still counts.
  void Prepend(std::string_view part) {
    char* at = PrependSpace(part.size());
    if (!part.empty()) std::memcpy(at, part.data(), part.size());
  }
  // Like Prepend, for a part of `size` bytes that the caller writes at the
  // address returned (valid until the next call).
  char* PrependSpace(size_t size) {
    const size_t need = size + (parts_ > 0 ? 1 : 0);
    if (need > begin_) Grow(need);
    if (parts_ > 0) buf_[--begin_] = ';';
    begin_ -= size;
    ++parts_;
    return buf_.get() + begin_;
  }

  std::string_view view() const { return std::string_view(buf_.get() + begin_, cap_ - begin_); }
  size_t parts() const { return parts_; }
  void Clear() {
    begin_ = cap_;
    parts_ = 0;
  }

 private:
  void Grow(size_t need) {
    const size_t used = cap_ - begin_;
    size_t cap = cap_ * 2;
    if (cap < used + need + 256) cap = used + need + 256;
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (used > 0) std::memcpy(bigger.get() + cap - used, buf_.get() + begin_, used);
    buf_ = std::move(bigger);
    begin_ = cap - used;
    cap_ = cap;
  }

  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;  // the stack is buf_[begin_, cap_)
  size_t parts_ = 0;
};

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_REVERSED_STACK_H_
