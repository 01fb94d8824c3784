// See export_output.h.
#include "src/cli/export_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "export/pprof.h"
#include "export/speedscope.h"
#include "src/cli/commands.h"
#include "stackfire_config.h"

namespace stackfire::cli {

absl::StatusOr<OutputFormat> ResolveOutputFormat(std::string_view flag, std::string_view output,
                                                 std::string_view native_name) {
  if (flag.empty()) {
    absl::string_view out(output.data(), output.size());
    if (absl::EndsWith(out, ".pb.gz") || absl::EndsWith(out, ".pprof")) {
      return OutputFormat::kPprof;
    }
    if (absl::EndsWith(out, ".speedscope.json")) return OutputFormat::kSpeedscope;
    return OutputFormat::kNative;
  }
  if (flag == native_name) return OutputFormat::kNative;
  if (flag == "pprof") return OutputFormat::kPprof;
  if (flag == "speedscope") return OutputFormat::kSpeedscope;
  return absl::InvalidArgumentError(absl::StrCat("unknown --format '", std::string(flag), "'; use ",
                                                 std::string(native_name), ", pprof or speedscope"));
}

std::string FormatFlagHelp(std::string_view native_name) {
  return absl::StrCat(
      "Output format: ", std::string(native_name),
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
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!to_stdout) {
    file.open(request.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      PrintError(absl::StrCat("cannot write '", request.output, "': ", std::strerror(errno)),
                 "check that its folder exists and is writable");
      return 1;
    }
    out = &file;
  }
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
  out->flush();
  if (status.ok() && !*out) status = absl::InternalError("write failed");
  if (!status.ok()) {
    if (!to_stdout) {
      file.close();
      std::remove(request.output.c_str());  // no partial profile left behind
    }
    PrintError(absl::StrCat("cannot write the ",
                            request.format == OutputFormat::kPprof ? "pprof" : "speedscope",
                            " profile to ", to_stdout ? "stdout" : request.output, ": ",
                            status.message()),
               "check free disk space and the output path");
    return 1;
  }
  return 0;
}

}  // namespace stackfire::cli
