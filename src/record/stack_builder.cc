// See stack_builder.h.
#include "src/record/stack_builder.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "stackfire/profile.h"

namespace stackfire::record {
namespace {

void AppendRaw(std::string* s, const void* p, size_t n) {
  s->append(static_cast<const char*>(p), n);
}

constexpr char kKernelModule[] = "[kernel.kallsyms]";

}  // namespace

void AppendStackKey(const StackKey& key, std::string* out) {
  AppendRaw(out, &key.pid, sizeof key.pid);
  AppendRaw(out, &key.maps_generation, sizeof key.maps_generation);
  out->push_back(key.truncated ? 'T' : key.failed ? 'F' : 'C');
  out->push_back(key.off_cpu ? 'O' : 'S');
  const size_t nu = key.user_pcs ? key.user_pcs->size() : 0;
  const size_t nk = key.kernel_ips ? key.kernel_ips->size() : 0;
  AppendRaw(out, &nu, sizeof nu);
  if (nu) AppendRaw(out, key.user_pcs->data(), nu * 8);
  AppendRaw(out, &nk, sizeof nk);
  if (nk) AppendRaw(out, key.kernel_ips->data(), nk * 8);
  if (key.kernel_names != nullptr) {
    for (const std::string& name : *key.kernel_names) {
      const size_t n = name.size();
      AppendRaw(out, &n, sizeof n);
      out->append(name);
    }
  }
}

uint32_t StackBuilder::Build(const StackKey& key, const ProcessMaps& maps) {
  key_.clear();
  AppendStackKey(key, &key_);
  auto [it, inserted] = cache_.try_emplace(key_, 0);
  if (!inserted) return it->second;
  uint64_t& newest = generation_[key.pid];
  if (key.maps_generation > newest) {
    stale_ = stale_ || newest != 0;
    newest = key.maps_generation;
  }
  if (stale_ && cache_.size() >= sweep_at_) {
    SweepStale();
    it = cache_.find(key_);
  }

  // Leaf first while collecting, reversed at the end.
  locations_.clear();
  size_t frames = 0;
  const size_t nk = key.kernel_ips ? key.kernel_ips->size() : 0;
  const size_t nu = key.user_pcs ? key.user_pcs->size() : 0;
  for (size_t i = 0; i < nk; ++i) locations_.push_back(KernelLocation((*key.kernel_ips)[i]));
  if (key.kernel_names != nullptr) {
    for (const std::string& name : *key.kernel_names) {
      locations_.push_back(Named(SanitizeFrameName(absl::StrCat(name, "_[k]")), FrameKind::kKernel));
    }
  }
  for (size_t i = 0; i < nu; ++i) {
    locations_.push_back(UserLocation(key.pid, maps, (*key.user_pcs)[i], i > 0));
  }
  for (uint32_t loc : locations_) frames += store_->frames_of(store_->location(loc)).size();
  if (key.truncated) {
    locations_.push_back(Named(kTruncatedFrame, FrameKind::kMarker));
  } else if (key.failed || frames == 0) {
    locations_.push_back(Named(kUnknownFrame, FrameKind::kMarker));
  }
  std::reverse(locations_.begin(), locations_.end());
  if (key.off_cpu) locations_.push_back(Named(kOffCpuFrame, FrameKind::kMarker));
  it->second = store_->InternStack(locations_);
  return it->second;
}

uint32_t StackBuilder::Named(std::string_view name, FrameKind kind) {
  auto [it, inserted] = named_.try_emplace(std::make_pair(kind, std::string(name)), 0);
  if (!inserted) return it->second;
  StackFrame frame;
  frame.name = std::string(name);
  frame.kind = kind;
  const uint32_t id = store_->InternFrame(frame);
  it->second = store_->AddLocation(LocationKind::kNamed, 0, -1, std::span<const uint32_t>(&id, 1));
  return it->second;
}

void StackBuilder::InternFrames(int32_t module) {
  frame_ids_.clear();
  for (Frame& f : scratch_) {
    StackFrame frame;
    frame.name = std::move(f.name);
    frame.kind = static_cast<FrameKind>(f.kind);
    frame.module = module;
    frame.file = std::move(f.file);
    frame.line = f.line;
    frame_ids_.push_back(store_->InternFrame(frame));
  }
}

uint32_t StackBuilder::ChainLocation(LocationKind kind) {
  auto [it, inserted] = chains_.try_emplace(std::make_pair(kind, frame_ids_), 0);
  if (inserted) it->second = store_->AddLocation(kind, 0, -1, frame_ids_);
  return it->second;
}

uint32_t StackBuilder::UserLocation(uint32_t pid, const ProcessMaps& maps, uint64_t pc,
                                    bool is_return) {
  const Mapping* m = maps.Find(is_return ? pc - 1 : pc);
  const bool named_file = m != nullptr && !m->path.empty();
  int32_t mapping = -1;
  uint32_t* slot = nullptr;
  if (options_.addresses) {
    mapping = named_file ? MappingFor(pid, *m) : -1;
    auto [it, inserted] =
        user_.try_emplace(std::make_tuple(mapping < 0 ? pid : 0u, mapping, pc, is_return), 0);
    if (!inserted) return it->second;
    slot = &it->second;
  }
  scratch_.clear();
  symbolizer_->SymbolizeUser(static_cast<int>(pid), maps, pc, is_return, &scratch_);
  InternFrames(named_file ? store_->InternModule(m->path) : -1);
  if (slot == nullptr) return ChainLocation(LocationKind::kUser);
  *slot = store_->AddLocation(LocationKind::kUser, pc, mapping, frame_ids_);
  return *slot;
}

uint32_t StackBuilder::KernelLocation(uint64_t pc) {
  uint32_t* slot = nullptr;
  if (options_.addresses) {
    auto [it, inserted] = kernel_.try_emplace(pc, 0);
    if (!inserted) return it->second;
    slot = &it->second;
  }
  scratch_.clear();
  symbolizer_->SymbolizeKernel(pc, &scratch_);
  InternFrames(store_->InternModule(kKernelModule));
  if (slot == nullptr) return ChainLocation(LocationKind::kKernel);
  *slot = store_->AddLocation(LocationKind::kKernel, pc, -1, frame_ids_);
  return *slot;
}

int32_t StackBuilder::MappingFor(uint32_t pid, const Mapping& m) {
  auto [it, inserted] =
      mappings_.try_emplace(std::make_tuple(pid, m.start, m.end, m.pgoff, m.inode, m.path), 0);
  if (!inserted) return it->second;
  StackMapping sm;
  sm.start = m.start;
  sm.limit = m.end;
  sm.file_offset = m.pgoff;
  sm.file = m.path;
  // The kernel's build-id (MMAP2) is the one of the file really mapped;
  // mappings read from /proc/PID/maps have none: the file's, through the
  // cache that already opened it for unwinding and symbols.
  sm.build_id = !m.build_id.empty() || modules_ == nullptr ? m.build_id : modules_->BuildIdOf(m);
  it->second = store_->AddMapping(std::move(sm));
  return it->second;
}

void StackBuilder::SweepStale() {
  // The key starts with the pid and the maps generation (see Build).
  for (auto it = cache_.begin(); it != cache_.end();) {
    uint32_t pid;
    uint64_t generation;
    std::memcpy(&pid, it->first.data(), sizeof pid);
    std::memcpy(&generation, it->first.data() + sizeof pid, sizeof generation);
    auto newest = generation_.find(pid);
    if (it->first != key_ && newest != generation_.end() && generation < newest->second) {
      cache_.erase(it++);
    } else {
      ++it;
    }
  }
  stale_ = false;
  sweep_at_ = std::max<size_t>(4096, 2 * cache_.size());
}

std::string ThreadRootFrame(std::string_view comm, uint32_t pid, uint32_t tid) {
  std::string name = absl::StrCat(absl::string_view(comm.data(), comm.size()), "-", pid, "/", tid);
  std::replace(name.begin(), name.end(), ' ', '_');
  return SanitizeFrameName(name);
}

std::string ProcessRootFrame(std::string_view comm, uint32_t pid) {
  std::string name = absl::StrCat(absl::string_view(comm.data(), comm.size()), "-", pid);
  std::replace(name.begin(), name.end(), ' ', '_');
  return SanitizeFrameName(name);
}

}  // namespace stackfire::record
