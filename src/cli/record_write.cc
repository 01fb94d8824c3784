// See record_write.h.
#include "src/cli/record_write.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/cli/commands.h"

namespace stackfire::cli {

bool WriteRecordOutputs(const std::vector<RecordOutput>& outputs, const RecordData& data,
                        WrittenOutputs* written) {
  const bool empty = data.profile->empty();
  for (const RecordOutput& o : outputs) {
    // pprof and speedscope have no way to say "no samples": write nothing.
    if (empty && (o.format == OutputFormat::kPprof || o.format == OutputFormat::kSpeedscope)) {
      PrintError(
          absl::StrCat("no samples: ", o.to_stdout() ? "stdout" : o.path, " was not written (a ",
                       FormatName(o.format), " profile needs at least one sample)"),
          "sample for longer, or check that the target uses the CPU");
      written->not_written = true;
      continue;
    }
    absl::Status st = WriteRecordOutput(o, o.path, data);
    if (st.ok()) {
      written->paths.push_back(o.to_stdout() ? absl::StrCat(FormatName(o.format), " on stdout")
                                             : o.path);
      continue;
    }
    if (o.to_stdout()) {
      PrintError(std::string(st.message()), "check that stdout is still open (a closed pipe?)");
      return false;
    }
    // Never lose a collected profile to an output path that broke while
    // sampling: save it under $TMPDIR and say where.
    const std::string fallback = FallbackPath(o);
    if (absl::Status fst = WriteRecordOutput(o, fallback, data); !fst.ok()) {
      PrintError(absl::StrCat(st.message(), "; the fallback ", fst.message()),
                 "free some disk space or set TMPDIR to a writable folder");
      return false;
    }
    PrintError(absl::StrCat(st.message(), "; the profile was saved to ", fallback, " instead"),
               "move it where you want it; exit status 3 means the profile is at that path");
    written->paths.push_back(fallback);
    written->saved_elsewhere = true;
  }
  return true;
}

}  // namespace stackfire::cli
