#include "src/symbolize/demangle.h"

#include "gtest/gtest.h"

namespace stackfire::symbolize {
namespace {

TEST(DemangleTest, DropsParametersAndTemplateReturnTypes) {
  // void demo::numeric::SortValues<double>(std::vector<double>&)
  EXPECT_EQ(Demangle("_ZN4demo7numeric10SortValuesIdEEvRSt6vectorIT_SaIS3_EE", false),
            "demo::numeric::SortValues<double>");
  // ns::Foo<int>::bar(int) const
  EXPECT_EQ(Demangle("_ZNK2ns3FooIiE3barEi", false), "ns::Foo<int>::bar");
  EXPECT_EQ(Demangle("main", false), "main");
}

TEST(DemangleTest, ReturnTypeCutKeepsOperatorsAndAnonymousNamespaces) {
  EXPECT_EQ(StripReturnType("void std::__introsort_loop<double*, long>"),
            "std::__introsort_loop<double*, long>");
  EXPECT_EQ(StripReturnType("unsigned long f<unsigned long>"), "f<unsigned long>");
  EXPECT_EQ(StripReturnType("(anonymous namespace)::Work"), "(anonymous namespace)::Work");
  EXPECT_EQ(StripReturnType("ns::Foo::operator bool"), "ns::Foo::operator bool");
  EXPECT_EQ(StripReturnType("operator new"), "operator new");
  EXPECT_EQ(StripReturnType("bool ns::operator< <int>"), "ns::operator< <int>");
  EXPECT_EQ(StripReturnType("main::{lambda(int)#1}::operator()"),
            "main::{lambda(int)#1}::operator()");
}

}  // namespace
}  // namespace stackfire::symbolize
