// See record_output.h.
#include "src/cli/record_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "export/pprof.h"
#include "export/speedscope.h"
#include "render/flamegraph.h"
#include "src/cli/render_flags.h"
#include "src/io/atomic_file.h"
#include "stackfire_config.h"

namespace stackfire::cli {
namespace {

std::optional<OutputFormat> FormatOfName(std::string_view path) {
  if (path == "-") return OutputFormat::kFolded;
  return FormatOfPath(path);
}

absl::Status WriteTo(const RecordOutput& output, const RecordData& data, std::ostream& out) {
  switch (output.format) {
    case OutputFormat::kFolded:
      WriteFolded(*data.profile, out);
      return absl::OkStatus();
    case OutputFormat::kSvg: {
      if (data.profile->empty()) {
        // Still a valid picture, and it says why it is empty.
        render::WriteErrorSvg(data.render, absl::StrCat("No samples were recorded: ", data.counts),
                              out);
        return absl::OkStatus();
      }
      return RenderWithPalette(*data.profile, data.render, out);
    }
    case OutputFormat::kPprof: {
      if (data.model == nullptr) return absl::InternalError("no export model was collected");
      exporter::PprofOptions options;
      options.comment = absl::StrCat("stackfire ", STACKFIRE_VERSION);
      return exporter::WritePprof(*data.model, options, out);
    }
    case OutputFormat::kSpeedscope: {
      if (data.model == nullptr) return absl::InternalError("no export model was collected");
      exporter::SpeedscopeOptions options;
      options.name = data.name;
      options.exporter = absl::StrCat("stackfire ", STACKFIRE_VERSION);
      options.per_thread = data.per_thread;
      return exporter::WriteSpeedscope(*data.model, options, out);
    }
  }
  return absl::InternalError("unknown output format");
}

}  // namespace

absl::StatusOr<std::vector<RecordOutput>> ResolveRecordOutputs(
    const std::vector<std::string>& paths, std::string_view format_flag, bool report) {
  std::optional<OutputFormat> forced;
  if (!format_flag.empty()) {
    forced = ParseFormatName(format_flag);
    if (!forced) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown --format '", std::string(format_flag), "'; use svg, folded, pprof or speedscope"));
    }
    if (paths.size() > 1) {
      return absl::InvalidArgumentError(
          "--format applies to a single -o; with several -o, each name tells its format "
          "(.svg, .folded, .pb.gz, .speedscope.json)");
    }
  }
  std::vector<RecordOutput> outputs;
  bool have_stdout = false;
  for (const std::string& path : paths) {
    RecordOutput o;
    o.path = path;
    std::optional<OutputFormat> format = forced ? forced : FormatOfName(path);
    if (!format) {
      return absl::InvalidArgumentError(absl::StrCat(
          "-o ", path,
          ": cannot tell the format from the name; end it in ", KnownSuffixes(),
          ", or give --format"));
    }
    o.format = *format;
    if (o.to_stdout()) {
      if (have_stdout) return absl::InvalidArgumentError("-o - is given twice");
      have_stdout = true;
      if (report) {
        if (o.format != OutputFormat::kFolded) {
          return absl::InvalidArgumentError(absl::StrCat(
              "-o - --format ", FormatName(o.format),
              " and --report would both write to stdout; write the profile to a file"));
        }
        continue;  // the table is what goes to stdout
      }
      if (o.format == OutputFormat::kPprof && ::isatty(STDOUT_FILENO)) {
        return absl::InvalidArgumentError(
            "refusing to write a binary pprof profile to a terminal; give -o profile.pb.gz, or "
            "redirect stdout to a file");
      }
    }
    outputs.push_back(std::move(o));
  }
  return outputs;
}

bool NeedsExportModel(const std::vector<RecordOutput>& outputs) {
  for (const RecordOutput& o : outputs) {
    if (IsExportFormat(o.format)) return true;
  }
  return false;
}

absl::Status WriteRecordOutput(const RecordOutput& output, const std::string& path,
                               const RecordData& data) {
  if (path == "-") {
    absl::Status st = WriteTo(output, data, std::cout);
    std::cout.flush();
    if (st.ok() && !std::cout) st = absl::DataLossError("writing to stdout failed");
    return st;
  }
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::Create(path);
  if (!file.ok()) return file.status();
  errno = 0;
  absl::Status st = WriteTo(output, data, (*file)->stream());
  // On failure the temporary file is removed: never half a file on a full
  // disk. A failed write keeps its errno (ENOSPC) in the stream, which says
  // more than the writer's own message.
  if (!st.ok() && (*file)->stream()) return st;
  return (*file)->Commit();
}

std::string FallbackPath(const RecordOutput& output) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = tmpdir != nullptr && tmpdir[0] != '\0' ? tmpdir : "/tmp";
  static int serial = 0;  // two outputs of one format fall back apart
  return absl::StrCat(dir, "/stackfire-", ::getpid(), "-", ::time(nullptr),
                      serial++ == 0 ? "" : absl::StrCat("-", serial), FormatSuffix(output.format));
}

}  // namespace stackfire::cli
