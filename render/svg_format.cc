#include "render/svg_format.h"

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "render/xml_escape.h"

namespace stackfire::render {

std::string Fixed(double v, int decimals) {
  // Fast path for the common case; printf's exact rounding decides whenever
  // the value is close to a rounding tie.
  if (decimals >= 0 && decimals <= 3 && std::fabs(v) < 1e12) {
    static constexpr double kScale[] = {1, 10, 100, 1000};
    double scaled = std::fabs(v) * kScale[decimals];
    double r = std::floor(scaled + 0.5);
    double frac = scaled - std::floor(scaled);
    if (std::fabs(frac - 0.5) > 1e-6) {
      uint64_t u = static_cast<uint64_t>(r);
      char buf[40];
      char* p = buf + sizeof buf;
      for (int d = 0; d < decimals; ++d) {
        *--p = static_cast<char>('0' + u % 10);
        u /= 10;
      }
      if (decimals > 0) *--p = '.';
      do {
        *--p = static_cast<char>('0' + u % 10);
        u /= 10;
      } while (u != 0);
      if (v < 0) *--p = '-';  // like printf, -0.00 keeps its sign
      return std::string(p, buf + sizeof buf - p);
    }
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

namespace {

std::string WithCommas(const std::string& digits) {
  size_t start = (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) ? 1 : 0;
  size_t end = digits.find('.');
  if (end == std::string::npos) end = digits.size();
  std::string out = digits.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out.append(digits, end, std::string::npos);
  return out;
}

// A count in a diff tooltip: integers with separators, fractions with two decimals.
std::string DiffCount(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return WithCommas(Fixed(v, 0));
  return WithCommas(Fixed(v, 2));
}

std::string Signed(const std::string& s, double v) { return v > 0 ? "+" + s : s; }

// Text for an XML comment: escaped, and without "--" or a trailing '-'.
std::string CommentSafe(std::string_view text) {
  std::string in = XmlEscape(text), out;
  for (char c : in) {
    if (c == '-' && !out.empty() && out.back() == '-') out.push_back(' ');
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '-') out.push_back(' ');
  return out;
}

// The font as given, with the generic sans-serif after it when the user gave
// no fallback list: where Verdana is missing (most Linux desktops) browsers
// otherwise fall back to a serif face. Labels are fitted with the fixed
// estimate fontsize * fontwidth, which Verdana and Arial-metric faces
// (Liberation Sans) stay within.
std::string FontFamily(std::string_view font) {
  std::string out;
  for (char c : font) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == ',' || c == '-' ||
        c == '_' || c == '.') {
      out.push_back(c);
    }
  }
  if (out.empty()) out = "Verdana";
  if (out.find(',') == std::string::npos) out += ", sans-serif";
  return out;
}

}  // namespace

std::string Num(double v) {
  if (v == 0) return "0";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[24];
    char* p = buf + sizeof buf;
    bool neg = v < 0;
    uint64_t u = static_cast<uint64_t>(neg ? -v : v);
    do {
      *--p = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) *--p = '-';
    return std::string(p, buf + sizeof buf - p);
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string FormatCount(double v) { return WithCommas(Fixed(v, 0)); }

std::string CssColorToHex(std::string_view css) {
  int r, g, b;
  std::string str(css);
  if (std::sscanf(str.c_str(), "rgb(%d,%d,%d)", &r, &g, &b) == 3) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r & 0xff, g & 0xff, b & 0xff);
    return buf;
  }
  if (str.size() == 7 && str[0] == '#') {
    bool ok = true;
    for (char c : str.substr(1)) ok &= std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (ok) return str;
  }
  return "#000000";
}

SvgGeometry GeometryFor(const Layout& layout, const RenderOptions& o) {
  SvgGeometry g;
  g.ypad1 = o.fontsize * 3;
  g.ypad2 = o.fontsize * 2 + 10;
  g.ypad3 = o.fontsize * 2;
  g.image_height = (layout.max_depth + 1.0) * o.height + g.ypad1 + g.ypad2;
  if (!o.subtitle.empty()) g.image_height += g.ypad3;
  g.width_per_time = layout.total > 0 ? (o.width - 2 * g.xpad) / layout.total : 0;
  return g;
}

double FrameY(const SvgGeometry& g, const RenderOptions& o, uint32_t depth) {
  if (o.inverted) return g.ypad1 + depth * static_cast<double>(o.height);
  return g.image_height - g.ypad2 - (depth + 1.0) * o.height + 1;
}

std::string DefaultTitle(const RenderOptions& o) {
  if (!o.title.empty()) return o.title;
  if (o.flamechart) return "Flame Chart";
  return o.inverted ? "Icicle Graph" : "Flame Graph";
}

void AppendSvgHeader(const SvgGeometry& g, const RenderOptions& o, std::string* s) {
  std::string w = Num(o.width), h = Num(g.image_height);
  *s += "<?xml version=\"1.0\" standalone=\"no\"?>\n";
  *s += "<svg version=\"1.1\" width=\"" + w + "\" height=\"" + h +
        "\" onload=\"init(evt)\" viewBox=\"0 0 " + w + " " + h +
        "\" xmlns=\"http://www.w3.org/2000/svg\" data-xpad=\"" + Num(g.xpad) + "\" data-fs=\"" +
        Num(o.fontsize) + "\" data-fw=\"" + Num(o.fontwidth) + "\" data-fh=\"" + Num(o.height) +
        "\" data-nametype=\"" + XmlEscape(o.nametype) + "\">\n";
  *s += "<!-- Flame graph written by stackfire. Click a frame to zoom, Ctrl-F to search. -->\n";
  *s += "<!-- NOTES: " + CommentSafe(o.notes) + " -->\n";
}

