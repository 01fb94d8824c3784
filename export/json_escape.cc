// See json_escape.h.
#include "export/json_escape.h"

#include <cstdint>

namespace stackfire::exporter {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU(uint32_t cp, std::string* out) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xf]);
}

// Length of the well-formed UTF-8 sequence at s[i] (2..4), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t value;
  uint32_t min;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, value = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, value = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, value = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    value = (value << 6) | (cc & 0x3f);
  }
  if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return 0;
  *cp = value;
  return len;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out, JsonFlavor flavor) {
  const bool markup = flavor == JsonFlavor::kInMarkup;
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default:
          if (c < 0x20 || c == 0x7f || (markup && (c == '<' || c == '>' || c == '&'))) {
            AppendU(c, out);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = Utf8SequenceLength(text, i, &cp);
    if (len == 0) {
      AppendU(0xfffd, out);
      ++i;
    } else if (cp == 0x2028 || cp == 0x2029) {
      AppendU(cp, out);
      i += len;
    } else {
      out->append(text.substr(i, len));
      i += len;
    }
  }
  out->push_back('"');
}

}  // namespace stackfire::exporter
