#include "tests/render/svg_frames.h"

#include <cmath>
#include <cstdlib>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>
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

namespace {

// Just enough JSON for the frame table: objects, arrays, strings, numbers.
struct Json {
  enum Kind { kNull, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  // An object's members (a pair<string, Json> would need Json complete).
  std::vector<std::string> keys;
  std::vector<Json> values;

  const Json& operator[](const std::string& key) const;
};

const Json& Json::operator[](const std::string& key) const {
  static const Json kNone;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return values[i];
  }
  return kNone;
}

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}

  bool Parse(Json* out) {
    bool ok = Value(out);
    Space();
    return ok && pos_ == s_.size();
  }

 private:
  void Space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Value(Json* v) {
    Space();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    if (c == '"') {
      v->kind = Json::kString;
      return String(&v->string);
    }
    if (c == '[') {
      v->kind = Json::kArray;
      ++pos_;
      Space();
      if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
      while (true) {
        v->array.emplace_back();
        if (!Value(&v->array.back())) return false;
        Space();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
        return false;
      }
    }
    if (c == '{') {
      v->kind = Json::kObject;
      ++pos_;
      Space();
      if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
      while (true) {
        Space();
        std::string key;
        if (!String(&key)) return false;
        Space();
        if (pos_ >= s_.size() || s_[pos_] != ':') return false;
        ++pos_;
        v->keys.push_back(key);
        v->values.emplace_back();
        if (!Value(&v->values.back())) return false;
        Space();
        if (pos_ < s_.size() && s_[pos_] == ',') { ++pos_; continue; }
        if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
        return false;
      }
    }
    char* end = nullptr;
    v->kind = Json::kNumber;
    v->number = std::strtod(s_.c_str() + pos_, &end);
    if (end == s_.c_str() + pos_) return false;
    pos_ = static_cast<size_t>(end - s_.c_str());
    return true;
  }
  bool String(std::string* out) {
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      switch (e) {
        case 'n': out->push_back('\n'); break;
        case 't': out->push_back('\t'); break;
        case 'r': out->push_back('\r'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return false;
          uint32_t cp = static_cast<uint32_t>(std::stoul(s_.substr(pos_, 4), nullptr, 16));
          pos_ += 4;
          if (cp < 0x80) {
            out->push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else {
            out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          }
          break;
        }
        default: out->push_back(e);
      }
    }
    if (pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

// The rectangles of a path's d, as the writer draws them:
// "M x y h w v height h -w z" each, x and w in counts.
struct DrawnRect {
  double x, y, w, h;
};
bool ParseRects(const std::string& d, std::vector<DrawnRect>* out) {
  const char* p = d.c_str();
  const char* end = p + d.size();
  auto num = [&](double* v) {
    char* e = nullptr;
    *v = std::strtod(p, &e);
    if (e == p) return false;
    p = e;
    return true;
  };
  auto cmd = [&](char c) {
    while (p < end && *p == ' ') ++p;
    if (p >= end || *p != c) return false;
    ++p;
    return true;
  };
  while (p < end) {
    DrawnRect r;
    double back;
    if (!cmd('M') || !num(&r.x) || !num(&r.y) || !cmd('h') || !num(&r.w) || !cmd('v') ||
        !num(&r.h) || !cmd('h') || !num(&back) || !cmd('z') || back != -r.w) {
      return false;
    }
    out->push_back(r);
  }
  return true;
}

SvgDoc Invalid(const std::string& why) {
  SvgDoc doc;
  doc.error = why;
  return doc;
}

}  // namespace

SvgDoc ParseStackfireSvg(const std::string& svg) {
  SvgDoc doc;
  size_t zoom = svg.find("<g id=\"zoom\"");
  if (zoom == std::string::npos) return Invalid("no <g id=\"zoom\">");
  std::string ztag = svg.substr(zoom, svg.find('>', zoom) - zoom);
  std::string matrix = Attr(ztag, "transform");  // matrix(k 0 0 1 xpad 0)
  double k = 0, a, b, c, xpad = 0, f0;
  std::sscanf(matrix.c_str(), "matrix(%lf %lf %lf %lf %lf %lf)", &k, &a, &b, &c, &xpad, &f0);

  // The frame table.
  const std::string open = "<metadata id=\"sfdata\">";
  size_t md = svg.find(open);
  if (md == std::string::npos) return Invalid("no <metadata id=\"sfdata\">");
  md += open.size();
  Json t;
  if (!JsonParser(Unescape(svg.substr(md, svg.find("</metadata>", md) - md))).Parse(&t)) {
    return Invalid("the frame table is not JSON");
  }
  const std::vector<Json>& depth = t["depth"].array;
  size_t n = depth.size();
  for (const char* col : {"x", "w", "name", "color", "tip"}) {
    if (t[col].array.size() != n) return Invalid(std::string("column ") + col + " has another length");
  }
  std::vector<bool> removed(n);
  for (const Json& r : t["removed"].array) {
    if (r.number < 0 || r.number >= static_cast<double>(n)) return Invalid("removed index out of range");
    removed[static_cast<size_t>(r.number)] = true;
  }
  const double y0 = t["y0"].number, dy = t["dy"].number, fh = t["fh"].number;
  const std::vector<Json>& names = t["names"].array;
  const std::vector<Json>& colors = t["colors"].array;
  // What each path must draw, by fill ("rm" for the removed frames).
  std::map<std::string, std::vector<DrawnRect>> expected;
  for (size_t i = 0; i < n; ++i) {
    size_t ni = static_cast<size_t>(t["name"].array[i].number);
    size_t ci = static_cast<size_t>(t["color"].array[i].number);
    if (ni >= names.size() || ci >= colors.size()) return Invalid("name or colour index out of range");
    SvgFrame f;
    double x = t["x"].array[i].number, w = t["w"].array[i].number;
    f.depth = static_cast<int>(depth[i].number);
    f.x = xpad + x * k;
    f.width = w * k;
    f.y = y0 + f.depth * dy;
    f.height = fh;
    f.fill = colors[ci].string;
    f.removed = removed[i];
    f.title = names[ni].string + t["tip"].array[i].string;
    FillNameAndSamples(&f);
    f.name = names[ni].string;
    doc.frames.push_back(f);
    expected[f.removed ? "rm" : f.fill].push_back({x, f.y, w, fh});
  }
  // The paths must draw exactly the table's frames, each in its colour.
  size_t end_frames = svg.find("</g></g>", zoom);
  std::map<std::string, std::vector<DrawnRect>> drawn;
  for (size_t p = svg.find("<path", zoom); p != std::string::npos && p < end_frames;
       p = svg.find("<path", p + 1)) {
    std::string tag = svg.substr(p, svg.find('>', p) - p);
    std::string key = Attr(tag, "class") == "rm" ? "rm" : Attr(tag, "fill");
    if (!ParseRects(Attr(tag, "d"), &drawn[key])) return Invalid("unreadable path d: " + tag.substr(0, 200));
  }
  for (const auto& [key, rects] : expected) {
    const std::vector<DrawnRect>& got = drawn[key];
    if (got.size() != rects.size()) {
      return Invalid("path " + key + " draws " + std::to_string(got.size()) + " frames, the table has " +
                     std::to_string(rects.size()));
    }
    for (size_t i = 0; i < got.size(); ++i) {
      if (std::fabs(got[i].x - rects[i].x) > 1e-9 * std::max(1.0, std::fabs(rects[i].x)) ||
          std::fabs(got[i].w - rects[i].w) > 1e-9 * std::max(1.0, std::fabs(rects[i].w)) ||
          std::fabs(got[i].y - rects[i].y) > 1e-9 || got[i].h != rects[i].h) {
        return Invalid("path " + key + " frame " + std::to_string(i) + " differs from the table");
      }
    }
    drawn.erase(key);
  }
  for (const auto& [key, rects] : drawn) {
    if (!rects.empty()) return Invalid("path " + key + " draws frames the table does not have");
  }
  size_t labels = svg.find("<g id=\"labels\">");
  for (size_t p = svg.find("<text", labels); p != std::string::npos;
       p = svg.find("<text", p + 1)) {
    size_t gt = svg.find('>', p);
    doc.labels.push_back(Unescape(svg.substr(gt + 1, svg.find("</text>", gt) - gt - 1)));
  }
  return doc;
}

}  // namespace stackfire::testing
