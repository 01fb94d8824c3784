#include "render/utf8.h"

namespace stackfire::render {
namespace {

bool XmlAllowed(uint32_t cp) {
  if (cp < 0x20) return cp == 0x09 || cp == 0x0A || cp == 0x0D;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if (cp == 0xFFFE || cp == 0xFFFF) return false;
  return cp <= 0x10FFFF;
}

}  // namespace

uint32_t NextCodePoint(std::string_view s, size_t* pos) {
  size_t i = *pos;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *pos = i + 1;
    return c;
  }
  int len;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    *pos = i + 1;
    return kReplacementChar;
  }
  if (i + len > s.size()) {
    *pos = i + 1;
    return kReplacementChar;
  }
  for (int k = 1; k < len; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) {
      *pos = i + 1;
      return kReplacementChar;
    }
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *pos = i + 1;
    return kReplacementChar;
  }
  *pos = i + len;
  return cp;
}

std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(NextCodePoint(s, &pos));
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

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
