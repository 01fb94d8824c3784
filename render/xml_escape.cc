#include "render/xml_escape.h"

#include "collapse/utf8.h"

namespace stackfire::render {
namespace {

using collapse::AppendUtf8;
using collapse::kReplacementChar;
using collapse::NextCodePoint;

bool XmlAllowed(uint32_t cp) {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if (cp == 0xFFFE || cp == 0xFFFF) return false;
  return cp <= 0x10FFFF;
}

}  // namespace

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c >= 0x20 && c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++pos;
      continue;
    }
    size_t start = pos;
    uint32_t cp = NextCodePoint(s, &pos);
    if (!XmlAllowed(cp)) {
      AppendUtf8(kReplacementChar, &out);
    } else if (cp == kReplacementChar || cp < 0x80) {
      AppendUtf8(cp, &out);
    } else {
      out.append(s.substr(start, pos - start));
    }
  }
  return out;
}

namespace {

// Bytes that AppendXmlEscaped must look at: controls, non-ASCII, & < > " '.
struct SpecialTable {
  bool special[256];
  constexpr SpecialTable() : special() {
    for (int c = 0; c < 256; ++c) {
      special[c] = c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' ||
                   c == '\'';
    }
  }
};
constexpr SpecialTable kSpecial;

}  // namespace

void AppendXmlEscaped(std::string_view s, std::string* out) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t run = pos;
    while (run < s.size() && !kSpecial.special[static_cast<unsigned char>(s[run])]) ++run;
    if (run > pos) {
      out->append(s.data() + pos, run - pos);
      pos = run;
      if (pos == s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c >= 0x20 && c < 0x80) {
      switch (c) {
        case '&': out->append("&amp;"); break;
        case '<': out->append("&lt;"); break;
        case '>': out->append("&gt;"); break;
        case '"': out->append("&quot;"); break;
        case '\'': out->append("&#39;"); break;
        default: out->push_back(static_cast<char>(c));
      }
      ++pos;
      continue;
    }
    size_t start = pos;
    uint32_t cp = NextCodePoint(s, &pos);
    if (!XmlAllowed(cp)) {
      AppendUtf8(kReplacementChar, out);
    } else if (cp == '\t' || cp == '\n' || cp == '\r') {
      // As references, so that an attribute value keeps them (the parser
      // turns literal ones into spaces there).
      out->append(cp == '\t' ? "&#9;" : cp == '\n' ? "&#10;" : "&#13;");
    } else if (cp < 0x80 || cp == kReplacementChar) {
      AppendUtf8(cp, out);
    } else {
      out->append(s.substr(start, pos - start));
    }
  }
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  AppendXmlEscaped(s, &out);
  return out;
}

}  // namespace stackfire::render
