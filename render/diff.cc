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

}  // namespace

void DiffProfile::Add(std::string_view stack, double before, double after) {
  auto it = index_.find(absl::string_view(stack.data(), stack.size()));
  if (it == index_.end()) {
    it = index_.emplace(std::string(stack), entries_.size()).first;
    entries_.push_back(Entry{std::string(stack), 0, 0});
  }
  entries_[it->second].before += before;
  entries_[it->second].after += after;
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

DiffProfile MakeDiff(const FoldedInput& before, const FoldedInput& after,
                     const DiffOptions& options) {
  DiffProfile diff;
  double total1 = 0, total2 = 0;
  for (const FoldedRecord& r : before.records) {
    diff.Add(options.strip_hex ? StripHex(r.stack) : r.stack, r.count, 0);
    total1 += r.count;
  }
  for (const FoldedRecord& r : after.records) {
    diff.Add(options.strip_hex ? StripHex(r.stack) : r.stack, 0, r.count);
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
  std::vector<std::string> lines;
  lines.reserve(diff.entries().size());
  for (const DiffProfile::Entry& e : diff.entries()) {
    lines.push_back(e.stack + " " + FormatWeight(e.before) + " " + FormatWeight(e.after) + "\n");
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const std::string& l : lines) all += l;
  out << all;
}

std::vector<StackWeight> StacksOf(const DiffProfile& diff) {
  std::vector<StackWeight> out;
  out.reserve(diff.entries().size());
  for (const DiffProfile::Entry& e : diff.entries()) {
    out.push_back(StackWeight{e.stack, e.after, e.before, ' '});
  }
  return out;
}

absl::Status WriteDiffFlameGraph(const DiffProfile& diff, RenderOptions options,
                                 std::ostream& out) {
  options.diff_details = true;
  if (options.title.empty()) options.title = "Differential Flame Graph";
  return WriteFlameGraph(StacksOf(diff), /*differential=*/true, options, out);
}

}  // namespace stackfire::render
