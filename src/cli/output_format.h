// The output formats every command can write, their names (the --format
// values) and the file-name suffixes that select them. One table serves
// `record` (which takes every format) and `collapse` and `render` (which
// write their own format, folded or svg, or convert to pprof or speedscope).
#ifndef STACKFIRE_SRC_CLI_OUTPUT_FORMAT_H_
#define STACKFIRE_SRC_CLI_OUTPUT_FORMAT_H_

#include <optional>
#include <string>
#include <string_view>

namespace stackfire::cli {

enum class OutputFormat { kSvg, kFolded, kPprof, kSpeedscope };

// "svg", "folded", "pprof", "speedscope".
const char* FormatName(OutputFormat format);
// The inverse of FormatName; nullopt for anything else.
std::optional<OutputFormat> ParseFormatName(std::string_view name);

// The format a file name asks for by its suffix: .svg, .folded, .pb.gz or
// .pprof, .speedscope.json; nullopt for any other name.
std::optional<OutputFormat> FormatOfPath(std::string_view path);
// The suffix a file of this format gets: ".svg", ".folded", ".pb.gz",
// ".speedscope.json".
const char* FormatSuffix(OutputFormat format);
// The suffixes FormatOfPath knows, for messages: ".svg, .folded, .pb.gz,
// .pprof or .speedscope.json".
std::string KnownSuffixes();

// True for the formats made from the export model (pprof, speedscope).
inline bool IsExportFormat(OutputFormat format) {
  return format == OutputFormat::kPprof || format == OutputFormat::kSpeedscope;
}

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_OUTPUT_FORMAT_H_
