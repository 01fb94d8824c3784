#include "stackfire/process_maps.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stackfire/scoped_fd.h"
#include "stackfire/status_macros.h"

namespace stackfire {
namespace {

// Reads one hexadecimal field ending at `stop` (or at the end of the text).
bool ParseHex(std::string_view* s, char stop, uint64_t* out) {
  const char* begin = s->data();
  const char* end = s->data() + s->size();
  auto [ptr, ec] = std::from_chars(begin, end, *out, 16);
  if (ec != std::errc() || ptr == begin) return false;
  if (stop != '\0') {
    if (ptr == end || *ptr != stop) return false;
    ++ptr;
  }
  s->remove_prefix(static_cast<size_t>(ptr - begin));
  return true;
}

bool ParseDec(std::string_view* s, uint64_t* out) {
  const char* begin = s->data();
  auto [ptr, ec] = std::from_chars(begin, begin + s->size(), *out, 10);
  if (ec != std::errc() || ptr == begin) return false;
  s->remove_prefix(static_cast<size_t>(ptr - begin));
  return true;
}

bool SkipSpaces(std::string_view* s, bool required) {
  size_t n = 0;
  while (n < s->size() && ((*s)[n] == ' ' || (*s)[n] == '\t')) ++n;
  s->remove_prefix(n);
  return n > 0 || !required;
}

// "start-end perms offset major:minor inode   path"
bool ParseLine(std::string_view line, std::string_view root_prefix, Mapping* m) {
  uint64_t major = 0, minor = 0;
  if (!ParseHex(&line, '-', &m->start) || !ParseHex(&line, '\0', &m->end)) return false;
  if (m->end < m->start || !SkipSpaces(&line, true)) return false;
  if (line.size() < 4) return false;
  const std::string_view perms = line.substr(0, 4);
  if ((perms[0] != 'r' && perms[0] != '-') || (perms[1] != 'w' && perms[1] != '-') ||
      (perms[2] != 'x' && perms[2] != '-') || (perms[3] != 'p' && perms[3] != 's')) {
    return false;
  }
  m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
            (perms[2] == 'x' ? PROT_EXEC : 0);
  line.remove_prefix(4);
  if (!SkipSpaces(&line, true) || !ParseHex(&line, '\0', &m->pgoff)) return false;
  if (!SkipSpaces(&line, true) || !ParseHex(&line, ':', &major) ||
      !ParseHex(&line, '\0', &minor)) {
    return false;
  }
  m->dev_major = static_cast<uint32_t>(major);
  m->dev_minor = static_cast<uint32_t>(minor);
  if (!SkipSpaces(&line, true) || !ParseDec(&line, &m->inode)) return false;
  if (!line.empty() && !SkipSpaces(&line, true)) return false;
  m->path = std::string(line);
  if (!m->path.empty() && m->path.front() == '/') {
    std::string_view file = m->path;
    constexpr std::string_view kDeleted = " (deleted)";
    if (file.size() > kDeleted.size() && file.substr(file.size() - kDeleted.size()) == kDeleted) {
      file.remove_suffix(kDeleted.size());
    }
    m->open_path = absl::StrCat(std::string(root_prefix), std::string(file));
  }
  return true;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

absl::StatusOr<ProcessMaps> ProcessMaps::Parse(std::string_view text,
                                                std::string_view root_prefix) {
  ProcessMaps maps;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    Mapping m;
    if (!ParseLine(line, root_prefix, &m)) {
      return absl::DataLossError(absl::StrCat("maps line ", line_no, " is malformed: \"",
                                              std::string(line.substr(0, 200)), "\""));
    }
    maps.Insert(std::move(m));
  }
  return maps;
}

absl::StatusOr<ProcessMaps> ProcessMaps::Read(int pid) {
  const std::string proc = absl::StrCat("/proc/", pid);
  auto text = ReadWholeFile(proc + "/maps");
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError(absl::StrCat("no process with pid ", pid));
    }
    return text.status();
  }
  auto parsed = Parse(*text, proc + "/root");
  if (!parsed.ok()) {
    return absl::Status(parsed.status().code(),
                        absl::StrCat(proc, "/maps: ", parsed.status().message()));
  }
  ProcessMaps maps = *std::move(parsed);
  for (Mapping& m : maps.mappings_) m.pid = pid;
  for (Mapping& m : maps.mappings_) {
    if (m.path != "[vdso]") continue;
    // Best effort: without the image, vDSO frames are unresolved, not fatal.
    ScopedFd mem(::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
    if (!mem) break;
    auto image = std::make_shared<std::vector<uint8_t>>(m.end - m.start);
    ssize_t n = ::pread(mem.get(), image->data(), image->size(), static_cast<off_t>(m.start));
    if (n == static_cast<ssize_t>(image->size())) m.image = std::move(image);
    break;
  }
  return maps;
}

void ProcessMaps::Insert(Mapping mapping) {
  if (mapping.end <= mapping.start) return;
  // First mapping that ends after the new start: the first that may overlap.
  auto it = std::upper_bound(mappings_.begin(), mappings_.end(), mapping.start,
                             [](uint64_t addr, const Mapping& m) { return addr < m.end; });
  std::vector<Mapping> pieces;
  auto first = it;
  while (it != mappings_.end() && it->start < mapping.end) {
    if (it->start < mapping.start) {
      Mapping left = *it;
      left.end = mapping.start;
      pieces.push_back(std::move(left));
    }
    if (it->end > mapping.end) {
      Mapping right = *it;
      right.pgoff += mapping.end - right.start;
      right.start = mapping.end;
      pieces.push_back(std::move(right));
    }
    ++it;
  }
  pieces.push_back(std::move(mapping));
  std::sort(pieces.begin(), pieces.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  auto pos = mappings_.erase(first, it);
  mappings_.insert(pos, std::make_move_iterator(pieces.begin()),
                   std::make_move_iterator(pieces.end()));
}

void ProcessMaps::EraseAt(uint64_t start, std::string_view path) {
  auto it = std::lower_bound(mappings_.begin(), mappings_.end(), start,
                             [](const Mapping& m, uint64_t addr) { return m.start < addr; });
  if (it != mappings_.end() && it->start == start && it->path == path) mappings_.erase(it);
}

const Mapping* ProcessMaps::Find(uint64_t addr) const {
  auto it = std::upper_bound(mappings_.begin(), mappings_.end(), addr,
                             [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == mappings_.begin()) return nullptr;
  --it;
  return it->contains(addr) ? &*it : nullptr;
}

}  // namespace stackfire
