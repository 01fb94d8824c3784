// The export side of the CLI, shared by collapse and render: which format
// to write (--format, or guessed from the -o name) and writing a profile in
// pprof or speedscope format to a file or stdout.
#ifndef STACKFIRE_SRC_CLI_EXPORT_OUTPUT_H_
#define STACKFIRE_SRC_CLI_EXPORT_OUTPUT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "export/export_profile.h"
#include "src/cli/output_format.h"
#include "stackfire/profile.h"

namespace stackfire::cli {

// flag: the --format value ("" when not given), native: the command's own
// format (kFolded or kSvg). Without a flag, an output name that asks for
// pprof or speedscope (output_format.h) gets it; anything else is the
// native format. kInvalidArgument for a flag value other than the native
// format's name, pprof or speedscope.
absl::StatusOr<OutputFormat> ResolveOutputFormat(std::string_view flag, std::string_view output,
                                                 OutputFormat native);

struct ExportRequest {
  OutputFormat format = OutputFormat::kPprof;
  std::string output;  // path, or "" / "-" for stdout
  exporter::FoldedMeta meta;
  std::string name;       // the speedscope profile name (e.g. the input file)
  bool per_thread = false;  // speedscope: one profile per root (thread) frame
};

// Writes the profile (format kPprof or kSpeedscope) to stdout or, all at
// once, to a file (io::AtomicFile: a failed write leaves no partial
// profile and keeps the old file). Prints the error and returns 1 on
// failure, 0 on success. Refuses to write pprof's binary to a terminal.
int WriteExport(const Profile& profile, const ExportRequest& request);

// The --format flag's help text for a command whose own format is native.
std::string FormatFlagHelp(OutputFormat native);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_EXPORT_OUTPUT_H_
