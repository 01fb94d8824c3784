// The stack model shared by every stage: folded stacks with weights.
//
// A stack is its frames joined by ';', root first, exactly as in the folded
// format of FlameGraph ("main;foo;bar"). Producers (the perf script parser,
// the recorder) must pass each frame name through SanitizeFrameName so that a
// name can never split a stack or a line. Stacks keep their first-seen order
// (flame charts need it) and can also be listed sorted bytewise (the order the
// FlameGraph scripts print).
#ifndef STACKFIRE_PROFILE_H_
#define STACKFIRE_PROFILE_H_

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace stackfire {

// The leaf frame of an off-CPU stack (`stackfire record --off-cpu`): the
// frames before it are where the thread left the CPU, and its weight is the
// time it stayed off. Renderers and the report tell on-CPU time from
// off-CPU time by it.
inline constexpr char kOffCpuFrame[] = "[off-cpu]";

// True when the folded stack ends in kOffCpuFrame.
inline bool IsOffCpuStack(std::string_view stack) {
  constexpr std::string_view kLeaf = kOffCpuFrame;
  return stack.size() >= kLeaf.size() && stack.substr(stack.size() - kLeaf.size()) == kLeaf &&
         (stack.size() == kLeaf.size() || stack[stack.size() - kLeaf.size() - 1] == ';');
}

class Profile {
 public:
  struct Entry {
    std::string stack;
    double weight = 0;
  };

  Profile() = default;
  Profile(const Profile& other);
  Profile(Profile&& other) noexcept;
  Profile& operator=(const Profile& other);
  Profile& operator=(Profile&& other) noexcept;

  // Adds weight to stack, creating it on first use.
  void Add(std::string_view stack, double weight);
  void Merge(const Profile& other);

  // Stacks in first-seen order.
  const std::vector<Entry>& entries() const { return entries_; }
  // Indices into entries(), ordered bytewise by stack.
  std::vector<size_t> SortedOrder() const;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  double total() const { return total_; }

 private:
  // The index holds positions in entries_, not strings, so that each stack
  // is stored once (profiles of deep stacks are mostly stack text). Hash and
  // equality look the stacks up in entries_, which is why copies and moves
  // rebuild the index.
  struct StackHash {
    using is_transparent = void;
    const std::vector<Entry>* entries;
    size_t operator()(size_t i) const;
    size_t operator()(absl::string_view stack) const;
  };
  struct StackEq {
    using is_transparent = void;
    const std::vector<Entry>* entries;
    bool operator()(size_t a, size_t b) const { return a == b; }
    bool operator()(size_t a, absl::string_view b) const;
    bool operator()(absl::string_view a, size_t b) const { return (*this)(b, a); }
  };
  using Index = absl::flat_hash_set<size_t, StackHash, StackEq>;
  Index MakeIndex() const { return Index(0, StackHash{&entries_}, StackEq{&entries_}); }
  void RebuildIndex();

  std::vector<Entry> entries_;
  Index index_ = MakeIndex();
  double total_ = 0;
};

// Replaces the characters that would break the folded format (';', '\n',
// '\r') with ':' or ' '. Other bytes are kept; renderers escape them.
std::string SanitizeFrameName(std::string_view name);

// Formats a weight as the perl tools print it: integers without a decimal
// point, other values with up to 15 significant digits.
std::string FormatWeight(double weight);

// Writes "stack weight\n" for every stack, sorted bytewise.
void WriteFolded(const Profile& profile, std::ostream& out);

}  // namespace stackfire

#endif  // STACKFIRE_PROFILE_H_
