#include "src/proc/mapped_file.h"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "src/proc/target_files.h"

namespace stackfire::proc {
namespace {

constexpr absl::string_view kDeleted = " (deleted)";
// /proc/PID/maps of a process with a million mappings is ~100 MB; stop well
// before (the lookup is only a fallback for a mapping cut by mprotect).
constexpr size_t kMaxMapsBytes = size_t{64} << 20;

bool SameInode(const struct stat& st, const Mapping& m) {
  return st.st_ino == m.inode && major(st.st_dev) == m.dev_major &&
         minor(st.st_dev) == m.dev_minor;
}

std::string RangeName(uint64_t start, uint64_t end) {
  return absl::StrCat(absl::Hex(start), "-", absl::Hex(end));
}

// The range of the VMA of /proc/PID/maps that contains addr, or "".
std::string VmaContaining(int pid, uint64_t addr) {
  ScopedFd fd(::open(absl::StrCat("/proc/", pid, "/maps").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return "";
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxMapsBytes) return "";
  }
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    uint64_t start = 0, end = 0;
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), start, 16);
    if (ec != std::errc() || p == line.data() + line.size() || *p != '-') continue;
    auto [q, ec2] = std::from_chars(p + 1, line.data() + line.size(), end, 16);
    if (ec2 != std::errc()) continue;
    if (addr >= start && addr < end) return RangeName(start, end);
  }
  return "";
}

absl::StatusOr<MappedFile> OpenMapFiles(const Mapping& m) {
  const std::string dir = absl::StrCat("/proc/", m.pid, "/map_files/");
  MappedFile out;
  out.source = dir + RangeName(m.start, m.end);
  out.fd.reset(::open(out.source.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!out.fd && errno == ENOENT) {
    // mprotect or a later mmap cut the mapping: the VMA around its start.
    if (std::string range = VmaContaining(m.pid, m.start); !range.empty()) {
      out.source = dir + range;
      out.fd.reset(::open(out.source.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    }
  }
  if (!out.fd) {
    if (errno == EPERM || errno == EACCES) {
      return absl::PermissionDeniedError(
          absl::StrCat(out.source, " is not readable (needs root or CAP_CHECKPOINT_RESTORE)"));
    }
    return absl::ErrnoToStatus(errno, absl::StrCat("open ", out.source));
  }
  if (::fstat(out.fd.get(), &out.st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("fstat ", out.source));
  }
  if (!S_ISREG(out.st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(out.source, " is not a regular file"));
  }
  if (m.inode != 0 && !SameInode(out.st, m)) {
    return absl::FailedPreconditionError(
        absl::StrCat(out.source, " now maps another file (the mapping was replaced)"));
  }
  out.via_map_files = true;
  return out;
}

}  // namespace

std::string MappingRoot(const Mapping& mapping) {
  if (mapping.pid <= 0) return "";
  std::string root = absl::StrCat("/proc/", mapping.pid, "/root");
  if (!absl::StartsWith(mapping.open_path, root + "/")) return "";
  return root;
}

std::string MappingPathInRoot(const Mapping& mapping) {
  return mapping.open_path.substr(MappingRoot(mapping).size());
}

absl::StatusOr<MappedFile> OpenMappedFile(const Mapping& mapping, MappedFileMode mode) {
  if (mapping.open_path.empty()) {
    return absl::NotFoundError(absl::StrCat("no file behind mapping '", mapping.path, "'"));
  }
  const std::string root = MappingRoot(mapping);
  const std::string path = MappingPathInRoot(mapping);
  const std::string name = root + path;
  std::string why;
  if (absl::EndsWith(mapping.path, kDeleted)) {
    why = "deleted since it was mapped";
  } else if (mode == MappedFileMode::kMapFilesOnly) {
    why = absl::StrCat(name, " has another build-id than the mapped file (replaced on disk)");
  } else {
    MappedFile out;
    absl::StatusOr<ScopedFd> fd = OpenTargetFile(root, path, &out.st);
    if (fd.ok()) {
      // Without a live process (pid 0: a maps text from a test or a
      // recording) the inode is some other machine's: the build-id check,
      // when there is one, is all that can be done.
      if (mapping.inode == 0 || mapping.pid <= 0 || SameInode(out.st, mapping)) {
        out.fd = *std::move(fd);
        out.source = name;
        return out;
      }
      why = absl::StrCat(name, " was replaced on disk since it was mapped (inode ", out.st.st_ino,
                         " now, ", mapping.inode, " mapped)");
    } else {
      why = std::string(fd.status().message());
    }
  }
  absl::Status map_files = absl::NotFoundError("the process is unknown");
  if (mapping.pid > 0) {
    absl::StatusOr<MappedFile> mapped = OpenMapFiles(mapping);
    if (mapped.ok()) return mapped;
    map_files = mapped.status();
  }
  // The process is gone or a zombie (samples still queued at its exit):
  // its root and map_files went with its memory. The same path in our root
  // is used only when it is provably the mapped file: the same inode, or
  // (checked by the caller) the build-id.
  if (mapping.pid > 0 && !root.empty() && mode == MappedFileMode::kPathFirst &&
      !absl::EndsWith(mapping.path, kDeleted) &&
      (mapping.inode != 0 || !mapping.build_id.empty())) {
    MappedFile out;
    absl::StatusOr<ScopedFd> fd = OpenTargetFile("", path, &out.st);
    if (fd.ok() && (mapping.inode == 0 || SameInode(out.st, mapping))) {
      out.fd = *std::move(fd);
      out.source = path;
      return out;
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat(why, "; the mapped file cannot be read either: ", map_files.message()));
}

}  // namespace stackfire::proc
