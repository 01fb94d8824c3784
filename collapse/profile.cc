#include "stackfire/profile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace stackfire {

void Profile::Add(std::string_view stack, double weight) {
  // Debian's Abseil has its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW
  // is 0), so heterogeneous lookup needs one spelled out.
  auto it = index_.find(absl::string_view(stack.data(), stack.size()));
  if (it == index_.end()) {
    it = index_.emplace(std::string(stack), entries_.size()).first;
    entries_.push_back(Entry{std::string(stack), 0});
  }
  entries_[it->second].weight += weight;
  total_ += weight;
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
  char buf[64];
  if (std::fabs(weight) < 9.007199254740992e15 && weight == std::floor(weight)) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(weight));
  } else {
    std::snprintf(buf, sizeof buf, "%.15g", weight);
  }
  return buf;
}

void WriteFolded(const Profile& profile, std::ostream& out) {
  for (size_t i : profile.SortedOrder()) {
    const Profile::Entry& e = profile.entries()[i];
    out << e.stack << ' ' << FormatWeight(e.weight) << '\n';
  }
}

}  // namespace stackfire
