// Writes an ExportProfile as pprof's profile.proto, gzip-compressed (the
// on-disk form that `go tool pprof`, Pyroscope and Parca read).
//
// One Location per ExportFrame (its lines innermost first, as pprof wants),
// one Function per distinct (name, source file), one Mapping per
// ExportMapping, one Sample per ExportSample with its locations leaf first.
// pprof values are integers: each weight is rounded to the nearest one.
#ifndef STACKFIRE_EXPORT_PPROF_H_
#define STACKFIRE_EXPORT_PPROF_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "export/export_profile.h"

namespace stackfire::exporter {

struct PprofOptions {
  std::string comment;  // stored as Profile.comment when not empty
  int compression_level = 6;  // zlib level, 1..9
};

// The serialized profile.proto, not compressed.
absl::StatusOr<std::string> SerializePprof(const ExportProfile& profile,
                                           const PprofOptions& options);

// gzip(SerializePprof()) to out. Fails (kInvalidArgument) on a profile
// with no sample, and (kInternal) when zlib or the stream fails.
absl::Status WritePprof(const ExportProfile& profile, const PprofOptions& options,
                        std::ostream& out);

// Convenience: FromFolded(profile, meta) then WritePprof.
absl::Status WritePprof(const Profile& profile, const FoldedMeta& meta,
                        const PprofOptions& options, std::ostream& out);

// gzip-compresses data (a member with a gzip header, as gzip(1) writes).
absl::StatusOr<std::string> GzipCompress(std::string_view data, int level);

}  // namespace stackfire::exporter

#endif  // STACKFIRE_EXPORT_PPROF_H_
