// See output_format.h.
#include "src/cli/output_format.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace stackfire::cli {
namespace {

struct FormatEntry {
  OutputFormat format;
  const char* name;
  const char* suffix;      // the one written
  const char* alt_suffix;  // also recognised, or nullptr
};

constexpr FormatEntry kFormats[] = {
    {OutputFormat::kSvg, "svg", ".svg", nullptr},
    {OutputFormat::kFolded, "folded", ".folded", nullptr},
    {OutputFormat::kPprof, "pprof", ".pb.gz", ".pprof"},
    {OutputFormat::kSpeedscope, "speedscope", ".speedscope.json", nullptr},
};

const FormatEntry& Entry(OutputFormat format) {
  for (const FormatEntry& e : kFormats) {
    if (e.format == format) return e;
  }
  return kFormats[0];
}

}  // namespace

const char* FormatName(OutputFormat format) { return Entry(format).name; }

std::optional<OutputFormat> ParseFormatName(std::string_view name) {
  for (const FormatEntry& e : kFormats) {
    if (name == e.name) return e.format;
  }
  return std::nullopt;
}

std::optional<OutputFormat> FormatOfPath(std::string_view path) {
  absl::string_view p(path.data(), path.size());
  for (const FormatEntry& e : kFormats) {
    if (absl::EndsWith(p, e.suffix) ||
        (e.alt_suffix != nullptr && absl::EndsWith(p, e.alt_suffix))) {
      return e.format;
    }
  }
  return std::nullopt;
}

const char* FormatSuffix(OutputFormat format) { return Entry(format).suffix; }

std::string KnownSuffixes() {
  std::string out;
  std::vector<std::string> all;
  for (const FormatEntry& e : kFormats) {
    all.push_back(e.suffix);
    if (e.alt_suffix != nullptr) all.push_back(e.alt_suffix);
  }
  for (size_t i = 0; i < all.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : i + 1 == all.size() ? " or " : ", ", all[i]);
  }
  return out;
}

}  // namespace stackfire::cli
