// See export_output.h.
#include "src/cli/export_output.h"

#include <unistd.h>

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "export/pprof.h"
#include "export/speedscope.h"
#include "src/cli/command_output.h"
#include "src/cli/commands.h"
#include "stackfire_config.h"

namespace stackfire::cli {

absl::StatusOr<OutputFormat> ResolveOutputFormat(std::string_view flag, std::string_view output,
                                                 OutputFormat native) {
  if (flag.empty()) {
    std::optional<OutputFormat> named = FormatOfPath(output);
    return named && IsExportFormat(*named) ? *named : native;
  }
  std::optional<OutputFormat> format = ParseFormatName(flag);
  if (format && (*format == native || IsExportFormat(*format))) return *format;
  return absl::InvalidArgumentError(absl::StrCat("unknown --format '", std::string(flag), "'; use ",
                                                 FormatName(native), ", pprof or speedscope"));
}

std::string FormatFlagHelp(OutputFormat native) {
  return absl::StrCat(
      "Output format: ", FormatName(native),
      " (default), pprof (gzip-compressed profile.proto for `go tool pprof`, Pyroscope, "
      "Parca) or speedscope (speedscope's JSON). Without it, an -o name ending in .pb.gz or "
      ".pprof writes pprof and one ending in .speedscope.json writes speedscope");
}

int WriteExport(const Profile& profile, const ExportRequest& request) {
  bool to_stdout = request.output.empty() || request.output == "-";
  if (to_stdout && request.format == OutputFormat::kPprof && isatty(STDOUT_FILENO)) {
    PrintError("refusing to write a binary pprof profile to a terminal",
               "give -o profile.pb.gz, or redirect stdout to a file");
    return 1;
  }
  absl::StatusOr<CommandOutput> output = CommandOutput::Open(request.output);
  if (!output.ok()) {
    PrintError(std::string(output.status().message()),
               "check that its folder exists and is writable");
    return 1;
  }
  std::ostream* out = &output->stream();
  exporter::ExportProfile model = exporter::FromFolded(profile, request.meta);
  absl::Status status;
  if (request.format == OutputFormat::kPprof) {
    exporter::PprofOptions options;
    options.comment = absl::StrCat("stackfire ", STACKFIRE_VERSION);
    status = exporter::WritePprof(model, options, *out);
  } else {
    exporter::SpeedscopeOptions options;
    options.name = request.name;
    options.exporter = absl::StrCat("stackfire ", STACKFIRE_VERSION);
    options.per_thread = request.per_thread;
    status = exporter::WriteSpeedscope(model, options, *out);
  }
  const char* what = request.format == OutputFormat::kPprof ? "pprof" : "speedscope";
  if (status.ok()) {
    status = output->Finish(absl::StrCat("the ", what, " profile"));
    if (!status.ok()) {
      PrintError(std::string(status.message()), "check free disk space and the output path");
      return 1;
    }
  }
  if (!status.ok()) {
    // A file output is discarded: no partial profile is left behind.
    PrintError(absl::StrCat("cannot write the ", what, " profile to ",
                            to_stdout ? "stdout" : request.output, ": ",
                            status.message()),
               "check free disk space and the output path");
    return 1;
  }
  return 0;
}

}  // namespace stackfire::cli
