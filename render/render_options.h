// How a flame graph is drawn: RenderOptions mirrors flamegraph.pl's options,
// with its names and defaults (`stackfire render --help` lists them), and is
// shared by render, diff and record (src/cli/render_flags.h registers the
// flags) and by every writer in render/ (layout, palette, SVG).
//
// The options are plain data, copied freely; the pointers (palette_map,
// annotator) belong to the caller. ValidateOptions checks what does not depend on the
// input, so a command can fail with a usage error before reading anything.
#ifndef STACKFIRE_RENDER_RENDER_OPTIONS_H_
#define STACKFIRE_RENDER_RENDER_OPTIONS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace stackfire::render {

// --cp: frame name -> colour ("rgb(r,g,b)"), read from and written back to a
// file by the caller (see ReadPaletteMap / WritePaletteMap).
using PaletteMap = absl::flat_hash_map<std::string, std::string>;

// Replaces the differential colour and tooltip of every frame: `stackfire
// diff` colours only significant changes (see significant_diff.h). Frame
// indices are those of the layout passed to WriteSvg.
class FrameAnnotator {
 public:
  virtual ~FrameAnnotator() = default;
  // "#rrggbb".
  virtual std::string Fill(size_t frame) const = 0;
  // The tooltip after the frame's name (unescaped; lines split by '\n').
  virtual void AppendTip(size_t frame, std::string* out) const = 0;
};

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
  // Set by `stackfire diff` without --raw; differential layouts only.
  const FrameAnnotator* annotator = nullptr;
};

// Checks the options that do not depend on the input (ranges, palette,
// background, minwidth syntax).
absl::Status ValidateOptions(const RenderOptions& options);


// flamegraph.pl's --minwidth syntax, ^([0-9.]+)%?$: *value in pixels, or a
// percentage of the total when *percent. False when the text does not match.
bool ParseMinwidth(std::string_view text, double* value, bool* percent);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_RENDER_OPTIONS_H_
