#include "src/record/stack_folder.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "stackfire/profile.h"

namespace stackfire::record {
namespace {

void AppendRaw(std::string* s, const void* p, size_t n) {
  s->append(static_cast<const char*>(p), n);
}

}  // namespace

void AppendStackKey(const StackKey& key, std::string* out) {
  AppendRaw(out, &key.pid, sizeof key.pid);
  AppendRaw(out, &key.maps_generation, sizeof key.maps_generation);
  out->push_back(key.truncated ? 'T' : key.failed ? 'F' : 'C');
  const size_t nu = key.user_pcs ? key.user_pcs->size() : 0;
  const size_t nk = key.kernel_ips ? key.kernel_ips->size() : 0;
  AppendRaw(out, &nu, sizeof nu);
  if (nu) AppendRaw(out, key.user_pcs->data(), nu * 8);
  if (nk) AppendRaw(out, key.kernel_ips->data(), nk * 8);
}

const std::string& StackFolder::Fold(const StackKey& key, const ProcessMaps& maps) {
  key_.clear();
  AppendStackKey(key, &key_);
  const size_t nu = key.user_pcs ? key.user_pcs->size() : 0;
  const size_t nk = key.kernel_ips ? key.kernel_ips->size() : 0;

  auto [it, inserted] = cache_.try_emplace(key_);
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
  frames_.clear();
  for (size_t i = 0; i < nk; ++i) {
    scratch_.clear();
    symbolizer_->SymbolizeKernel((*key.kernel_ips)[i], &scratch_);
    frames_.insert(frames_.end(), scratch_.begin(), scratch_.end());
  }
  for (size_t i = 0; i < nu; ++i) {
    scratch_.clear();
    symbolizer_->SymbolizeUser(static_cast<int>(key.pid), maps, (*key.user_pcs)[i], i > 0,
                               &scratch_);
    frames_.insert(frames_.end(), scratch_.begin(), scratch_.end());
  }
  std::string& folded = it->second;
  if (key.truncated) {
    folded = kTruncatedFrame;
  } else if (key.failed || frames_.empty()) {
    folded = kUnknownFrame;
  }
  for (size_t i = frames_.size(); i-- > 0;) {
    if (!folded.empty()) folded.push_back(';');
    folded += frames_[i].name;
  }
  return folded;
}

void StackFolder::SweepStale() {
  // The key starts with the pid and the maps generation (see Fold).
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
