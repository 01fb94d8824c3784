#include "src/symbolize/demangle.h"

// libiberty.h declares basename(), which glibc's <string.h> declares
// differently for C++; this says the C library's declaration is the one.
#define HAVE_DECL_BASENAME 1
#include <libiberty/demangle.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace stackfire::symbolize {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Demangled = std::unique_ptr<char, FreeDeleter>;

// DMGL_PARAMS | DMGL_ANSI: the full C++ signature (cut later when asked);
// no DMGL_VERBOSE, so Rust hashes are left out.
Demangled Run(const char* mangled, int style) {
  return Demangled(cplus_demangle(mangled, DMGL_PARAMS | DMGL_ANSI | style));
}

}  // namespace

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

std::string_view StripReturnType(std::string_view name) {
  // The name proper starts after the last space outside any brackets. An
  // operator's own name ("operator new", "operator bool", "operator<") ends
  // the scan: its spaces and brackets are not structure.
  int depth = 0;
  size_t cut = std::string_view::npos;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name.compare(i, 8, "operator") == 0 &&
        (i == 0 || name[i - 1] == ':' || name[i - 1] == ' ')) {
      break;
    }
    char c = name[i];
    if (c == '<' || c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == '>' || c == ')' || c == ']' || c == '}') {
      --depth;
    } else if (c == ' ' && depth == 0) {
      cut = i;
    }
  }
  return cut == std::string_view::npos ? name : name.substr(cut + 1);
}

std::string Demangle(const char* mangled, bool keep_parameters) {
  if (mangled[0] != '_' || (mangled[1] != 'Z' && mangled[1] != 'R')) return mangled;
  if (std::strlen(mangled) > kMaxMangledLength) return mangled;
  // libiberty's Rust demangler accepts only Rust's shapes (v0, or legacy's
  // _ZN...17h<hash>E), so a C++ name falls through to the C++ demangler.
  // An empty demangling (libiberty gives one for some malformed names, as
  // the fuzzer found) is no name: the mangled one is kept.
  if (Demangled rust = Run(mangled, DMGL_RUST); rust != nullptr && rust.get()[0] != '\0') {
    return rust.get();
  }
  if (mangled[1] != 'Z') return mangled;
  Demangled cxx = Run(mangled, DMGL_GNU_V3);
  if (cxx == nullptr || cxx.get()[0] == '\0') return mangled;
  if (keep_parameters) return cxx.get();
  std::string name(StripReturnType(StripParameters(cxx.get())));
  return name.empty() ? std::string(cxx.get()) : name;  // never an empty frame
}

}  // namespace stackfire::symbolize
