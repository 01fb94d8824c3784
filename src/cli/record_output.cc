// See record_output.h.
#include "src/cli/record_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "export/pprof.h"
#include "export/speedscope.h"
#include "render/flamegraph.h"
#include "src/cli/render_flags.h"
#include "stackfire_config.h"

namespace stackfire::cli {
namespace {

std::optional<RecordFormat> FormatOfName(std::string_view path) {
  absl::string_view p(path.data(), path.size());
  if (p == "-") return RecordFormat::kFolded;
  if (absl::EndsWith(p, ".svg")) return RecordFormat::kSvg;
  if (absl::EndsWith(p, ".folded")) return RecordFormat::kFolded;
  if (absl::EndsWith(p, ".pb.gz") || absl::EndsWith(p, ".pprof")) return RecordFormat::kPprof;
  if (absl::EndsWith(p, ".speedscope.json")) return RecordFormat::kSpeedscope;
  return std::nullopt;
}

std::optional<RecordFormat> ParseFormat(std::string_view flag) {
  if (flag == "svg") return RecordFormat::kSvg;
  if (flag == "folded") return RecordFormat::kFolded;
  if (flag == "pprof") return RecordFormat::kPprof;
  if (flag == "speedscope") return RecordFormat::kSpeedscope;
  return std::nullopt;
}

const char* Extension(RecordFormat format) {
  switch (format) {
    case RecordFormat::kSvg: return ".svg";
    case RecordFormat::kFolded: return ".folded";
    case RecordFormat::kPprof: return ".pb.gz";
    case RecordFormat::kSpeedscope: return ".speedscope.json";
  }
  return "";
}

absl::Status WriteTo(const RecordOutput& output, const RecordData& data, std::ostream& out) {
  switch (output.format) {
    case RecordFormat::kFolded:
      WriteFolded(*data.profile, out);
      return absl::OkStatus();
    case RecordFormat::kSvg: {
      if (data.profile->empty()) {
        // Still a valid picture, and it says why it is empty.
        render::WriteErrorSvg(data.render, absl::StrCat("No samples were recorded: ", data.counts),
                              out);
        return absl::OkStatus();
      }
      return RenderWithPalette(*data.profile, data.render, out);
    }
    case RecordFormat::kPprof: {
      if (data.model == nullptr) return absl::InternalError("no export model was collected");
      exporter::PprofOptions options;
      options.comment = absl::StrCat("stackfire ", STACKFIRE_VERSION);
      return exporter::WritePprof(*data.model, options, out);
    }
    case RecordFormat::kSpeedscope: {
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

const char* FormatName(RecordFormat format) {
  switch (format) {
    case RecordFormat::kSvg: return "svg";
    case RecordFormat::kFolded: return "folded";
    case RecordFormat::kPprof: return "pprof";
    case RecordFormat::kSpeedscope: return "speedscope";
  }
  return "";
}

absl::StatusOr<std::vector<RecordOutput>> ResolveRecordOutputs(
    const std::vector<std::string>& paths, std::string_view format_flag, bool report) {
  std::optional<RecordFormat> forced;
  if (!format_flag.empty()) {
    forced = ParseFormat(format_flag);
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
    std::optional<RecordFormat> format = forced ? forced : FormatOfName(path);
    if (!format) {
      return absl::InvalidArgumentError(absl::StrCat(
          "-o ", path,
          ": cannot tell the format from the name; end it in .svg, .folded, .pb.gz, .pprof or "
          ".speedscope.json, or give --format"));
    }
    o.format = *format;
    if (o.to_stdout()) {
      if (have_stdout) return absl::InvalidArgumentError("-o - is given twice");
      have_stdout = true;
      if (report) {
        if (o.format != RecordFormat::kFolded) {
          return absl::InvalidArgumentError(absl::StrCat(
              "-o - --format ", FormatName(o.format),
              " and --report would both write to stdout; write the profile to a file"));
        }
        continue;  // the table is what goes to stdout
      }
      if (o.format == RecordFormat::kPprof && ::isatty(STDOUT_FILENO)) {
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
    if (o.format == RecordFormat::kPprof || o.format == RecordFormat::kSpeedscope) return true;
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
  const std::string tmp = path + ".stackfire-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", tmp));
    errno = 0;
    absl::Status st = WriteTo(output, data, out);
    if (st.ok()) out.flush();
    if (!out) {
      // The stream keeps the errno of the write that failed (ENOSPC, EIO):
      // a better message than the writer's own.
      st = absl::ErrnoToStatus(errno != 0 ? errno : EIO, absl::StrCat("writing ", tmp));
    }
    if (!st.ok()) {
      out.close();
      ::unlink(tmp.c_str());  // never leave half a file on a full disk
      return st;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status st = absl::ErrnoToStatus(errno, absl::StrCat("rename to ", path));
    ::unlink(tmp.c_str());
    return st;
  }
  return absl::OkStatus();
}

std::string FallbackPath(const RecordOutput& output) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string dir = tmpdir != nullptr && tmpdir[0] != '\0' ? tmpdir : "/tmp";
  static int serial = 0;  // two outputs of one format fall back apart
  return absl::StrCat(dir, "/stackfire-", ::getpid(), "-", ::time(nullptr),
                      serial++ == 0 ? "" : absl::StrCat("-", serial), Extension(output.format));
}

}  // namespace stackfire::cli
