// Frame colours with flamegraph.pl's palettes, names and defaults.
//
// Without --hash, flamegraph.pl seeds perl's rand() with the sum of the
// name's characters and draws from it, so a name always gets the same
// colour. Perl's rand is a 48-bit LCG (drand48), which we reproduce: the
// default colours are deterministic and equal to flamegraph.pl's. With
// --hash the colour comes from flamegraph.pl's weighted name hash.
//
// "wall" is stackfire's own, for wall-clock profiles (`record --off-cpu`):
// a frame whose time is mostly off CPU (under "[off-cpu]" leaves) takes a
// cool colour (OffCpuColor), any other frame the "hot" colours. The writer
// decides which frames are off CPU (svg_writer.cc); FrameColor(kWall)
// gives the warm colour.
#ifndef STACKFIRE_RENDER_PALETTE_H_
#define STACKFIRE_RENDER_PALETTE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stackfire::render {

enum class Palette {
  kHot, kMem, kIo, kWakeup, kChain, kJava, kJs, kPerl,
  kRed, kGreen, kBlue, kAqua, kYellow, kPurple, kOrange,
  kWall,
};

// "hot", "mem", ... as on flamegraph.pl's command line.
absl::StatusOr<Palette> ParsePalette(std::string_view name);

struct Rgb {
  int r = 0, g = 0, b = 0;
  std::string Hex() const;  // "#rrggbb"
  std::string Css() const;  // "rgb(r,g,b)", flamegraph.pl's spelling
};

// The colour of a frame called `name` (annotations such as "_[k]" included).
Rgb FrameColor(Palette palette, std::string_view name, bool hash);

// The cool colour of an off-CPU frame of the "wall" palette: blues, as
// deterministic per name as FrameColor.
Rgb OffCpuColor(std::string_view name, bool hash);

// flamegraph.pl's differential colour: white for 0, red for growth, blue for
// shrinkage, saturated at |delta| == max_delta. negate swaps the hues.
Rgb DiffColor(double delta, double max_delta, bool negate);

// The background gradient: bgcolors is "" (the palette's default), yellow,
// blue, green, grey or "#rrggbb".
struct Background {
  std::string top, bottom;
};
absl::StatusOr<Background> BackgroundFor(std::string_view bgcolors, std::string_view colors);

// Exposed for tests: flamegraph.pl's namehash() and random_namehash().
double NameHash(std::string_view name);
double SeededNameRandom(std::string_view name);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_PALETTE_H_
