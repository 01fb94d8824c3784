#include "src/symbolize/jit_maps.h"

#include <sys/stat.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/proc/pid_namespace.h"
#include "src/proc/target_files.h"

namespace stackfire::symbolize {
namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

std::vector<JitMaps::Place> JitMaps::Candidates(int pid) const {
  const std::optional<int> inner = proc::InnermostPid(pid);
  const int own = inner.value_or(pid);
  std::vector<Place> out;
  out.push_back({absl::StrCat("/proc/", pid, "/root"), absl::StrCat(dir_, "/perf-", own, ".map")});
  if (own == pid) out.push_back({"", absl::StrCat(dir_, "/perf-", pid, ".map")});
  return out;
}

void JitMaps::Refresh(int pid, Map* map) {
  struct stat st;
  absl::StatusOr<ScopedFd> fd = absl::NotFoundError("");
  if (map->found) fd = proc::OpenTargetFile(map->place.root, map->place.path, &st);
  if (!fd.ok() && !absl::IsFailedPrecondition(fd.status())) {
    map->found = false;
    for (const Place& candidate : Candidates(pid)) {
      fd = proc::OpenTargetFile(candidate.root, candidate.path, &st);
      if (absl::IsNotFound(fd.status())) continue;
      map->place = candidate;
      map->found = true;
      break;
    }
  }
  if (!map->found) return;
  const std::string name = map->place.root + map->place.path;
  auto problem = [&](const absl::Status& status) {
    if (problems_.emplace(name, std::string(status.message())).second) {
      problem_order_.push_back(name);
    }
  };
  if (!fd.ok()) {
    problem(fd.status());
    return;
  }
  if (st.st_size == map->size && st.st_mtim.tv_sec == map->mtime.tv_sec &&
      st.st_mtim.tv_nsec == map->mtime.tv_nsec) {
    return;
  }
  // Not read again until this version of the file changes.
  map->size = st.st_size;
  map->mtime = st.st_mtim;
  absl::StatusOr<std::string> text = proc::ReadTargetFd(fd->get(), st, proc::kMaxPerfMapBytes, name);
  if (!text.ok()) {
    problem(text.status());
    return;
  }
  map->symbols = TextSymbols::ParsePerfMap(*text);
  if (const size_t bad = map->symbols.rejected(); bad > 0) {
    problem(absl::InternalError(absl::StrCat(
        name, ": ", bad, " line", bad == 1 ? "" : "s",
        " with an absurd range (past 2^64, or over 1 GiB) ignored")));
  }
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
