// JSON string escaping for untrusted bytes: the result is always valid JSON
// and valid UTF-8. '"' and '\\' are escaped, control characters become \n,
// \t... or \u00XX, and every byte that is not part of a well-formed UTF-8
// sequence (overlong forms, surrogates, code points above U+10FFFF, cut
// sequences) becomes one U+FFFD. U+2028 and U+2029 are escaped too, so the
// text also embeds in JavaScript. JsonFlavor::kInMarkup also writes < > & as
// \u003c \u003e \u0026, so the literal is plain XML/HTML character data that
// can never close an element or form "]]>" (the SVG's frame table).
#ifndef STACKFIRE_EXPORT_JSON_ESCAPE_H_
#define STACKFIRE_EXPORT_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace stackfire::exporter {

enum class JsonFlavor { kPlain, kInMarkup };

// Appends "text" (with the quotes) to out.
void AppendJsonString(std::string_view text, std::string* out,
                      JsonFlavor flavor = JsonFlavor::kPlain);

}  // namespace stackfire::exporter

#endif  // STACKFIRE_EXPORT_JSON_ESCAPE_H_
