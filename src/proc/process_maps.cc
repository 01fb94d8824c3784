// Minimal ProcessMaps (Parse/Read/Find/Insert) so the unwinder and the
// symbolizer can be tested before the sampler branch lands its own version;
// the sampler's implementation supersedes this file when the branches merge.
#include "stackfire/process_maps.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stackfire/scoped_fd.h"
#include "stackfire/status_macros.h"

namespace stackfire {
namespace {

bool TakeNumber(std::string_view* s, int base, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), *out, base);
  if (ec != std::errc() || ptr == s->data()) return false;
  s->remove_prefix(static_cast<size_t>(ptr - s->data()));
  return true;
}

bool TakeChar(std::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

void SkipSpaces(std::string_view* s) {
  while (!s->empty() && (s->front() == ' ' || s->front() == '\t')) s->remove_prefix(1);
}

std::optional<Mapping> ParseLine(std::string_view line, std::string_view root_prefix) {
  Mapping m;
  uint64_t major = 0, minor = 0;
  if (!TakeNumber(&line, 16, &m.start) || !TakeChar(&line, '-') ||
      !TakeNumber(&line, 16, &m.end) || !TakeChar(&line, ' ') || line.size() < 4) {
    return std::nullopt;
  }
  if (line[0] == 'r') m.prot |= 0x1;
  if (line[1] == 'w') m.prot |= 0x2;
  if (line[2] == 'x') m.prot |= 0x4;
  line.remove_prefix(4);
  SkipSpaces(&line);
  if (!TakeNumber(&line, 16, &m.pgoff)) return std::nullopt;
  SkipSpaces(&line);
  if (!TakeNumber(&line, 16, &major) || !TakeChar(&line, ':') || !TakeNumber(&line, 16, &minor)) {
    return std::nullopt;
  }
  SkipSpaces(&line);
  if (!TakeNumber(&line, 10, &m.inode)) return std::nullopt;
  SkipSpaces(&line);
  m.dev_major = static_cast<uint32_t>(major);
  m.dev_minor = static_cast<uint32_t>(minor);
  m.path = std::string(line);
  if (!m.path.empty() && m.path.front() == '/') {
    constexpr std::string_view kDeleted = " (deleted)";
    std::string file = m.path;
    if (file.size() > kDeleted.size() &&
        file.compare(file.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
      file.resize(file.size() - kDeleted.size());
    }
    m.open_path = absl::StrCat(std::string(root_prefix), file);
  }
  if (m.end <= m.start) return std::nullopt;
  return m;
}

}  // namespace

absl::StatusOr<ProcessMaps> ProcessMaps::Parse(std::string_view text,
                                               std::string_view root_prefix) {
  ProcessMaps maps;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    std::optional<Mapping> m = ParseLine(line, root_prefix);
    if (!m) {
      return absl::DataLossError(
          absl::StrCat("malformed maps line ", line_no, ": '", std::string(line), "'"));
    }
    maps.Insert(std::move(*m));
  }
  return maps;
}

absl::StatusOr<ProcessMaps> ProcessMaps::Read(int pid) {
  std::string path = absl::StrCat("/proc/", pid, "/maps");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": no such process"));
  std::stringstream buf;
  buf << in.rdbuf();
  ASSIGN_OR_RETURN(ProcessMaps maps, Parse(buf.str(), absl::StrCat("/proc/", pid, "/root")));
  for (Mapping& m : maps.mappings_) {
    if (m.path != "[vdso]") continue;
    auto image = std::make_shared<std::vector<uint8_t>>(m.end - m.start);
    iovec local{image->data(), image->size()};
    iovec remote{reinterpret_cast<void*>(m.start), image->size()};
    if (process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(image->size())) {
      m.image = std::move(image);
    }
  }
  return maps;
}

void ProcessMaps::Insert(Mapping mapping) {
  std::vector<Mapping> out;
  out.reserve(mappings_.size() + 2);
  for (Mapping& old : mappings_) {
    if (old.end <= mapping.start || old.start >= mapping.end) {
      out.push_back(std::move(old));
      continue;
    }
    if (old.start < mapping.start) {
      Mapping left = old;
      left.end = mapping.start;
      out.push_back(std::move(left));
    }
    if (old.end > mapping.end) {
      Mapping right = old;
      right.pgoff += mapping.end - old.start;
      right.start = mapping.end;
      out.push_back(std::move(right));
    }
  }
  auto pos = std::lower_bound(out.begin(), out.end(), mapping.start,
                              [](const Mapping& m, uint64_t a) { return m.start < a; });
  out.insert(pos, std::move(mapping));
  mappings_ = std::move(out);
}

const Mapping* ProcessMaps::Find(uint64_t addr) const {
  auto it = std::upper_bound(mappings_.begin(), mappings_.end(), addr,
                             [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == mappings_.begin()) return nullptr;
  --it;
  return it->contains(addr) ? &*it : nullptr;
}

}  // namespace stackfire
