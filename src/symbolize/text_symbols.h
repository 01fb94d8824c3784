// Address-to-name tables read from text files: /proc/kallsyms for the kernel
// and /tmp/perf-PID.map for JIT code (the format perf documents in
// tools/perf/Documentation/jit-interface.txt: "START SIZE name", hex).
#ifndef STACKFIRE_SRC_SYMBOLIZE_TEXT_SYMBOLS_H_
#define STACKFIRE_SRC_SYMBOLIZE_TEXT_SYMBOLS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stackfire::symbolize {

class TextSymbols {
 public:
  // Kernel text symbols (types t, T, w, W). Empty when the file is
  // unreadable or kptr_restrict hides the addresses (all zero).
  static TextSymbols ParseKallsyms(std::string_view text);
  // JIT symbols; later lines win over earlier ones at the same address, and
  // a lookup takes the nearest entry at or below the address (overlapping
  // ranges cannot make one name cover another's start). Lines whose range
  // wraps past 2^64 or exceeds kMaxPerfMapSymbolBytes are dropped and
  // counted in rejected().
  static constexpr uint64_t kMaxPerfMapSymbolBytes = uint64_t{1} << 30;
  static TextSymbols ParsePerfMap(std::string_view text);
  size_t rejected() const { return rejected_; }

  // The name covering addr, or nullptr. Kernel symbols have no size: one
  // covers up to the next symbol, at most 1 MiB.
  const std::string* Lookup(uint64_t addr) const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t addr;
    uint64_t size;  // 0: up to the next entry
    std::string name;
  };
  void Sort();
  std::vector<Entry> entries_;
  size_t rejected_ = 0;
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_TEXT_SYMBOLS_H_
