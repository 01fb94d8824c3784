// The inputs of `stackfire diff`: each file is folded stacks, `perf script`
// text or a pprof profile, gzip-compressed or not, told apart by content (not
// by name): binary data after inflating is pprof (unless it does not parse
// and its first line is folded: folded names may hold control bytes), text
// whose first line (not a comment) parses as "stack COUNT" is folded, other
// text is `perf script`. A perf.data or ELF file (io::SniffInputFormat) is
// refused before any of that, with kInvalidArgument naming the file.
//
// Counts must mean the same thing on both sides: folded and `perf script`
// inputs count samples (perf script samples are counted, not weighed by
// period, for the significance tests); a pprof's chosen sample type (see
// exporter::PprofReadOptions) must be "samples" to mix with them, and all
// pprof inputs must have the same type/unit.
#ifndef STACKFIRE_SRC_CLI_DIFF_INPUTS_H_
#define STACKFIRE_SRC_CLI_DIFF_INPUTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "collapse/folded.h"
#include "src/io/input_format.h"

namespace stackfire::cli {

struct DiffInput {
  collapse::FoldedInput folded;
  std::string path;
  std::string kind;         // "folded", "perf script" or "pprof"
  std::string sample_type;  // "samples/count", or the pprof's "type/unit"
};

struct DiffInputOptions {
  std::string sample_type;  // pprof: the sample type to read ("" = default)
  // perf script: weigh samples by their period (the script's output, for
  // --raw) instead of counting them.
  bool weigh_by_period = false;
};

// kNotFound / kPermissionDenied name the path; kDataLoss for corrupt pprof.
// *sniffed, when given, gets what the input's head looks like.
absl::StatusOr<DiffInput> LoadDiffInput(const std::string& path, const DiffInputOptions& options,
                                        io::InputFormat* sniffed = nullptr);

// Fails (kInvalidArgument) when the inputs' sample types differ, naming two
// files that disagree.
absl::Status CheckSampleTypes(const std::vector<const DiffInput*>& inputs);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_DIFF_INPUTS_H_
