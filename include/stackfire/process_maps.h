// The address space of one process: /proc/PID/maps at attach, then kept up to
// date from PERF_RECORD_MMAP2 while recording (dlopen, exec).
//
// Files are opened through /proc/PID/root so that targets in containers and
// chroots resolve to their own binaries.
#ifndef STACKFIRE_PROCESS_MAPS_H_
#define STACKFIRE_PROCESS_MAPS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace stackfire {

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;    // exclusive
  uint64_t pgoff = 0;  // file offset of start
  uint32_t prot = 0;   // PROT_READ | PROT_WRITE | PROT_EXEC
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  uint64_t inode = 0;
  // As /proc/PID/maps prints it: an absolute path, "[vdso]", "[stack]", or
  // empty for anonymous memory.
  std::string path;
  // Where stackfire can read the file: /proc/PID/root + path, or empty when
  // the mapping has no file behind it.
  std::string open_path;
  // The vDSO has no file: its image is read from /proc/PID/mem at attach.
  std::shared_ptr<const std::vector<uint8_t>> image;
  // The GNU build-id (raw bytes) when the sampler knows it (PERF_RECORD_MMAP2
  // with PERF_RECORD_MISC_MMAP_BUILD_ID, or a recording). When set, a file
  // whose build-id differs is refused instead of unwinding to garbage.
  std::string build_id;
  // The process that maps it (0: unknown, e.g. a maps text parsed in a
  // test): its /proc/PID/map_files reads the mapped file even when the path
  // now names another file or none (proc/mapped_file.h).
  int32_t pid = 0;

  bool executable() const { return (prot & 0x4) != 0; }
  bool contains(uint64_t addr) const { return addr >= start && addr < end; }
};

class ProcessMaps {
 public:
  // Reads /proc/PID/maps (and the vDSO image). kNotFound if the process is gone.
  static absl::StatusOr<ProcessMaps> Read(int pid);
  // Parses the text of a maps file. A malformed line is an error naming the
  // line number. root_prefix is prepended to file paths to form open_path.
  static absl::StatusOr<ProcessMaps> Parse(std::string_view text, std::string_view root_prefix);

  // Adds a mapping, cutting away any part of older mappings it overlaps, as
  // mmap(MAP_FIXED) does.
  void Insert(Mapping mapping);
  // Forgets everything: the process called exec.
  void Clear() { mappings_.clear(); }
  // Removes the mapping of `path` that starts at `start`, if there is one
  // (perf sends no record for munmap: the recorder drops mappings it knows
  // to be stale, e.g. older copies of a library loaded again and again).
  void EraseAt(uint64_t start, std::string_view path);

  // The mapping that contains addr, or nullptr. O(log n).
  const Mapping* Find(uint64_t addr) const;
  const std::vector<Mapping>& mappings() const { return mappings_; }  // sorted by start

 private:
  std::vector<Mapping> mappings_;
};

}  // namespace stackfire

#endif  // STACKFIRE_PROCESS_MAPS_H_
