// C++ demangling for frame names.
//
// The folded convention (stackcollapse-perf.pl's default "tidy") drops the
// parameter list: "ns::Foo<int>::bar(int) const" becomes "ns::Foo<int>::bar".
// Unlike the perl regex, the cut is at the parameter list that ends the name,
// so "Foo::operator()(int)" keeps "operator()" and lambdas keep
// "{lambda(int)#1}". gcc clone suffixes ("[clone .cold]") are dropped too, so
// a function's cold part folds into the function. Names that are not mangled come back unchanged.
#ifndef STACKFIRE_SRC_SYMBOLIZE_DEMANGLE_H_
#define STACKFIRE_SRC_SYMBOLIZE_DEMANGLE_H_

#include <string>
#include <string_view>

namespace stackfire::symbolize {

std::string Demangle(const char* mangled, bool keep_parameters);

// Removes the return type that template functions demangle with, as perf
// does: "void ns::Sort<double>" becomes "ns::Sort<double>". Expects a name
// whose parameter list is already stripped.
std::string_view StripReturnType(std::string_view name);

// Removes a trailing "(...)" parameter list and the qualifiers after it.
std::string StripParameters(std::string_view name);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_DEMANGLE_H_
