#include "src/symbolize/text_symbols.h"

#include <algorithm>
#include <charconv>

namespace stackfire::symbolize {
namespace {

bool TakeHex(std::string_view* s, uint64_t* out) {
  while (!s->empty() && s->front() == ' ') s->remove_prefix(1);
  if (s->size() > 2 && (*s)[0] == '0' && ((*s)[1] == 'x' || (*s)[1] == 'X')) s->remove_prefix(2);
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), *out, 16);
  if (ec != std::errc() || ptr == s->data()) return false;
  s->remove_prefix(static_cast<size_t>(ptr - s->data()));
  return true;
}

template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line);
  }
}

}  // namespace

void TextSymbols::Sort() {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.addr < b.addr; });
  // Keep the last of equal addresses (perf-PID.map: code regenerated in place).
  std::vector<Entry> out;
  out.reserve(entries_.size());
  for (Entry& e : entries_) {
    if (!out.empty() && out.back().addr == e.addr) {
      out.back() = std::move(e);
    } else {
      out.push_back(std::move(e));
    }
  }
  entries_ = std::move(out);
}

TextSymbols TextSymbols::ParseKallsyms(std::string_view text) {
  TextSymbols t;
  bool any_nonzero = false;
  ForEachLine(text, [&](std::string_view line) {
    uint64_t addr = 0;
    if (!TakeHex(&line, &addr) || line.size() < 3 || line[0] != ' ') return;
    const char type = line[1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') return;
    line.remove_prefix(3);
    std::string_view name = line.substr(0, line.find_first_of(" \t"));
    if (name.empty()) return;
    any_nonzero |= addr != 0;
    t.entries_.push_back({addr, 0, std::string(name)});
  });
  if (!any_nonzero) t.entries_.clear();
  t.Sort();
  return t;
}

TextSymbols TextSymbols::ParsePerfMap(std::string_view text) {
  TextSymbols t;
  ForEachLine(text, [&](std::string_view line) {
    uint64_t addr = 0, size = 0;
    if (!TakeHex(&line, &addr) || !TakeHex(&line, &size) || line.empty() || line[0] != ' ') {
      return;
    }
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || size == 0) return;
    // The target writes this file: a range past 2^64 or larger than any
    // JIT'd function would name everything after it (its own anonymous
    // memory only, but still wrong names).
    if (size > kMaxPerfMapSymbolBytes || addr > UINT64_MAX - size) {
      ++t.rejected_;
      return;
    }
    t.entries_.push_back({addr, size, std::string(line)});
  });
  t.Sort();
  return t;
}

const std::string* TextSymbols::Lookup(uint64_t addr) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), addr,
                             [](uint64_t a, const Entry& e) { return a < e.addr; });
  if (it == entries_.begin()) return nullptr;
  const Entry& e = *(it - 1);
  uint64_t limit = e.size;
  if (limit == 0) {
    limit = uint64_t{1} << 20;
    if (it != entries_.end()) limit = std::min(limit, it->addr - e.addr);
  }
  return addr - e.addr < limit ? &e.name : nullptr;
}

}  // namespace stackfire::symbolize
