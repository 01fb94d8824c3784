#include "src/symbolize/jit_maps.h"

#include <sys/stat.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "src/proc/pid_namespace.h"
#include "src/symbolize/target_files.h"

namespace stackfire::symbolize {
namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

std::vector<std::string> JitMaps::Candidates(int pid) const {
  const std::optional<int> inner = proc::InnermostPid(pid);
  const int own = inner.value_or(pid);
  std::vector<std::string> out;
  out.push_back(absl::StrCat("/proc/", pid, "/root", dir_, "/perf-", own, ".map"));
  if (own == pid) out.push_back(absl::StrCat(dir_, "/perf-", pid, ".map"));
  return out;
}

void JitMaps::Refresh(int pid, Map* map) {
  struct stat st;
  if (map->path.empty() || ::stat(map->path.c_str(), &st) != 0) {
    map->path.clear();
    for (const std::string& candidate : Candidates(pid)) {
      if (::stat(candidate.c_str(), &st) == 0) {
        map->path = candidate;
        break;
      }
    }
    if (map->path.empty()) return;
  }
  if (st.st_size == map->size && st.st_mtim.tv_sec == map->mtime.tv_sec &&
      st.st_mtim.tv_nsec == map->mtime.tv_nsec) {
    return;
  }
  absl::StatusOr<std::string> text = ReadTargetFile(map->path, kMaxPerfMapBytes);
  if (!text.ok()) {
    if (problems_.emplace(map->path, std::string(text.status().message())).second) {
      problem_order_.push_back(map->path);
    }
    // Not again for this version of the file.
    map->size = st.st_size;
    map->mtime = st.st_mtim;
    return;
  }
  map->symbols = TextSymbols::ParsePerfMap(*text);
  map->size = st.st_size;
  map->mtime = st.st_mtim;
}

const std::string* JitMaps::Lookup(int pid, uint64_t addr) {
  Map& map = maps_[pid];
  const std::string* hit = map.symbols.Lookup(addr);
  const uint64_t now = NowNs();
  // A miss may be code the JIT wrote since the last read: look at the file
  // again, but at most every 50 ms.
  if (hit != nullptr || now - map.checked_ns < 50'000'000) return hit;
  map.checked_ns = now;
  Refresh(pid, &map);
  return map.symbols.Lookup(addr);
}

void JitMaps::AppendWarnings(std::vector<std::string>* out) const {
  for (const std::string& path : problem_order_) {
    out->push_back(absl::StrCat("perf map ", problems_.at(path),
                                "; the JIT frames it would name show as [unknown]"));
  }
}

}  // namespace stackfire::symbolize
