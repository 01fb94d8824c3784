#include "collapse/folded.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <istream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stackfire::collapse {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Splits "TEXT<ws>COUNT" at the last whitespace byte; COUNT must match
// \d+(\.\d*)?.
bool SplitCount(std::string_view line, std::string_view* rest, double* count, char* sep) {
  size_t i = line.size();
  while (i > 0 && !IsSpace(line[i - 1])) --i;
  if (i == 0) return false;  // no whitespace at all
  std::string_view token = line.substr(i);
  size_t digits = 0;
  while (digits < token.size() && token[digits] >= '0' && token[digits] <= '9') ++digits;
  if (digits == 0) return false;
  if (digits < token.size()) {
    if (token[digits] != '.') return false;
    for (size_t k = digits + 1; k < token.size(); ++k) {
      if (token[k] < '0' || token[k] > '9') return false;
    }
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec == std::errc::result_out_of_range) {
    value = std::numeric_limits<double>::infinity();
  } else if (ec != std::errc()) {
    return false;
  }
  *rest = line.substr(0, i - 1);
  *count = value;
  *sep = line[i - 1];
  return true;
}

}  // namespace

std::optional<FoldedLine> ParseFoldedLine(std::string_view line, bool allow_two_columns) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  FoldedLine out;
  if (!SplitCount(line, &out.stack, &out.count, &out.separator)) return std::nullopt;
  out.tail = line.substr(out.stack.size() + 1);
  if (!std::isfinite(out.count)) return std::nullopt;
  if (allow_two_columns) {
    std::string_view stack;
    double before = 0;
    char sep = ' ';
    if (SplitCount(out.stack, &stack, &before, &sep) && std::isfinite(before)) {
      out.before = before;
      out.two_column = true;
      out.stack = stack;
      out.separator = sep;
      out.tail = line.substr(stack.size() + 1);
    }
  }
  return out;
}

double FoldedInput::total() const {
  double t = 0;
  for (const FoldedRecord& r : records) t += r.count;
  return t;
}

std::string FoldedInput::BadLinesMessage() const {
  if (bad_lines == 0) return "";
  std::string text = first_bad_text;
  return absl::StrFormat("ignored %d line%s with invalid format (first: %s:%d: \"%s\")", bad_lines,
                         bad_lines == 1 ? "" : "s", first_bad_source, first_bad_line,
                         absl::CEscape(absl::string_view(text.data(), text.size())));
}

namespace {

// `line` must stay valid as long as `out`: records point into it.
void HandleLine(std::string_view line, uint64_t line_no, std::string_view source,
                bool allow_two_columns, FoldedInput* out) {
  ++out->lines;
  std::optional<FoldedLine> parsed = ParseFoldedLine(line, allow_two_columns);
  if (!parsed) {
    if (out->bad_lines++ == 0) {
      out->first_bad_source = std::string(source);
      out->first_bad_line = line_no;
      out->first_bad_text = std::string(line.substr(0, 200));
    }
    return;
  }
  out->differential |= parsed->two_column;
  out->records.push_back(FoldedRecord{parsed->stack, parsed->count,
                                      parsed->two_column ? parsed->before : parsed->count,
                                      parsed->separator, parsed->tail});
}

}  // namespace

void ParseFoldedText(std::string_view text, std::string_view source, FoldedInput* out,
                     bool allow_two_columns) {
  uint64_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    HandleLine(text.substr(start, nl - start), ++line_no, source, allow_two_columns, out);
    start = nl + 1;
  }
}

FoldedStreamParser::FoldedStreamParser(std::string_view source, FoldedInput* out,
                                       bool allow_two_columns)
    : source_(source), out_(out), allow_two_columns_(allow_two_columns) {}

void FoldedStreamParser::Feed(std::string_view piece) {
  if (piece.empty()) return;
  FeedStored(out_->storage.emplace_back(piece));
}

void FoldedStreamParser::FeedStored(std::string_view chunk) {
  size_t start = 0;
  while (start < chunk.size()) {
    size_t nl = chunk.find('\n', start);
    if (nl == std::string_view::npos) {
      carry_.append(chunk.substr(start));
      break;
    }
    if (carry_.empty()) {
      HandleLine(chunk.substr(start, nl - start), ++line_no_, source_, allow_two_columns_, out_);
    } else {
      carry_.append(chunk.substr(start, nl - start));
      HandleLine(out_->storage.emplace_back(std::move(carry_)), ++line_no_, source_,
                 allow_two_columns_, out_);
      carry_.clear();
    }
    start = nl + 1;
  }
}

void FoldedStreamParser::Finish() {
  if (carry_.empty()) return;
  HandleLine(out_->storage.emplace_back(std::move(carry_)), ++line_no_, source_,
             allow_two_columns_, out_);
  carry_.clear();
}

absl::Status ReadFolded(std::istream& in, std::string_view source, FoldedInput* out,
                        bool allow_two_columns) {
  constexpr size_t kChunk = 1 << 20;
  FoldedStreamParser parser(source, out, allow_two_columns);
  while (in) {
    std::string& block = out->storage.emplace_back();
    block.resize(kChunk);
    in.read(block.data(), kChunk);
    block.resize(static_cast<size_t>(in.gcount()));
    parser.FeedStored(block);
  }
  if (in.bad()) return absl::DataLossError("read error on " + std::string(source));
  parser.Finish();
  return absl::OkStatus();
}

Profile ToProfile(const FoldedInput& input) {
  Profile p;
  for (const FoldedRecord& r : input.records) p.Add(r.stack, r.count);
  return p;
}

}  // namespace stackfire::collapse
