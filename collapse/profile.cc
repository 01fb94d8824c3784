#include "stackfire/profile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <ostream>
#include <utility>

#include "absl/hash/hash.h"

namespace stackfire {

size_t Profile::StackHash::operator()(size_t i) const {
  const std::string& s = (*entries)[i].stack;
  return absl::Hash<absl::string_view>()(absl::string_view(s.data(), s.size()));
}

size_t Profile::StackHash::operator()(absl::string_view stack) const {
  return absl::Hash<absl::string_view>()(stack);
}

bool Profile::StackEq::operator()(size_t a, absl::string_view b) const {
  const std::string& s = (*entries)[a].stack;
  return absl::string_view(s.data(), s.size()) == b;
}

Profile::Profile(const Profile& other) : entries_(other.entries_), total_(other.total_) {
  RebuildIndex();
}

Profile::Profile(Profile&& other) noexcept
    : entries_(std::move(other.entries_)), total_(other.total_) {
  RebuildIndex();
  other.entries_.clear();
  other.RebuildIndex();
  other.total_ = 0;
}

Profile& Profile::operator=(const Profile& other) {
  if (this != &other) {
    entries_ = other.entries_;
    total_ = other.total_;
    RebuildIndex();
  }
  return *this;
}

Profile& Profile::operator=(Profile&& other) noexcept {
  if (this != &other) {
    entries_ = std::move(other.entries_);
    total_ = other.total_;
    RebuildIndex();
    other.entries_.clear();
    other.RebuildIndex();
    other.total_ = 0;
  }
  return *this;
}

void Profile::RebuildIndex() {
  index_ = MakeIndex();
  index_.reserve(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i) index_.insert(i);
}

size_t Profile::Add(std::string_view stack, double weight) {
  // Debian's Abseil has its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW
  // is 0), so heterogeneous lookup needs one spelled out.
  absl::string_view key(stack.data(), stack.size());
  auto it = index_.find(key);
  size_t i;
  if (it == index_.end()) {
    i = entries_.size();
    entries_.push_back(Entry{std::string(stack), 0});
    index_.insert(i);
  } else {
    i = *it;
  }
  entries_[i].weight += weight;
  total_ += weight;
  return i;
}

void Profile::Merge(const Profile& other) {
  for (const Entry& e : other.entries_) Add(e.stack, e.weight);
}

std::vector<size_t> Profile::SortedOrder() const {
  std::vector<size_t> order(entries_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [this](size_t a, size_t b) { return entries_[a].stack < entries_[b].stack; });
  return order;
}

std::string SanitizeFrameName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == ';') c = ':';
    else if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string FormatWeight(double weight) {
  // Folded counts are digits with an optional fraction, never an exponent
  // (flamegraph.pl and our parsers reject "4.4e+16"; the fuzzer found one).
  char buf[400];
  if (std::fabs(weight) < 9.007199254740992e15 && weight == std::floor(weight)) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(weight));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.15g", weight);
  if (std::strchr(buf, 'e') == nullptr || !std::isfinite(weight) || std::fabs(weight) >= 1e300) {
    return buf;
  }
  if (weight == std::floor(weight)) {
    std::snprintf(buf, sizeof buf, "%.0f", weight);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.20f", weight);
  std::string out = buf;
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

void WriteFolded(const Profile& profile, std::ostream& out) {
  for (size_t i : profile.SortedOrder()) {
    const Profile::Entry& e = profile.entries()[i];
    out << e.stack << ' ' << FormatWeight(e.weight) << '\n';
  }
}

}  // namespace stackfire
