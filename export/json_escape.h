// JSON string escaping for untrusted bytes: the result is always valid JSON
// and valid UTF-8. '"' and '\\' are escaped, control characters become \n,
// \t... or \u00XX, and every byte that is not part of a well-formed UTF-8
// sequence (overlong forms, surrogates, code points above U+10FFFF, cut
// sequences) becomes one U+FFFD. U+2028 and U+2029 are escaped too, so the
// text also embeds in JavaScript.
#ifndef STACKFIRE_EXPORT_JSON_ESCAPE_H_
#define STACKFIRE_EXPORT_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace stackfire::exporter {

// Appends "text" (with the quotes) to out.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace stackfire::exporter

#endif  // STACKFIRE_EXPORT_JSON_ESCAPE_H_
