// XML-safe text. Every name in a profile is untrusted:
// it may hold markup, control bytes or invalid UTF-8. XmlEscape turns any
// byte string into text that is well-formed inside an XML element or a
// quoted attribute: invalid UTF-8 (including overlongs and surrogates) and
// characters that XML 1.0 forbids (C0 controls other than tab, LF, CR, and
// U+FFFE/U+FFFF) become U+FFFD, & < > " ' become entities, and tab, LF and
// CR become character references (so attribute values keep them). UTF-8 is
// decoded by collapse/utf8.h.
#ifndef STACKFIRE_RENDER_XML_ESCAPE_H_
#define STACKFIRE_RENDER_XML_ESCAPE_H_

#include <string>
#include <string_view>

namespace stackfire::render {

// Valid UTF-8 with XML-forbidden characters replaced; no escaping.
std::string SanitizeUtf8(std::string_view s);
// SanitizeUtf8 plus entity escaping of & < > " '.
void AppendXmlEscaped(std::string_view s, std::string* out);
std::string XmlEscape(std::string_view s);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_XML_ESCAPE_H_
