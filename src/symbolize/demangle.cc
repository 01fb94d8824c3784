#include "src/symbolize/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>

namespace stackfire::symbolize {

std::string StripParameters(std::string_view name) {
  // gcc's clones (".cold", ".isra.0") demangle as "f(int) [clone .cold]".
  while (name.size() > 2 && name.back() == ']') {
    size_t open = name.rfind(" [clone ");
    if (open == std::string_view::npos) break;
    name = name.substr(0, open);
  }
  // Qualifiers that may follow the parameter list.
  size_t end = name.size();
  for (;;) {
    while (end > 0 && name[end - 1] == ' ') --end;
    bool changed = false;
    for (std::string_view q : {"const", "volatile", "&&", "&", "noexcept"}) {
      if (end >= q.size() && name.substr(end - q.size(), q.size()) == q) {
        end -= q.size();
        changed = true;
        break;
      }
    }
    if (!changed) break;
  }
  if (end == 0 || name[end - 1] != ')') return std::string(name.substr(0, name.size()));
  int depth = 0;
  for (size_t i = end; i-- > 0;) {
    if (name[i] == ')') ++depth;
    if (name[i] == '(' && --depth == 0) {
      if (i == 0) return std::string(name.substr(0, end));
      return std::string(name.substr(0, i));
    }
  }
  return std::string(name);
}

std::string Demangle(const char* mangled, bool keep_parameters) {
  if (mangled[0] != '_' || mangled[1] != 'Z') return mangled;
  int status = 0;
  char* out = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) {
    std::free(out);
    return mangled;
  }
  std::string result = keep_parameters ? std::string(out) : StripParameters(out);
  std::free(out);
  return result;
}

}  // namespace stackfire::symbolize