void AppendStyle(const RenderOptions& o, std::string* s) {
  std::string fs = Num(o.fontsize);
  *s += "<style type=\"text/css\">\n"
        "text { font-family:" + FontFamily(o.fonttype) + "; font-size:" + fs +
        "px; fill:#000; }\n"
        "#title { text-anchor:middle; font-size:" + Num(o.fontsize + 5) + "px; }\n"
        "#subtitle { text-anchor:middle; fill:#a0a0a0; }\n"
        // flamegraph.pl draws Search and ic at opacity 0.1, which users
        // did not find; these read as links.
        "#search, #ignorecase { opacity:0.6; cursor:pointer; text-decoration:underline; }\n"
        "#search:hover, #search.show, #ignorecase:hover, #ignorecase.show { opacity:1; }\n"
        "#unzoom { cursor:pointer; }\n"
        // The frames are one path per colour; the script draws the hover
        // outline, the search highlight and the faded parents of a zoom as
        // overlay paths (ids sfhover, sfmatch, sfparents). vector-effect only
        // where a stroke is drawn: on every frame it slowed the load's style
        // recalculation.
        "#zoom path { cursor:pointer; }\n"
        "#zoom .rm { fill:none; stroke:#1f3bd6; stroke-width:4; stroke-dasharray:4 2; "
        "vector-effect:non-scaling-stroke; }\n"
        "#sfhover { fill:none; stroke:#000; stroke-width:0.5; vector-effect:non-scaling-stroke; }\n"
        "#sfmatch { fill:rgb(230,0,230); }\n"
        "#sfparents { fill:#fff; fill-opacity:0.5; }\n"
        // #sfhover holds the one <title> and so takes the pointer events of
        // the frame under it (no frame path changes on hover: a changed path
        // repaints every tile of the graph); the other overlays let them
        // through. (will-change layers for the overlays were tried: they
        // halved a search's raster work but doubled a hover's, and a
        // composited #frames was rasterized blurred.)
        "#sfmatch, #sfparents { pointer-events:none; }\n"
        "#sfhover { pointer-events:all; }\n"
        "#labels, #zlabels { pointer-events:none; }\n"
        ".hide { display:none; }\n"
        "</style>\n";
}

void AppendControls(const SvgGeometry& g, const RenderOptions& o, std::string* s) {
  std::string mid = Num(std::floor(o.width / 2.0));
  std::string top = Num(o.fontsize * 2);
  std::string bottom = Num(g.image_height - g.ypad2 / 2);
  *s += "<text id=\"title\" x=\"" + mid + "\" y=\"" + top + "\">" + XmlEscape(DefaultTitle(o)) +
        "</text>\n";
  if (!o.subtitle.empty()) {
    *s += "<text id=\"subtitle\" x=\"" + mid + "\" y=\"" + Num(o.fontsize * 4) + "\">" +
          XmlEscape(o.subtitle) + "</text>\n";
  }
  *s += "<text id=\"details\" x=\"" + Num(g.xpad) + "\" y=\"" + bottom + "\"> </text>\n";
  *s += "<text id=\"unzoom\" x=\"" + Num(g.xpad) + "\" y=\"" + top +
        "\" class=\"hide\">Reset Zoom</text>\n";
  *s += "<text id=\"search\" x=\"" + Num(o.width - g.xpad - 100) + "\" y=\"" + top +
        "\">Search</text>\n";
  *s += "<text id=\"ignorecase\" x=\"" + Num(o.width - g.xpad - 16) + "\" y=\"" + top +
        "\">ic</text>\n";
  *s += "<text id=\"matched\" x=\"" + Num(o.width - g.xpad - 100) + "\" y=\"" + bottom +
        "\"> </text>\n";
}

void AppendTitleTail(const Layout& layout, const Frame& f, const RenderOptions& o,
                     std::string* s) {
  const bool root = f.depth == 0;
  double width = root ? layout.total : f.width();
  std::string samples = Fixed(width * o.factor, 0);
  double samples_rounded = std::nearbyint(width * o.factor);  // as printf's %.0f rounds
  *s += " (" + WithCommas(samples) + " ";
  *s += o.countname;
  *s += ", ";
  if (root) {
    *s += "100%)";
  } else {
    *s += Fixed(100 * samples_rounded / (layout.total * o.factor), 2) + "%";
    if (layout.differential && !o.diff_details) {
      double d = o.negate ? -f.self_delta : f.self_delta;
      if (d == 0) d = 0;  // perl prints 0.00, not -0.00
      *s += "; " + Signed(Fixed(100 * d / (layout.total * o.factor), 2), d) + "%";
    }
    *s += ")";
  }
  if (!layout.differential || !o.diff_details) return;
  double before = f.before * o.factor;
  double after = (f.removed ? 0 : width) * o.factor;
  double delta = after - before;
  *s += "\nbefore " + DiffCount(before) + ", after " + DiffCount(after) + ", delta " +
        Signed(DiffCount(delta), delta) + " (";
  if (f.removed) {
    *s += "removed, ";
  } else if (before == 0) {
    *s += "new, ";
  } else {
    *s += Signed(Fixed(100 * delta / before, 2), delta) + "% of frame, ";
  }
  *s += Signed(Fixed(100 * delta / (layout.total * o.factor), 2), delta) + "% of total)";
  double self = f.self_delta * o.factor;
  if (!root && self != 0 && std::fabs(self - delta) > 1e-9 * std::fabs(delta)) {
    *s += "\nself delta " + Signed(DiffCount(self), self);
  }
}

}  // namespace stackfire::render
