#include "render/diff.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "stackfire/profile.h"

namespace stackfire::render {
namespace {

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

// s/0x[0-9a-fA-F]+/0x.../g
std::string StripHex(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '0' && i + 2 < s.size() && s[i + 1] == 'x' && IsHex(s[i + 2])) {
      size_t j = i + 2;
      while (j < s.size() && IsHex(s[j])) ++j;
      out.append("0x...");
      i = j;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

size_t DiffProfile::Add(std::string_view stack, double before, double after) {
  auto [it, inserted] =
      index_.try_emplace(absl::string_view(stack.data(), stack.size()), entries_.size());
  if (inserted) entries_.push_back(Entry{stack, 0, 0});
  entries_[it->second].before += before;
  entries_[it->second].after += after;
  return it->second;
}

size_t DiffProfile::AddCopy(std::string stack, double before, double after) {
  auto it = index_.find(absl::string_view(stack.data(), stack.size()));
  if (it != index_.end()) {
    entries_[it->second].before += before;
    entries_[it->second].after += after;
    return it->second;
  }
  return Add(storage_.emplace_back(std::move(stack)), before, after);
}

double DiffProfile::before_total() const {
  double t = 0;
  for (const Entry& e : entries_) t += e.before;
  return t;
}

double DiffProfile::after_total() const {
  double t = 0;
  for (const Entry& e : entries_) t += e.after;
  return t;
}

DiffProfile MakeDiff(const collapse::FoldedInput& before, const collapse::FoldedInput& after,
                     const DiffOptions& options) {
  DiffProfile diff;
  double total1 = 0, total2 = 0;
  for (const collapse::FoldedRecord& r : before.records) {
    if (options.strip_hex) {
      diff.AddCopy(StripHex(r.stack), r.count, 0);
    } else {
      diff.Add(r.stack, r.count, 0);
    }
    total1 += r.count;
  }
  for (const collapse::FoldedRecord& r : after.records) {
    if (options.strip_hex) {
      diff.AddCopy(StripHex(r.stack), 0, r.count);
    } else {
      diff.Add(r.stack, 0, r.count);
    }
    total2 += r.count;
  }
  if (options.normalize && total1 != total2 && total1 != 0) {
    for (DiffProfile::Entry& e : diff.mutable_entries()) {
      e.before = std::trunc(e.before * total2 / total1);
    }
  }
  return diff;
}

void WriteDiffFolded(const DiffProfile& diff, std::ostream& out) {
  // Sorted as whole lines: when one stack is a prefix of another, the
  // shorter one's next byte is the ' ' before its counts.
  const auto& e = diff.entries();
  std::vector<uint32_t> order(e.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&e](uint32_t x, uint32_t y) {
    std::string_view a = e[x].stack, b = e[y].stack;
    size_t n = std::min(a.size(), b.size());
    int c = a.substr(0, n).compare(b.substr(0, n));
    if (c != 0) return c < 0;
    if (a.size() == b.size()) return false;
    unsigned char ca = a.size() > n ? static_cast<unsigned char>(a[n]) : ' ';
    unsigned char cb = b.size() > n ? static_cast<unsigned char>(b[n]) : ' ';
    return ca < cb;
  });
  std::string text;
  for (uint32_t i : order) {
    text.append(e[i].stack);
    text += ' ';
    text += FormatWeight(e[i].before);
    text += ' ';
    text += FormatWeight(e[i].after);
    text += '\n';
    if (text.size() > (1 << 20)) {
      out << text;
      text.clear();
    }
  }
  out << text;
}

std::vector<StackWeight> StacksOf(const DiffProfile& diff) {
  std::vector<StackWeight> out;
  out.reserve(diff.entries().size());
  for (const DiffProfile::Entry& e : diff.entries()) {
    out.push_back(StackWeight{e.stack, e.after, e.before, ' ', {}});
  }
  return out;
}

absl::Status WriteDiffFlameGraph(const DiffProfile& diff, RenderOptions options,
                                 std::ostream& out) {
  options.diff_details = true;
  if (options.title.empty()) {
    options.title = options.negate ? "Differential Flame Graph (blue: grew, red: shrank)"
                                   : "Differential Flame Graph (red: grew, blue: shrank)";
  }
  return WriteFlameGraph(StacksOf(diff), /*differential=*/true, options, out);
}

}  // namespace stackfire::render
