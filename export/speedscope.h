// Writes an ExportProfile in speedscope's JSON file format
// (https://www.speedscope.app/file-format-schema.json): the frames once in
// shared.frames, then "sampled" profiles whose samples are stacks of frame
// indices, root first, with one weight each.
//
// Inline chains become separate speedscope frames (speedscope has no
// inlining): outer function first, innermost last. With per_thread, the
// samples are split by their root frame (a thread frame such as
// "comm-PID/TID", as `stackfire collapse --tid` writes), one profile per
// thread named after it, that root frame left out of the stacks; otherwise
// there is one profile. Every name is escaped (see json_escape.h).
#ifndef STACKFIRE_EXPORT_SPEEDSCOPE_H_
#define STACKFIRE_EXPORT_SPEEDSCOPE_H_

#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "export/export_profile.h"

namespace stackfire::exporter {

struct SpeedscopeOptions {
  std::string name = "stackfire profile";  // the file's and single profile's name
  std::string exporter = "stackfire";      // e.g. "stackfire 0.1.0"
  bool per_thread = false;
};

// True when every sample's root frame is named like "comm-PID/TID" (as
// `stackfire collapse --tid` writes): the stacks were folded per thread.
bool RootedAtThreads(const ExportProfile& profile);

// Fails (kInvalidArgument) on a profile with no sample or a frame index out
// of range, (kInternal) when the stream fails.
absl::Status WriteSpeedscope(const ExportProfile& profile, const SpeedscopeOptions& options,
                             std::ostream& out);

// Convenience: FromFolded(profile, meta) then WriteSpeedscope.
absl::Status WriteSpeedscope(const Profile& profile, const FoldedMeta& meta,
                             const SpeedscopeOptions& options, std::ostream& out);

}  // namespace stackfire::exporter

#endif  // STACKFIRE_EXPORT_SPEEDSCOPE_H_
