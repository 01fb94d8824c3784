// See input_format.h.
#include "src/io/input_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace stackfire::io {
namespace {

// The lines of the head that are complete (the last one may be cut).
constexpr size_t kLinesToLook = 32;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// "frame;frame COUNT": the text after the last blank is \d+(\.\d*)?.
bool LooksFolded(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t i = line.size();
  while (i > 0 && !IsBlank(line[i - 1])) --i;
  if (i <= 1 || i == line.size()) return false;
  std::string_view count = line.substr(i);
  size_t digits = 0;
  while (digits < count.size() && count[digits] >= '0' && count[digits] <= '9') ++digits;
  if (digits == 0) return false;
  if (digits == count.size()) return true;
  if (count[digits] != '.') return false;
  for (size_t k = digits + 1; k < count.size(); ++k) {
    if (count[k] < '0' || count[k] > '9') return false;
  }
  return true;
}

}  // namespace

InputFormat SniffInputFormat(std::string_view head) {
  if (head.empty()) return InputFormat::kEmpty;
  if (head.starts_with("PERFILE2") || head.starts_with("PERFFILE")) {
    return InputFormat::kPerfData;
  }
  if (head.starts_with("\177ELF")) return InputFormat::kElf;
  if (std::memchr(head.data(), '\0', head.size()) != nullptr) return InputFormat::kBinary;

  // Whole lines only: the head may end in the middle of one.
  size_t end = head.rfind('\n');
  std::string_view text = end == std::string_view::npos ? head : head.substr(0, end);
  size_t lines = 0, folded = 0, indented = 0;
  for (size_t start = 0; start < text.size() && lines < kLinesToLook;) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    if (line.empty() || line == "\r" || line[0] == '#') continue;  // perf script --header
    ++lines;
    if (IsBlank(line[0])) {
      ++indented;  // perf script's frame lines; never the start of a folded line
    } else if (LooksFolded(line)) {
      ++folded;
    }
  }
  if (lines == 0) return InputFormat::kText;
  if (indented > 0) return InputFormat::kPerfScript;
  if (folded == lines) return InputFormat::kFolded;
  return InputFormat::kText;
}

const char* InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kEmpty: return "empty";
    case InputFormat::kFolded: return "folded stacks";
    case InputFormat::kPerfScript: return "`perf script` output";
    case InputFormat::kText: return "text";
    case InputFormat::kPerfData: return "a perf.data file (perf record's binary output)";
    case InputFormat::kElf: return "an ELF file (a program or a library)";
    case InputFormat::kBinary: return "binary data";
  }
  return "unknown";
}

absl::Status RequireText(InputReader& reader, InputFormat* format) {
  absl::StatusOr<std::string_view> head = reader.Head();
  if (!head.ok()) return head.status();
  const InputFormat sniffed = SniffInputFormat(*head);
  if (format != nullptr) *format = sniffed;
  if (!IsBinary(sniffed)) return absl::OkStatus();
  const std::string who =
      reader.name() == "<stdin>" ? "the input on stdin" : absl::StrCat("'", reader.name(), "'");
  return absl::InvalidArgumentError(
      absl::StrCat(who, " is ", InputFormatName(sniffed), ", not text"));
}

}  // namespace stackfire::io
