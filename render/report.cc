#include "render/report.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collapse/utf8.h"
#include "re2/re2.h"

namespace stackfire::render {
namespace {

constexpr char kReset[] = "\033[0m";
constexpr char kBold[] = "\033[1m";
constexpr char kRed[] = "\033[31m";
constexpr char kGreen[] = "\033[32m";
// Names never get narrower than this, however small the terminal.
constexpr size_t kMinNameColumns = 12;

// Byte offsets of each code point's start in valid UTF-8 text.
std::vector<size_t> CodePointStarts(std::string_view s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  return starts;
}

std::string Percent(double part, double whole) {
  return absl::StrFormat("%.2f%%", whole > 0 ? 100.0 * part / whole : 0.0);
}

// perf report's heat: red from 5%, green from 0.5%.
const char* HeatColor(double part, double whole) {
  const double pct = whole > 0 ? 100.0 * part / whole : 0.0;
  if (pct >= 5.0) return kRed;
  if (pct >= 0.5) return kGreen;
  return "";
}

std::string PadLeft(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string EscapeForTerminal(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    uint32_t cp = 0;
    size_t len = collapse::DecodeUtf8At(name, i, &cp);
    if (len == 1 && (c < 0x20 || c == 0x7F)) {
      if (c == '\t') {
        out += "\\t";
      } else {
        absl::StrAppendFormat(&out, "\\x%02x", c);
      }
      ++i;
    } else if (len == 2 && cp < 0xA0) {  // a C1 control, U+0080..U+009F
      absl::StrAppendFormat(&out, "\\u%04x", cp);
      i += 2;
    } else if (len == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      ++i;
    } else {
      out.append(name.substr(i, len));
      i += len;
    }
  }
  return out;
}

bool ParseReportSortKey(std::string_view text, ReportSortKey* key) {
  if (text == "self") {
    *key = ReportSortKey::kSelf;
  } else if (text == "total") {
    *key = ReportSortKey::kTotal;
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<ReportTable> BuildReport(const Profile& profile, const ReportOptions& options) {
  // RE2, not std::regex: libstdc++'s matcher recurses once per character and
  // overflows the stack on long (untrusted) names; RE2 runs in linear time.
  std::unique_ptr<RE2> pattern;
  if (!options.grep.empty()) {
    pattern = std::make_unique<RE2>(options.grep, RE2::Quiet);
    if (!pattern->ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--grep: '", options.grep,
                                                     "' is not a valid regular expression (",
                                                     pattern->error(), ")"));
    }
  }

  std::vector<ReportRow> rows;
  absl::flat_hash_map<std::string, size_t> ids;
  // The 1-based index of the last stack that added to each row's total: a
  // recursive function counts once per stack in O(1).
  std::vector<size_t> last_stack;
  ReportTable table;
  table.samples = profile.total();
  const std::vector<Profile::Entry>& entries = profile.entries();
  for (size_t s = 0; s < entries.size(); ++s) {
    std::string_view stack = entries[s].stack;
    const double weight = entries[s].weight;
    const bool off_cpu = IsOffCpuStack(stack);
    if (off_cpu) {
      table.off_cpu += weight;
      stack.remove_suffix(std::string_view(kOffCpuFrame).size());  // the marker, not a function
    }
    size_t leaf = SIZE_MAX;
    size_t begin = 0;
    while (begin <= stack.size()) {
      size_t end = stack.find(';', begin);
      if (end == std::string_view::npos) end = stack.size();
      std::string_view frame = stack.substr(begin, end - begin);
      begin = end + 1;
      if (frame.empty()) continue;
      auto it = ids.find(absl::string_view(frame.data(), frame.size()));
      if (it == ids.end()) {
        it = ids.emplace(std::string(frame), rows.size()).first;
        rows.push_back(ReportRow{std::string(frame), 0, 0});
        last_stack.push_back(0);
      }
      const size_t id = it->second;
      if (last_stack[id] != s + 1) {
        last_stack[id] = s + 1;
        rows[id].total += weight;
        if (off_cpu) rows[id].off_cpu += weight;
      }
      leaf = id;
    }
    if (leaf != SIZE_MAX) rows[leaf].self += weight;
  }
  table.functions = rows.size();

  if (pattern != nullptr) {
    std::erase_if(rows, [&](const ReportRow& r) { return !RE2::PartialMatch(r.name, *pattern); });
  }
  table.matched = rows.size();

  const bool by_self = options.by == ReportSortKey::kSelf;
  std::sort(rows.begin(), rows.end(), [by_self](const ReportRow& a, const ReportRow& b) {
    const double ka = by_self ? a.self : a.total, kb = by_self ? b.self : b.total;
    if (ka != kb) return ka > kb;
    const double oa = by_self ? a.total : a.self, ob = by_self ? b.total : b.self;
    if (oa != ob) return oa > ob;
    return a.name < b.name;
  });
  if (options.top > 0 && rows.size() > options.top) rows.resize(options.top);
  table.rows = std::move(rows);
  return table;
}

std::string TruncateMiddle(std::string_view name, size_t columns) {
  std::vector<size_t> starts = CodePointStarts(name);
  if (starts.size() <= columns) return std::string(name);
  constexpr std::string_view kEllipsis = "...";
  if (columns <= kEllipsis.size()) return std::string(name.substr(0, starts[columns]));
  const size_t keep = columns - kEllipsis.size();
  const size_t tail = keep * 2 / 5;
  const size_t head = keep - tail;
  std::string out(name.substr(0, starts[head]));
  out += kEllipsis;
  out += name.substr(starts[starts.size() - tail]);
  return out;
}

std::string FormatReport(const ReportTable& table, const ReportOptions& options) {
  const bool c = options.color;
  std::string out;
  const char* key = options.by == ReportSortKey::kSelf ? "self" : "total";
  const bool wall = table.off_cpu > 0;
  if (wall) {
    absl::StrAppend(&out, c ? kBold : "", "Wall: ", FormatWeight(table.samples), " (on-CPU ",
                    FormatWeight(table.samples - table.off_cpu), ", off-CPU ",
                    FormatWeight(table.off_cpu), ")");
  } else {
    absl::StrAppend(&out, c ? kBold : "", "Samples: ", FormatWeight(table.samples));
  }
  absl::StrAppend(&out, "  Functions: ", table.functions, "  Shown: ", table.rows.size());
  if (!options.grep.empty()) {
    absl::StrAppend(&out, " of ", table.matched, " matching /", EscapeForTerminal(options.grep),
                    "/");
  }
  absl::StrAppend(&out, " (by ", key, ")", c ? kReset : "", "\n");

  size_t self_w = 4, total_w = 5;  // "Self", "Total"
  size_t on_w = 6, off_w = 7;       // "On-CPU", "Off-CPU"
  for (const ReportRow& r : table.rows) {
    self_w = std::max(self_w, FormatWeight(r.self).size());
    total_w = std::max(total_w, FormatWeight(r.total).size());
    on_w = std::max(on_w, FormatWeight(r.total - r.off_cpu).size());
    off_w = std::max(off_w, FormatWeight(r.off_cpu).size());
  }
  constexpr size_t kPctW = 7;  // "100.00%"
  // "  Self%  Self  Total%  Total  [On-CPU  Off-CPU  ]Function"
  const size_t prefix =
      kPctW + 2 + self_w + 2 + kPctW + 2 + total_w + 2 + (wall ? on_w + 2 + off_w + 2 : 0);
  size_t name_w = 0;
  if (options.width > 0) {
    name_w = std::max(kMinNameColumns, options.width > prefix ? options.width - prefix : 0);
  }

  absl::StrAppend(&out, c ? kBold : "", PadLeft("Self%", kPctW), "  ", PadLeft("Self", self_w),
                  "  ", PadLeft("Total%", kPctW), "  ", PadLeft("Total", total_w),
                  wall ? absl::StrCat("  ", PadLeft("On-CPU", on_w), "  ", PadLeft("Off-CPU", off_w))
                       : "",
                  "  Function", c ? kReset : "", "\n");
  for (const ReportRow& r : table.rows) {
    std::string name = EscapeForTerminal(r.name);
    if (name_w > 0) name = TruncateMiddle(name, name_w);
    const char* self_color = c ? HeatColor(r.self, table.samples) : "";
    const char* total_color = c ? HeatColor(r.total, table.samples) : "";
    absl::StrAppend(&out, self_color, PadLeft(Percent(r.self, table.samples), kPctW),
                    *self_color ? kReset : "", "  ", PadLeft(FormatWeight(r.self), self_w), "  ",
                    total_color, PadLeft(Percent(r.total, table.samples), kPctW),
                    *total_color ? kReset : "", "  ", PadLeft(FormatWeight(r.total), total_w),
                    wall ? absl::StrCat("  ", PadLeft(FormatWeight(r.total - r.off_cpu), on_w), "  ",
                                        PadLeft(FormatWeight(r.off_cpu), off_w))
                         : "",
                    "  ", name, "\n");
  }
  if (table.rows.empty() && !options.grep.empty()) {
    absl::StrAppend(&out, "(no function name matches /", EscapeForTerminal(options.grep), "/)\n");
  }
  return out;
}

}  // namespace stackfire::render
