// The public entry point of the renderer: folded stacks in, an interactive
// SVG flame graph out. RenderOptions mirrors flamegraph.pl's options, names
// and defaults, so `stackfire render` is a drop-in replacement; the recorder
// calls the same functions.
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

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collapse/folded.h"
#include "render/layout.h"
#include "stackfire/profile.h"

namespace stackfire::render {

// --cp: frame name -> colour ("rgb(r,g,b)"), read from and written back to a
// file by the caller (see ReadPaletteMap / WritePaletteMap).
using PaletteMap = absl::flat_hash_map<std::string, std::string>;

struct RenderOptions {
  std::string title;              // "" = "Flame Graph" / "Icicle Graph" / "Flame Chart"
  std::string subtitle;
  int width = 1200;               // image width, pixels
  int height = 16;                // frame height, pixels
  std::string minwidth = "0.1";   // pixels, or "N%" of the total
  std::string fonttype = "Verdana";
  double fontsize = 12;
  double fontwidth = 0.59;        // average glyph width relative to fontsize
  std::string countname = "samples";
  std::string nametype = "Function:";
  std::string colors = "hot";
  std::string bgcolors;           // "" = the palette's default
  bool hash = false;              // colour by flamegraph.pl's name hash
  bool consistent_palette = false;  // --cp: colours from/to *palette_map
  PaletteMap* palette_map = nullptr;
  bool reverse = false;
  bool inverted = false;          // icicle graph
  bool flamechart = false;        // input order, no merging of non-adjacent stacks
  bool negate = false;            // swap differential hues
  double factor = 1;              // scale the counts shown in tooltips
  std::string notes;
  double total = 0;               // --total: override the sum of counts when larger

  // Set by `stackfire diff`: keep frames that vanished (drawn as thin
  // removed markers) and write before/after/delta in every tooltip.
  bool diff_details = false;
};

// Checks the options that do not depend on the input (ranges, palette,
// background, minwidth syntax).
absl::Status ValidateOptions(const RenderOptions& options);

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
