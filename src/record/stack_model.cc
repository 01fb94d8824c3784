// See stack_model.h.
#include "src/record/stack_model.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/types/span.h"

namespace stackfire::record {

StackStore& StackStore::operator=(StackStore&& other) noexcept {
  if (this == &other) return *this;
  frames_ = std::move(other.frames_);
  frame_index_ = std::move(other.frame_index_);
  modules_ = std::move(other.modules_);
  module_index_ = std::move(other.module_index_);
  mappings_ = std::move(other.mappings_);
  locations_ = std::move(other.locations_);
  location_frames_ = std::move(other.location_frames_);
  stacks_ = std::move(other.stacks_);
  stack_locations_ = std::move(other.stack_locations_);
  other.frames_.clear();
  other.frame_index_.clear();
  other.modules_.clear();
  other.module_index_.clear();
  other.mappings_.clear();
  other.locations_.clear();
  other.location_frames_.clear();
  other.stacks_.clear();
  other.stack_locations_.clear();
  other.stack_index_.clear();
  stack_index_ = StackIndex(stacks_.size(), StackHash{this}, StackEq{this});
  for (uint32_t i = 0; i < stacks_.size(); ++i) stack_index_.insert(i);
  return *this;
}

size_t StackStore::StackHash::operator()(std::span<const uint32_t> locations) const {
  return absl::Hash<absl::Span<const uint32_t>>{}(
      absl::Span<const uint32_t>(locations.data(), locations.size()));
}

bool StackStore::StackEq::operator()(uint32_t a, std::span<const uint32_t> b) const {
  const std::span<const uint32_t> stack = store->locations_of(a);
  return std::equal(stack.begin(), stack.end(), b.begin(), b.end());
}

uint32_t StackStore::InternFrame(const StackFrame& frame) {
  auto [it, inserted] = frame_index_.try_emplace(frame, static_cast<uint32_t>(frames_.size()));
  if (inserted) frames_.push_back(frame);
  return it->second;
}

int32_t StackStore::InternModule(std::string_view path) {
  auto [it, inserted] = module_index_.try_emplace(absl::string_view(path.data(), path.size()),
                                                  static_cast<int32_t>(modules_.size()));
  if (inserted) modules_.emplace_back(path);
  return it->second;
}

int32_t StackStore::AddMapping(StackMapping mapping) {
  mappings_.push_back(std::move(mapping));
  return static_cast<int32_t>(mappings_.size() - 1);
}

uint32_t StackStore::AddLocation(LocationKind kind, uint64_t address, int32_t mapping,
                                 std::span<const uint32_t> frames) {
  StackLocation l;
  l.kind = kind;
  l.address = address;
  l.mapping = mapping;
  l.frames_begin = static_cast<uint32_t>(location_frames_.size());
  location_frames_.insert(location_frames_.end(), frames.begin(), frames.end());
  l.frames_end = static_cast<uint32_t>(location_frames_.size());
  locations_.push_back(l);
  return static_cast<uint32_t>(locations_.size() - 1);
}

uint32_t StackStore::InternStack(std::span<const uint32_t> locations) {
  if (auto it = stack_index_.find(locations); it != stack_index_.end()) return *it;
  const uint32_t id = static_cast<uint32_t>(stacks_.size());
  const uint32_t begin = static_cast<uint32_t>(stack_locations_.size());
  stack_locations_.insert(stack_locations_.end(), locations.begin(), locations.end());
  stacks_.emplace_back(begin, static_cast<uint32_t>(stack_locations_.size()));
  stack_index_.insert(id);
  return id;
}

}  // namespace stackfire::record
