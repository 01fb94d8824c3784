// The public entry point of the renderer: folded stacks in, an interactive
// SVG flame graph out, drawn with the options of render_options.h (which
// mirror flamegraph.pl's, so `stackfire render` is a drop-in replacement);
// the recorder calls the same functions.
//
// Geometry (which frames, their counts, x, width and depth) is flamegraph.pl's
// (see layout.h); colours are its palettes (see palette.h) and are
// deterministic. The SVG differs on purpose: it is smaller, it escapes every
// untrusted string, and its script zooms with one transform instead of
// rewriting and re-measuring every frame (see svg_writer.h).
#ifndef STACKFIRE_RENDER_FLAMEGRAPH_H_
#define STACKFIRE_RENDER_FLAMEGRAPH_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collapse/folded.h"
#include "render/layout.h"
#include "render/render_options.h"
#include "stackfire/profile.h"

namespace stackfire::render {

// Lays the stacks out as flamegraph.pl would with these options.
absl::StatusOr<Layout> LayoutFor(std::vector<StackWeight> stacks, bool differential,
                                 const RenderOptions& options);

// Writes the SVG of a layout made by LayoutFor with the same options.
absl::Status WriteSvg(const Layout& layout, const RenderOptions& options, std::ostream& out);

// Layout + SVG. On an input without counts, writes flamegraph.pl's error
// picture and returns kInvalidArgument ("no stack counts found").
absl::Status WriteFlameGraph(std::vector<StackWeight> stacks, bool differential,
                             const RenderOptions& options, std::ostream& out);
// A profile is drawn from its stacks (first-seen order for --flamechart).
absl::Status WriteFlameGraph(const Profile& profile, const RenderOptions& options,
                             std::ostream& out);
// Folded input keeps its line order (flame charts) and two-column lines.
absl::Status WriteFlameGraph(const collapse::FoldedInput& input, const RenderOptions& options,
                             std::ostream& out);

std::vector<StackWeight> StacksOf(const Profile& profile);
std::vector<StackWeight> StacksOf(const collapse::FoldedInput& input);

// The picture flamegraph.pl writes when there is nothing to draw.
void WriteErrorSvg(const RenderOptions& options, std::string_view message, std::ostream& out);

// palette.map lines: "NAME->rgb(r,g,b)".
PaletteMap ReadPaletteMap(std::istream& in);
void WritePaletteMap(const PaletteMap& map, std::ostream& out);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_FLAMEGRAPH_H_
