// See render_options.h.
#include "render/render_options.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "render/palette.h"

namespace stackfire::render {

bool ParseMinwidth(std::string_view text, double* value, bool* percent) {
  *percent = !text.empty() && text.back() == '%';
  if (*percent) text.remove_suffix(1);
  if (text.empty()) return false;
  for (char c : text) {
    if (!(c >= '0' && c <= '9') && c != '.') return false;
  }
  std::string s(text);
  char* end = nullptr;
  *value = std::strtod(s.c_str(), &end);
  return true;  // like perl, "1.2.3" reads as 1.2
}

absl::Status ValidateOptions(const RenderOptions& o) {
  if (o.width <= 20) return absl::InvalidArgumentError("--width must be more than 20 pixels");
  if (o.width > 1000000) return absl::InvalidArgumentError("--width is too large (max 1000000)");
  if (o.height < 2 || o.height > 10000) {
    return absl::InvalidArgumentError("--height must be between 2 and 10000 pixels");
  }
  if (!(o.fontsize > 0 && o.fontsize < 1000)) {
    return absl::InvalidArgumentError("--fontsize must be a positive number below 1000");
  }
  if (!(o.fontwidth > 0 && o.fontwidth < 100)) {
    return absl::InvalidArgumentError("--fontwidth must be a positive number");
  }
  if (!std::isfinite(o.factor)) return absl::InvalidArgumentError("--factor must be a number");
  if (!(o.total >= 0) || !std::isfinite(o.total)) {
    return absl::InvalidArgumentError("--total must be a non-negative number");
  }
  double mw;
  bool pct;
  if (!ParseMinwidth(o.minwidth, &mw, &pct)) {
    return absl::InvalidArgumentError("--minwidth \"" + o.minwidth +
                                      "\" is invalid: expected pixels (0.1) or a percentage (1%)");
  }
  absl::StatusOr<Palette> p = ParsePalette(o.colors);
  if (!p.ok()) return p.status();
  absl::StatusOr<Background> bg = BackgroundFor(o.bgcolors, o.colors);
  if (!bg.ok()) return bg.status();
  return absl::OkStatus();
}

}  // namespace stackfire::render
