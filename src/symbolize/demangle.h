// Demangling for frame names: one entry point for C++ and Rust, backed by
// GNU libiberty's demangler (the one binutils, gdb and perf use; Debian's
// libiberty-dev), so that names read as addr2line -C and perf show them.
//
// Which demangler runs is decided by the prefix, never guessed:
//   "_R..."  Rust v0 mangling:    _RINvCs..._4prog5scoreyEB2_ -> prog::score::<u64>
//   "_Z..."  legacy Rust first (its shape is _ZN...17h<16 hex>E, with $..$
//            escapes), then C++ (Itanium ABI): _ZN4prog13parse_request17h...E
//            -> prog::parse_request; _ZNK2ns3FooIiE3barEi -> ns::Foo<int>::bar
//   other    not mangled (C, Go, assembly): returned exactly as given.
// (libiberty's DMGL_AUTO would try Rust then C++ as well, but Rust's style
// bit combined with it returns NULL for C++; one explicit style per attempt
// keeps the choice visible.)
//
// The rule for Rust: the hash is dropped ("::h<16 hex>" of legacy names,
// the crate disambiguators of v0), as perf shows them by default; Rust names
// have no parameter list, so keep_parameters does not change them.
// The rule for C++: the folded convention (stackcollapse-perf.pl's default
// "tidy") drops the parameter list and the return type of templates:
// "void ns::Sort<double>(std::vector<double>&) const" becomes
// "ns::Sort<double>". Unlike the perl regex, the cut is at the parameter
// list that ends the name, so "Foo::operator()(int)" keeps "operator()" and
// lambdas keep "{lambda(int)#1}". keep_parameters keeps the demangler's
// whole text instead.
//
// Compiler suffixes (one rule for both languages). A mangled name may carry
// suffixes that the compiler appends for a piece or a specialised copy of one
// source function: gcc's ".cold", ".isra.0", ".constprop.0", ".part.0",
// LLVM's ".llvm.<N>". The frame is named after the source function: the
// suffix is dropped, so a function's cold part and its clones fold into the
// function's own box. Only with keep_parameters does a C++ name keep them, in
// the demangler's words (" [clone .cold]"). Names that are not mangled keep
// any suffix ("main.cold"): for them a dot is part of the name (Go's
// "main.main"), and only the symbol table's spelling is certain.
//
// Untrusted input: any bytes are accepted and never crash. A name the
// demangler rejects comes back unchanged. So does a mangled name longer than
// kMaxMangledLength, without being parsed. libiberty also bounds its own
// recursion, and its C++ demangler gives up on any name over 1,024 bytes
// (its work arrays live on the stack; GCC PR 87675), as __cxa_demangle and
// c++filt do: such C++ names stay mangled.
//
// Thread-safe (libiberty's demangler keeps no global state); each call
// allocates the result.
#ifndef STACKFIRE_SRC_SYMBOLIZE_DEMANGLE_H_
#define STACKFIRE_SRC_SYMBOLIZE_DEMANGLE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace stackfire::symbolize {

inline constexpr size_t kMaxMangledLength = 32 * 1024;

// `mangled` is NUL-terminated; see the file comment for the rules.
std::string Demangle(const char* mangled, bool keep_parameters);

// Removes the return type that template functions demangle with, as perf
// does: "void ns::Sort<double>" becomes "ns::Sort<double>". Expects a name
// whose parameter list is already stripped.
std::string_view StripReturnType(std::string_view name);

// Removes a trailing "(...)" parameter list, the qualifiers after it and
// gcc's clone suffixes (" [clone .cold]").
std::string StripParameters(std::string_view name);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_DEMANGLE_H_
