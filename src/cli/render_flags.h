// flamegraph.pl's options on a CLI11 (sub)command, shared by `render`,
// `diff` and `record` (which passes them through to the renderer).
#ifndef STACKFIRE_SRC_CLI_RENDER_FLAGS_H_
#define STACKFIRE_SRC_CLI_RENDER_FLAGS_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "render/flamegraph.h"

namespace stackfire::cli {

// Registers --title --subtitle --width --height --minwidth --fonttype
// --fontsize --fontwidth --countname --nametype --colors --bgcolors --hash
// --cp --reverse --inverted --flamechart --negate --factor --notes --total,
// with flamegraph.pl's defaults, writing into *opts (which must outlive app).
void AddRenderFlags(CLI::App* app, render::RenderOptions* opts);

// Draws `input` to `out` honouring --cp: palette.map in the current
// directory is read first and written back afterwards, as flamegraph.pl does.
absl::Status RenderWithPalette(const FoldedInput& input, render::RenderOptions opts,
                               std::ostream& out);
// The same for a recorded profile (what `record` draws).
absl::Status RenderWithPalette(const Profile& profile, render::RenderOptions opts,
                               std::ostream& out);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_RENDER_FLAGS_H_
