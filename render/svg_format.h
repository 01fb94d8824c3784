// Text pieces of the flame-graph SVG shared by the frame writer and the
// error picture: the page geometry (flamegraph.pl's paddings), number and
// count formatting, the header, style, controls and frame tooltips.
// Internal to render/.
#ifndef STACKFIRE_RENDER_SVG_FORMAT_H_
#define STACKFIRE_RENDER_SVG_FORMAT_H_

#include <string>
#include <string_view>

#include "render/render_options.h"
#include "render/layout.h"

namespace stackfire::render {

struct SvgGeometry {
  double xpad = 10;
  double ypad1 = 0;  // top, title included
  double ypad2 = 0;  // bottom, details line included
  double ypad3 = 0;  // subtitle
  double image_height = 0;
  double width_per_time = 0;
};

SvgGeometry GeometryFor(const Layout& layout, const RenderOptions& o);
// The top y of a frame at `depth`, as flamegraph.pl computes it.
double FrameY(const SvgGeometry& g, const RenderOptions& o, uint32_t depth);

// A number as perl prints it (up to 15 significant digits, no trailing zeros).
std::string Num(double v);
// sprintf("%.*f", decimals, v), without printf's cost in the common case.
std::string Fixed(double v, int decimals);
// sprintf("%.0f") with thousands separators, as flamegraph.pl's tooltips.
std::string FormatCount(double v);
// "rgb(r,g,b)" -> "#rrggbb"; other strings are returned if they are safe
// colour tokens, else black.
std::string CssColorToHex(std::string_view css);

void AppendSvgHeader(const SvgGeometry& g, const RenderOptions& o, std::string* s);
void AppendStyle(const RenderOptions& o, std::string* s);
void AppendControls(const SvgGeometry& g, const RenderOptions& o, std::string* s);
// The tooltip text of a frame after its name, unescaped: " (N samples, P%)",
// and for `stackfire diff` the before/after/delta lines, each after a '\n'.
void AppendTitleTail(const Layout& layout, const Frame& f, const RenderOptions& o,
                     std::string* s);
std::string DefaultTitle(const RenderOptions& o);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_SVG_FORMAT_H_
