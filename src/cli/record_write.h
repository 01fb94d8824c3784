// Writes the outputs of one recording (record_output.h) the moment sampling
// stops, and never loses a collected profile: an output path that broke
// while sampling (its folder gone, the disk full) is written under $TMPDIR
// instead, and the user is told where.
#ifndef STACKFIRE_SRC_CLI_RECORD_WRITE_H_
#define STACKFIRE_SRC_CLI_RECORD_WRITE_H_

#include <string>
#include <vector>

#include "src/cli/record_output.h"

namespace stackfire::cli {

struct WrittenOutputs {
  std::vector<std::string> paths;  // as the summary names them
  bool saved_elsewhere = false;    // some output went to its fallback path (exit status 3)
  bool not_written = false;        // pprof or speedscope with no samples (exit status 1)
};

// Writes every output, printing each problem with its hint. False when one
// could not be written at all (stdout closed, the fallback failed too).
bool WriteRecordOutputs(const std::vector<RecordOutput>& outputs, const RecordData& data,
                        WrittenOutputs* written);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_RECORD_WRITE_H_
