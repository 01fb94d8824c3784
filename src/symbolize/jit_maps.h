// Names for JIT code from perf maps ("START SIZE name" lines, the format of
// perf's tools/perf/Documentation/jit-interface.txt), one per process.
//
// A process writes /tmp/perf-<its pid>.map, where "its pid" is the pid in
// its own pid namespace and /tmp the one of its own mount namespace. For a
// process in a container, or started with `unshare --pid --mount`, that is
// /proc/PID/root/tmp/perf-<NSpid>.map from here (NSpid: the innermost pid in
// /proc/PID/status), resolved inside that root (proc/target_files.h: a symlink in
// the container cannot lead to a host file). That path is tried first; the
// plain <dir>/perf-PID.map only when the process is in our pid namespace
// (or gone, and then only under its own pid): under another namespace's pid
// it would be some other process's map.
//
// A map grows while the JIT runs: a lookup that misses looks at the file
// again (open and fstat), at most every 50 ms, and reads it again when its
// size or mtime changed. Reads are bounded (proc/target_files.h). Not
// thread-safe.
#ifndef STACKFIRE_SRC_SYMBOLIZE_JIT_MAPS_H_
#define STACKFIRE_SRC_SYMBOLIZE_JIT_MAPS_H_

#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "src/symbolize/text_symbols.h"

namespace stackfire::symbolize {

class JitMaps {
 public:
  // dir: where processes write their maps, "/tmp" normally.
  explicit JitMaps(std::string dir) : dir_(std::move(dir)) {}

  // The JIT symbol covering addr in process pid, or nullptr.
  const std::string* Lookup(int pid, uint64_t addr);

  // Where pid's map is looked for, in order: a root ("" for ours) and a
  // path inside it (exposed for tests).
  struct Place {
    std::string root;
    std::string path;
  };
  std::vector<Place> Candidates(int pid) const;

  // One line per map that could not be read (too large, not a regular
  // file), for the summary.
  void AppendWarnings(std::vector<std::string>* out) const;

 private:
  struct Map {
    TextSymbols symbols;
    Place place;  // the file read, once one was found
    bool found = false;
    struct timespec mtime {};
    off_t size = -1;
    uint64_t checked_ns = 0;
  };
  void Refresh(int pid, Map* map);

  std::string dir_;
  absl::flat_hash_map<int, Map> maps_;
  absl::flat_hash_map<std::string, std::string> problems_;  // path -> why
  std::vector<std::string> problem_order_;
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_JIT_MAPS_H_
