// UTF-8 decoding and XML-safe text. Every name in a profile is untrusted:
// it may hold markup, control bytes or invalid UTF-8. XmlEscape turns any
// byte string into text that is well-formed inside an XML element or a
// quoted attribute: invalid UTF-8 (including overlongs and surrogates) and
// characters that XML 1.0 forbids (C0 controls other than tab, LF, CR, and
// U+FFFE/U+FFFF) become U+FFFD, & < > " ' become entities, and tab, LF and
// CR become character references (so attribute values keep them).
#ifndef STACKFIRE_RENDER_UTF8_H_
#define STACKFIRE_RENDER_UTF8_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stackfire::render {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Decodes one code point at s[*pos], advancing *pos; invalid sequences give
// U+FFFD and advance by one byte.
uint32_t NextCodePoint(std::string_view s, size_t* pos);
std::vector<uint32_t> DecodeUtf8(std::string_view s);
void AppendUtf8(uint32_t cp, std::string* out);

// Valid UTF-8 with XML-forbidden characters replaced; no escaping.
std::string SanitizeUtf8(std::string_view s);
// SanitizeUtf8 plus entity escaping of & < > " '.
void AppendXmlEscaped(std::string_view s, std::string* out);
std::string XmlEscape(std::string_view s);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_UTF8_H_
