#include "tests/render/svg_frames.h"

#include <cmath>
#include <cstdlib>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace stackfire::testing {
namespace {

std::string Attr(const std::string& tag, const std::string& name) {
  std::string key = " " + name + "=\"";
  size_t p = tag.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  return tag.substr(p, tag.find('"', p) - p);
}

double NumAttr(const std::string& tag, const std::string& name) {
  return std::strtod(Attr(tag, name).c_str(), nullptr);
}

void FillNameAndSamples(SvgFrame* f) {
  std::string first = f->title.substr(0, f->title.find('\n'));
  size_t p = first.rfind(" (");
  f->name = p == std::string::npos ? first : first.substr(0, p);
  std::string digits;
  for (size_t i = p + 2; p != std::string::npos && i < first.size() && first[i] != ' '; ++i) {
    if (first[i] != ',') digits += first[i];
  }
  f->samples = std::strtod(digits.c_str(), nullptr);
}

void AssignDepths(SvgDoc* doc) {
  double root_y = 0;
  for (const SvgFrame& f : doc->frames) {
    if (f.name == "all") root_y = f.y;
  }
  double fh = doc->frames.empty() ? 16 : doc->frames[0].height + 1;
  for (SvgFrame& f : doc->frames) {
    f.depth = static_cast<int>(std::lround(std::fabs(root_y - f.y) / fh));
  }
}

}  // namespace

std::string ReadFile(const std::string& path) {
  // Large golden files are stored gzipped (FILE.gz next to where FILE would
  // be); gzread passes plain files through unchanged.
  std::string actual = path;
  if (!std::filesystem::exists(actual) && std::filesystem::exists(path + ".gz")) {
    actual = path + ".gz";
  }
  gzFile gz = gzopen(actual.c_str(), "rb");
  if (gz == nullptr) return {};
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(gz);
  return out;
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    std::string ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos" || ent == "#39") out += '\'';
    else if (ent == "#9") out += '\t';
    else if (ent == "#10") out += '\n';
    else if (ent == "#13") out += '\r';
    else out += "&" + ent + ";";
    i = semi;
  }
  return out;
}

SvgDoc ParseReferenceSvg(const std::string& svg) {
  SvgDoc doc;
  size_t start = svg.find("<g id=\"frames\">");
  for (size_t p = svg.find("<title>", start); p != std::string::npos;
       p = svg.find("<title>", p + 1)) {
    size_t end = svg.find("</title>", p);
    SvgFrame f;
    f.title = Unescape(svg.substr(p + 7, end - p - 7));
    size_t rect = svg.find("<rect", end);
    std::string tag = svg.substr(rect, svg.find('>', rect) - rect);
    f.x = NumAttr(tag, "x");
    f.y = NumAttr(tag, "y");
    f.width = NumAttr(tag, "width");
    f.height = NumAttr(tag, "height");
    f.fill = Attr(tag, "fill");
    size_t text = svg.find("<text", rect);
    size_t gt = svg.find('>', text);
    doc.labels.push_back(Unescape(svg.substr(gt + 1, svg.find("</text>", gt) - gt - 1)));
    FillNameAndSamples(&f);
    doc.frames.push_back(f);
  }
  AssignDepths(&doc);
  return doc;
}

SvgDoc ParseStackfireSvg(const std::string& svg) {
  SvgDoc doc;
  size_t zoom = svg.find("<g id=\"zoom\"");
  if (zoom == std::string::npos) return doc;
  std::string ztag = svg.substr(zoom, svg.find('>', zoom) - zoom);
  std::string matrix = Attr(ztag, "transform");  // matrix(k 0 0 1 xpad 0)
  double k = 0, a, b, c, xpad = 0, f0;
  std::sscanf(matrix.c_str(), "matrix(%lf %lf %lf %lf %lf %lf)", &k, &a, &b, &c, &xpad, &f0);
  size_t end_frames = svg.find("</g></g>", zoom);
  for (size_t p = svg.find("<rect", zoom); p != std::string::npos && p < end_frames;
       p = svg.find("<rect", p + 1)) {
    size_t gt = svg.find('>', p);
    std::string tag = svg.substr(p, gt - p);
    SvgFrame f;
    f.x = xpad + NumAttr(tag, "x") * k;
    f.width = NumAttr(tag, "width") * k;
    f.y = NumAttr(tag, "y");
    f.height = NumAttr(tag, "height");
    f.fill = Attr(tag, "fill");
    f.removed = Attr(tag, "class") == "rm";
    // The tooltip is the data-t attribute (the only place the name is).
    f.title = Unescape(Attr(tag, "data-t"));
    FillNameAndSamples(&f);
    doc.frames.push_back(f);
  }
  size_t labels = svg.find("<g id=\"labels\">");
  for (size_t p = svg.find("<text", labels); p != std::string::npos;
       p = svg.find("<text", p + 1)) {
    size_t gt = svg.find('>', p);
    doc.labels.push_back(Unescape(svg.substr(gt + 1, svg.find("</text>", gt) - gt - 1)));
  }
  AssignDepths(&doc);
  return doc;
}

}  // namespace stackfire::testing
