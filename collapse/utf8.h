// UTF-8 decoding: the one decoder every writer of untrusted names uses (the
// SVG's XML escaping in render/xml_escape.h, the JSON escaping of the
// exporters and the SVG frame table in export/json_escape.h, the terminal
// escaping of the report in render/report.h). It sits in collapse/, the
// bottom of the dependency graph, so that all of them can include it.
//
// Well-formed means Unicode's Table 3-7: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, and no sequence cut by the end of
// the text. What to do with a byte that does not start a well-formed
// sequence is each caller's choice (U+FFFD, an escape); the decoder only
// says so. Header-only: the writers call it once per non-ASCII character.
#ifndef STACKFIRE_COLLAPSE_UTF8_H_
#define STACKFIRE_COLLAPSE_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stackfire::collapse {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// The length (1 to 4) of the well-formed UTF-8 sequence that starts at s[i],
// with its code point in *cp; 0 when there is none (*cp is then left alone).
// i must be < s.size().
inline size_t DecodeUtf8At(std::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t value, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, value = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, value = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, value = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    value = (value << 6) | (d & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *cp = value;
  return len;
}

// Decodes the code point at s[*pos] and advances *pos past it; a byte that
// starts no well-formed sequence gives U+FFFD and advances by one.
inline uint32_t NextCodePoint(std::string_view s, size_t* pos) {
  uint32_t cp = kReplacementChar;
  const size_t len = DecodeUtf8At(s, *pos, &cp);
  *pos += len == 0 ? 1 : len;
  return len == 0 ? kReplacementChar : cp;
}

// Every code point of s, invalid bytes as U+FFFD.
inline std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(NextCodePoint(s, &pos));
  return out;
}

// Appends the UTF-8 encoding of cp (which must be <= U+10FFFF).
inline void AppendUtf8(uint32_t cp, std::string* out) {
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

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_UTF8_H_
