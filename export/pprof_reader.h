// Reads pprof's profile.proto (gzip-compressed as `go tool pprof -proto`,
// Go's runtime/pprof and stackfire write it, or not compressed) into folded
// stacks, so that `stackfire diff` can compare a Go service's profiles, or
// another profiler's, as it compares its own.
//
// Contract:
//   - One value per sample is kept: the sample type named by
//     options.sample_type; by default "samples" when the profile has it (Go's
//     CPU profiles: samples/count next to cpu/nanoseconds), else the
//     profile's default_sample_type, else the first type.
//   - A sample's locations are leaf first; each location's lines are
//     innermost first (the last line is the function the others were
//     inlined into). The stack is written root first, and frames of inlined
//     lines get "_[i]", as `stackfire record` names inlined frames, so a
//     profile read back compares equal to the folded one it was written from.
//     A location without lines is "0x<address>" (no symbols).
//   - Frame names go through SanitizeFrameName (';' and newlines cannot
//     break a stack); everything else in them is kept as untrusted bytes.
//   - Malformed input is an error naming what is wrong (kDataLoss): not
//     protobuf, a truncated or corrupt gzip stream, a reference to a missing
//     location, function or string, a sample with the wrong number of values,
//     a negative value (a `-diff_base` profile). Never a partial result.
//   - The inflated size is capped (options.max_bytes), so a small gzip
//     bomb cannot exhaust memory.
// Pure code (zlib and protobuf only), no I/O.
#ifndef STACKFIRE_EXPORT_PPROF_READER_H_
#define STACKFIRE_EXPORT_PPROF_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "collapse/folded.h"

namespace stackfire::exporter {

struct PprofReadOptions {
  std::string sample_type;          // "" picks as described above
  // Limit on the inflated size and on the bytes of the distinct stacks; a
  // stack may be at most 4 MiB.
  size_t max_bytes = size_t{1} << 30;
};

struct PprofStacks {
  collapse::FoldedInput folded;  // one record per distinct stack, merged
  std::string type;              // the chosen sample type, e.g. "samples"
  std::string unit;              // and its unit, e.g. "count"
  std::vector<std::string> types;  // every "type/unit" of the profile
  uint64_t samples = 0;            // pprof Sample messages read
};

// True when `bytes` start like gzip (1f 8b).
bool IsGzip(std::string_view bytes);
// True when (inflated) bytes look like binary protobuf rather than text: a
// control byte other than tab, newline or carriage return near the start.
bool LooksBinary(std::string_view bytes);

// Inflates gzip or zlib data; fails (kDataLoss) on a corrupt or truncated
// stream and (kResourceExhausted) past max_bytes.
absl::StatusOr<std::string> Inflate(std::string_view bytes, size_t max_bytes);

// `source` names the input in messages.
absl::StatusOr<PprofStacks> ReadPprof(std::string_view bytes, std::string_view source,
                                      const PprofReadOptions& options = {});

}  // namespace stackfire::exporter

#endif  // STACKFIRE_EXPORT_PPROF_READER_H_
