// See json_escape.h.
#include "export/json_escape.h"

#include <cstdint>

#include "collapse/utf8.h"

namespace stackfire::exporter {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU(uint32_t cp, std::string* out) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xf]);
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
    size_t len = collapse::DecodeUtf8At(text, i, &cp);
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
