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
  // JIT symbols; later lines win over earlier ones at the same address.
  static TextSymbols ParsePerfMap(std::string_view text);

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
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_TEXT_SYMBOLS_H_
