// The proc_maps target: ProcessMaps::Parse over arbitrary text, as if
// /proc/PID/maps had been read from a hostile or corrupted procfs.
//
// Checked, beyond "no crash": the whole text parses if and only if each of its
// lines does, and a failure names the first bad line; the result is sorted,
// disjoint and non-empty; file paths get the root prefix (minus " (deleted)")
// and nothing else does; and every address resolves as mmap(MAP_FIXED) would
// leave it: to the last line that maps it, with the same file offset.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/targets.h"
#include "stackfire/process_maps.h"

namespace stackfire::fuzz {
namespace {

constexpr std::string_view kRoot = "/proc/1/root";

std::string Describe(const Mapping& m) {
  return absl::StrCat(absl::Hex(m.start), "-", absl::Hex(m.end), " pgoff ", absl::Hex(m.pgoff),
                      " '", m.path, "'");
}

void CheckOpenPath(const Mapping& m) {
  if (m.path.empty() || m.path.front() != '/') {
    FUZZ_CHECK(m.open_path.empty(), "non-file mapping got an open path: " + Describe(m));
    return;
  }
  std::string_view file = m.path;
  constexpr std::string_view kDeleted = " (deleted)";
  if (file.size() > kDeleted.size() && file.substr(file.size() - kDeleted.size()) == kDeleted) {
    file.remove_suffix(kDeleted.size());
  }
  FUZZ_CHECK(m.open_path == std::string(kRoot) + std::string(file),
             "wrong open path: " + m.open_path);
}

// The lines of `text` as Parse splits them: at '\n', empty lines skipped.
std::vector<std::pair<size_t, std::string_view>> Lines(std::string_view text) {
  std::vector<std::pair<size_t, std::string_view>> out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    ++line_no;
    if (nl != 0) out.emplace_back(line_no, text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return out;
}

}  // namespace

void CheckMapsInvariants(const ProcessMaps& maps) {
  const std::vector<Mapping>& all = maps.mappings();
  for (size_t i = 0; i < all.size(); ++i) {
    FUZZ_CHECK(all[i].start < all[i].end, "empty mapping kept: " + Describe(all[i]));
    if (i > 0) {
      FUZZ_CHECK(all[i - 1].end <= all[i].start,
                 "mappings overlap or are unsorted: " + Describe(all[i - 1]) + " then " +
                     Describe(all[i]));
    }
    FUZZ_CHECK(maps.Find(all[i].start) == &all[i], "Find(start) missed " + Describe(all[i]));
    FUZZ_CHECK(maps.Find(all[i].end - 1) == &all[i], "Find(end - 1) missed " + Describe(all[i]));
  }
}

void FuzzProcMaps(const uint8_t* data, size_t size) {
  const std::string_view text = FuzzText(data, size);
  absl::StatusOr<ProcessMaps> whole = ProcessMaps::Parse(text, kRoot);

  // Each line alone: the model of what the whole parse must give.
  std::vector<Mapping> model;
  for (const auto& [line_no, line] : Lines(text)) {
    absl::StatusOr<ProcessMaps> one = ProcessMaps::Parse(line, kRoot);
    if (!one.ok()) {
      FUZZ_CHECK(!whole.ok(), absl::StrCat("line ", line_no, " fails alone but not in the file"));
      const std::string want = absl::StrCat("maps line ", line_no, " is malformed");
      FUZZ_CHECK(whole.status().message().substr(0, want.size()) == want,
                 absl::StrCat("error does not name line ", line_no, ": ",
                              whole.status().message()));
      return;
    }
    FUZZ_CHECK(one->mappings().size() <= 1, "one line gave several mappings");
    if (one->mappings().empty()) continue;  // start == end: nothing is mapped
    CheckOpenPath(one->mappings()[0]);
    model.push_back(one->mappings()[0]);
  }
  FUZZ_CHECK(whole.ok(), "every line parses alone but the file fails: " +
                             std::string(whole.status().message()));
  CheckMapsInvariants(*whole);

  // Probe both ends and the middle of every line's range, and just outside.
  for (const Mapping& line : model) {
    const uint64_t mid = line.start + (line.end - line.start) / 2;
    for (uint64_t addr : {line.start, line.end - 1, mid, line.start - 1, line.end}) {
      const Mapping* want = nullptr;
      for (auto it = model.rbegin(); it != model.rend(); ++it) {
        if (it->contains(addr)) {
          want = &*it;
          break;
        }
      }
      const Mapping* got = whole->Find(addr);
      const std::string where = absl::StrCat("address ", absl::Hex(addr));
      if (want == nullptr) {
        FUZZ_CHECK(got == nullptr, where + " should be unmapped but is in " + Describe(*got));
        continue;
      }
      FUZZ_CHECK(got != nullptr, where + " lost; it is in " + Describe(*want));
      FUZZ_CHECK(got->path == want->path && got->prot == want->prot &&
                     got->inode == want->inode && got->open_path == want->open_path,
                 where + " is in " + Describe(*got) + ", not in " + Describe(*want));
      // A piece cut from a mapping keeps its file offset for every address.
      FUZZ_CHECK(got->pgoff - got->start == want->pgoff - want->start,
                 where + ": file offset moved: " + Describe(*got) + " from " + Describe(*want));
    }
  }
}

}  // namespace stackfire::fuzz
