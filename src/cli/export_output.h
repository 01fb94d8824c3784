// The export side of the CLI, shared by collapse and render: which format
// to write (--format, or guessed from the -o name) and writing a profile in
// pprof or speedscope format to a file or stdout.
#ifndef STACKFIRE_SRC_CLI_EXPORT_OUTPUT_H_
#define STACKFIRE_SRC_CLI_EXPORT_OUTPUT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "export/export_profile.h"
#include "stackfire/profile.h"

namespace stackfire::cli {

enum class OutputFormat { kNative, kPprof, kSpeedscope };

// flag: the --format value ("" when not given), native_name: the command's
// own format ("folded" or "svg"). Without a flag, an output name ending in
// ".pb.gz" or ".pprof" means pprof and one ending in ".speedscope.json"
// means speedscope; anything else is the native format. kInvalidArgument for
// an unknown flag value.
absl::StatusOr<OutputFormat> ResolveOutputFormat(std::string_view flag, std::string_view output,
                                                 std::string_view native_name);

struct ExportRequest {
  OutputFormat format = OutputFormat::kPprof;
  std::string output;  // path, or "" / "-" for stdout
  exporter::FoldedMeta meta;
  std::string name;       // the speedscope profile name (e.g. the input file)
  bool per_thread = false;  // speedscope: one profile per root (thread) frame
};

// Writes the profile; prints the error and returns 1 on failure, 0 on
// success. Refuses to write pprof's binary to a terminal.
int WriteExport(const Profile& profile, const ExportRequest& request);

// The --format flag's help text for a command whose own format is native_name.
std::string FormatFlagHelp(std::string_view native_name);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_EXPORT_OUTPUT_H_
