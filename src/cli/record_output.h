// What `stackfire record` writes when sampling stops: one or more outputs
// (-o may be repeated), each a flame graph, folded text, pprof or
// speedscope, to a file or to stdout ("-"), and the report table.
//
// Format of an output: --format when given (then -o may be given once),
// else the name: .svg, .folded, .pb.gz or .pprof, .speedscope.json; "-" is
// folded text on stdout. With --report, the table goes to stdout after the
// outputs are written, and an "-o -" output is the table itself (stdout
// carries one thing). Files are written through io::AtomicFile (a
// temporary file renamed over NAME), so a reader never sees half a file.
#ifndef STACKFIRE_SRC_CLI_RECORD_OUTPUT_H_
#define STACKFIRE_SRC_CLI_RECORD_OUTPUT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "export/export_profile.h"
#include "render/render_options.h"
#include "src/cli/output_format.h"
#include "stackfire/profile.h"

namespace stackfire::cli {

struct RecordOutput {
  std::string path;  // "-" for stdout
  OutputFormat format = OutputFormat::kSvg;
  bool to_stdout() const { return path == "-"; }
};

// kInvalidArgument (a usage error) for an unknown --format, a name whose
// format cannot be told, --format with several -o, two stdout outputs,
// "-o -" with --report and a format other than folded, and binary pprof on
// a terminal. With report, an "-o -" output is dropped (the table takes
// its place).
absl::StatusOr<std::vector<RecordOutput>> ResolveRecordOutputs(
    const std::vector<std::string>& paths, std::string_view format_flag, bool report);

// True when some output needs the export model (pprof or speedscope).
bool NeedsExportModel(const std::vector<RecordOutput>& outputs);

// What the writers need besides the output itself.
struct RecordData {
  Profile* profile = nullptr;
  const exporter::ExportProfile* model = nullptr;  // set when NeedsExportModel
  render::RenderOptions render;                    // subtitle already set
  bool per_thread = false;                         // speedscope: one profile per thread
  std::string name;                                // speedscope's profile name
  std::string counts;  // the summary's counts: says why an empty picture is empty
};

// Writes one output to `path` (its own path, or a fallback when that broke):
// through a temporary file and a rename, or straight to stdout.
absl::Status WriteRecordOutput(const RecordOutput& output, const std::string& path,
                               const RecordData& data);

// Where an output goes when its own path cannot be written any more (the
// folder vanished, the disk filled up): $TMPDIR or /tmp, same format.
std::string FallbackPath(const RecordOutput& output);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_RECORD_OUTPUT_H_
