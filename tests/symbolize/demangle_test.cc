// Demangle on real symbol strings: each one was copied from a binary built on
// this machine (nm), named in the comment above it.
#include "src/symbolize/demangle.h"

#include <string>

#include "gtest/gtest.h"

namespace stackfire::symbolize {
namespace {

TEST(DemangleTest, DropsParametersAndTemplateReturnTypes) {
  // void demo::numeric::SortValues<double>(std::vector<double>&)
  EXPECT_EQ(Demangle("_ZN4demo7numeric10SortValuesIdEEvRSt6vectorIT_SaIS3_EE", false),
            "demo::numeric::SortValues<double>");
  EXPECT_EQ(Demangle("_ZN4demo7numeric10SortValuesIdEEvRSt6vectorIT_SaIS3_EE", true),
            "void demo::numeric::SortValues<double>(std::vector<double, std::allocator<double> "
            ">&)");
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

// Debian's rustc 1.63, legacy mangling (testdata/workloads/record_rust.rs).
TEST(DemangleTest, RustLegacyDropsTheHashAndDecodesEscapes) {
  EXPECT_EQ(Demangle("_ZN4prog13parse_request17h56ce6f8e63fe9cb6E", false),
            "prog::parse_request");
  EXPECT_EQ(Demangle("_ZN4core3ops8function6FnOnce40call_once$u7b$$u7b$vtable.shim$u7d$$u7d$"
                     "17h40890d86919443fdE",
                     false),
            "core::ops::function::FnOnce::call_once{{vtable.shim}}");
  EXPECT_EQ(Demangle("_ZN5alloc11collections5btree3map5entry28VacantEntry$LT$K$C$V$C$A$GT$"
                     "6insert17hb1171936201e39d8E",
                     false),
            "alloc::collections::btree::map::entry::VacantEntry<K,V,A>::insert");
  EXPECT_EQ(Demangle("_ZN46_$LT$prog..Lookup$u20$as$u20$prog..Handler$GT$6handle17h1ab2167f952812aaE",
                     false),
            "<prog::Lookup as prog::Handler>::handle");
  EXPECT_EQ(Demangle("_ZN4prog12build_routes28_$u7b$$u7b$closure$u7d$$u7d$17h09cb907a4b696c8eE",
                     false),
            "prog::build_routes::{{closure}}");
  // Rust names have no parameter list: keep_parameters changes nothing.
  EXPECT_EQ(Demangle("_ZN4prog13parse_request17h56ce6f8e63fe9cb6E", true), "prog::parse_request");
}

TEST(DemangleTest, RustV0) {
  EXPECT_EQ(Demangle("_RNvCsjbghrimrkzp_4prog13parse_request", false), "prog::parse_request");
  EXPECT_EQ(Demangle("_RINvCsjbghrimrkzp_4prog5scoreyEB2_", false), "prog::score::<u64>");
  EXPECT_EQ(Demangle("_RNCNvCsjbghrimrkzp_4prog12build_routes0B3_", false),
            "prog::build_routes::{closure#0}");
  EXPECT_EQ(Demangle("_RNCNvCsjbghrimrkzp_4prog12build_routess_0B3_", false),
            "prog::build_routes::{closure#1}");
  // A linkage name from the DWARF of an inlined call.
  EXPECT_EQ(Demangle("_RNvMs5_NtNtNtNtCsihNoVIYWwLU_5alloc11collections5btree3map5entryINtB5_"
                     "11VacantEntryyyE6insertCsjbghrimrkzp_4prog",
                     false),
            "<alloc::collections::btree::map::entry::VacantEntry<u64, u64>>::insert");
  // rustup's rustc 1.95: the vtable shim of a closure's FnOnce.
  EXPECT_EQ(Demangle("_RNSNvYNCNvCsjbghrimrkzp_4prog12build_routes0INtNtNtCs6IL9ONYDOZW_4core3ops8"
                     "function6FnOnceTyEE9call_once6vtableB8_",
                     false),
            "<prog::build_routes::{closure#0} as core::ops::function::FnOnce<(u64,)>>::call_once"
            "::{shim:vtable#0}");
}

// LLVM's ThinLTO promotes local symbols with ".llvm.<N>": the suffix goes.
TEST(DemangleTest, LlvmSuffixIsDroppedForRustAndCxx) {
  EXPECT_EQ(Demangle("_ZN4core3ptr67drop_in_place$LT$alloc..boxed..Box$LT$dyn$u20$prog..Handler$GT$"
                     "$GT$17hbb95e88b88a6c4caE.llvm.3393797473869848254",
                     false),
            "core::ptr::drop_in_place<alloc::boxed::Box<dyn prog::Handler>>");
  EXPECT_EQ(Demangle("_RINvNtCs6IL9ONYDOZW_4core3ptr13drop_in_placeINtNtCsdyIG5SqMl5y_3std6thread10"
                     "JoinHandleyEECsjbghrimrkzp_4prog.llvm.11510318119327751583",
                     false),
            "core::ptr::drop_in_place::<std::thread::JoinHandle<u64>>");
  EXPECT_EQ(Demangle("_ZN3std10sys_common9backtrace28__rust_begin_short_backtrace17hf9bf43c5a0e5f5c1E"
                     ".llvm.7498254185094335471",
                     false),
            "std::sys_common::backtrace::__rust_begin_short_backtrace");
  EXPECT_EQ(Demangle("_ZN2ns4workEi.llvm.12345", false), "ns::work");
  EXPECT_EQ(Demangle("_ZN2ns4workEi.llvm.12345", true), "ns::work(int) [clone .llvm.12345]");
}

// gcc's clones (symbols of g++ 12's build of stackfire itself): folded into
// the function, kept in the demangler's words only with keep_parameters.
// Names that are not mangled keep their suffix.
TEST(DemangleTest, GccCloneSuffixes) {
  EXPECT_EQ(Demangle("_ZN10__cxxabiv111__terminateEPFvvE.cold", false),
            "__cxxabiv1::__terminate");
  EXPECT_EQ(Demangle("_ZN10__cxxabiv111__terminateEPFvvE.cold", true),
            "__cxxabiv1::__terminate(void (*)()) [clone .cold]");
  EXPECT_EQ(Demangle("_ZN9stackfire15PerfScriptStatsaSEOS0_.isra.0", false),
            "stackfire::PerfScriptStats::operator=");
  EXPECT_EQ(Demangle("_ZN12_GLOBAL__N_14pool4freeEPv.constprop.0.cold", false),
            "(anonymous namespace)::pool::free");
  EXPECT_EQ(Demangle("_ZN12_GLOBAL__N_14pool4freeEPv.constprop.0.cold", true),
            "(anonymous namespace)::pool::free(void*) [clone .constprop.0] [clone .cold]");
  EXPECT_EQ(Demangle("_ZN3re23DFA10StateSaverD2Ev.part.0", false),
            "re2::DFA::StateSaver::~StateSaver");
  EXPECT_EQ(Demangle("_ZZN3CLI3App15get_subcommandsERKSt8functionIFbPS0_EEENKUlS2_E0_clES2_.isra.0",
                     false),
            "CLI::App::get_subcommands(std::function<bool (CLI::App*)> const&)::{lambda(CLI::App*)#2}"
            "::operator()");
  EXPECT_EQ(Demangle("main.cold", false), "main.cold");
  EXPECT_EQ(Demangle("_dl_relocate_object.part.0", false), "_dl_relocate_object.part.0");
  EXPECT_EQ(Demangle("main.main", false), "main.main");  // Go
}

TEST(DemangleTest, CxxAbiTagsAndLambdas) {
  // libstdc++.so.6: std::locale::name[abi:cxx11]() const
  EXPECT_EQ(Demangle("_ZNKSt6locale4nameB5cxx11Ev", false), "std::locale::name[abi:cxx11]");
  EXPECT_EQ(Demangle("_ZNKSt3_V214error_category10_M_messageB5cxx11Ei", false),
            "std::_V2::error_category::_M_message[abi:cxx11]");
  // g++ 12: a lambda in app::run(int) stored in a std::function
  // (`int run(int n) { std::function<int(int)> g = [n](int x) { return x * n; }; ... }`).
  EXPECT_EQ(Demangle("_ZNSt17_Function_handlerIFiiEZN3app3runEiEUliE_E9_M_invokeERKSt9_Any_dataOi",
                     false),
            "std::_Function_handler<int (int), app::run(int)::{lambda(int)#1}>::_M_invoke");
  EXPECT_EQ(Demangle("_ZZN3app3runEiENKUliE_clEi", false), "app::run(int)::{lambda(int)#1}::operator()");
}

TEST(DemangleTest, JunkAndTruncatedInputComeBackUnchanged) {
  for (const char* junk :
       {"", "_", "_Z", "_R", "_ZN", "_RN", "_Znot_valid", "_ZN4prog13parse_req",  // truncated
        "_ZN4prog13parse_request17h56ce6f8e63fe9cb6", "_RINvCsjbghrimrkzp_4prog5scorey",
        "_RNvCsjbghrimrkzp_4prog999999999999999parse", "_ZN4core$u7b$$u7b$17hXE", "_R\xff\xfe",
        "_Z\x01\x02", "_ZZZZZZZZZZZZZZZZZZ", "_RB_", "_RINvB_E", "_Range_check"}) {
    EXPECT_EQ(Demangle(junk, false), junk) << junk;
    EXPECT_EQ(Demangle(junk, true), junk) << junk;
  }
}

TEST(DemangleTest, HugeAndDeeplyNestedNamesDoNotCrash) {
  // Past kMaxMangledLength: given back as it is, without running the demangler.
  std::string huge = "_ZN";
  while (huge.size() <= kMaxMangledLength) huge += "3abc";
  huge += "Ev";
  EXPECT_EQ(Demangle(huge.c_str(), false), huge);
  // Deep template nesting within the limit: libiberty's recursion limit.
  std::string deep = "_Z1fI";
  for (int i = 0; i < 5000; ++i) deep += "PFvv";
  deep += "EEvv";
  (void)Demangle(deep.c_str(), false);
  std::string rust = "_R";
  for (int i = 0; i < 5000; ++i) rust += "INv";
  (void)Demangle(rust.c_str(), false);
  // libiberty's C++ demangler gives up on names over 1,024 bytes (its guard
  // against stack overflow, PR 87675; __cxa_demangle and c++filt do the
  // same), its Rust demangler does not.
  const std::string id(5000, 'a');
  const std::string cxx = "_ZN2ns" + std::to_string(id.size()) + id + "Ei";
  EXPECT_EQ(Demangle(cxx.c_str(), false), cxx);
  const std::string short_id(900, 'a');
  const std::string cxx_ok = "_ZN2ns" + std::to_string(short_id.size()) + short_id + "Ei";
  EXPECT_EQ(Demangle(cxx_ok.c_str(), false), "ns::" + short_id);
  const std::string legacy = "_ZN4prog" + std::to_string(id.size()) + id + "17h0123456789abcdefE";
  EXPECT_EQ(Demangle(legacy.c_str(), false), "prog::" + id);
  const std::string v0 = "_RNvCs123_4prog" + std::to_string(id.size()) + id;
  EXPECT_EQ(Demangle(v0.c_str(), false), "prog::" + id);
}

TEST(DemangleTest, AnEmptyDemanglingKeepsTheMangledName) {
  // libiberty's Rust demangler turns "_RC0" (and "_RC0.", "_RC0_") into "";
  // a frame must never be nameless (the demangle fuzzer found it).
  for (const char* name : {"_RC0", "_RC0.", "_RC0_"}) {
    EXPECT_EQ(Demangle(name, false), name);
    EXPECT_EQ(Demangle(name, true), name);
  }
}

}  // namespace
}  // namespace stackfire::symbolize
