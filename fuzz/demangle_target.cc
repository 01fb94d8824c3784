// The demangle target: symbolize::Demangle over arbitrary symbol names, as a
// hostile or corrupted symbol table (or DWARF linkage name) would hold them,
// and the two cuts it makes on C++ names over arbitrary text.
//
// Checked, beyond "no crash" (libiberty included): the result is never empty
// for a non-empty name; a name that is not mangled (no _Z or _R prefix)
// comes back unchanged; the short form (keep_parameters off) is a piece of
// the full form; StripParameters returns a prefix of its input and
// StripReturnType a suffix.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "fuzz/targets.h"
#include "src/symbolize/demangle.h"

namespace stackfire::fuzz {

void FuzzDemangle(const uint8_t* data, size_t size) {
  const std::string text(FuzzText(data, size));
  const char* name = text.c_str();  // up to the first NUL, as ELF strings end
  const std::string_view raw(name);
  const std::string brief = symbolize::Demangle(name, false);
  const std::string full = symbolize::Demangle(name, true);
  FUZZ_CHECK(raw.empty() || !brief.empty(), "empty short name for '" + text + "'");
  FUZZ_CHECK(raw.empty() || !full.empty(), "empty full name for '" + text + "'");
  FUZZ_CHECK(full.find(brief) != std::string::npos,
             "short '" + brief + "' is not part of full '" + full + "'");
  const bool mangled = raw.size() >= 2 && raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R');
  if (!mangled) {
    FUZZ_CHECK(brief == raw && full == raw, "unmangled name '" + text + "' changed");
  }
  const std::string cut = symbolize::StripParameters(text);
  FUZZ_CHECK(std::string_view(text).substr(0, cut.size()) == cut,
             "StripParameters('" + text + "') is not a prefix");
  const std::string_view tail = symbolize::StripReturnType(text);
  FUZZ_CHECK(tail.size() <= text.size() &&
                 std::string_view(text).substr(text.size() - tail.size()) == tail,
             "StripReturnType('" + text + "') is not a suffix");
}

}  // namespace stackfire::fuzz
