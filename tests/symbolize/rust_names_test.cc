// Rust names at the symbolizer level, on the Rust workload
// (testdata/workloads/record_rust.rs) built by testdata/workloads/build_rust.sh
// with Debian's rustc 1.63 (/usr/bin/rustc) and rustup's (when present), each
// in legacy and v0 mangling; $RUST_MANIFEST lists the binaries.
//   - Every Rust function symbol demangles, without hash or $..$ escapes.
//   - The inline chains of InlineResolver, under the symbol's demangled name,
//     equal binutils' `addr2line -a -i -f -C` on the same addresses: a few
//     thousand addresses spread over the binary's line table (its own code,
//     std's and core's).
#include <dwarf.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/demangle.h"
#include "src/symbolize/symbol_table.h"
#include "tests/symbolize/rust_workloads.h"

namespace stackfire::symbolize {
namespace {

using rust_test::Addr2line;
using rust_test::FunctionSymbols;
using rust_test::RawRustProblem;
using rust_test::Variant;

class RustNamesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RustNamesTest, EveryRustSymbolDemangles) {
  Variant v;
  REQUIRE_RUST_VARIANT(GetParam(), v);
  int rust = 0, demangled = 0;
  std::vector<std::string> bad;
  for (const auto& [addr, sym] : FunctionSymbols(v.path)) {
    static const std::regex legacy("^_ZN.*17h[0-9a-f]{16}E(\\..*)?$");
    if (sym.rfind("_R", 0) != 0 && !std::regex_match(sym, legacy)) continue;
    ++rust;
    const std::string name = Demangle(sym.c_str(), false);
    const std::string problem = RawRustProblem(name);
    if (problem.empty() && name != sym) {
      ++demangled;
    } else if (bad.size() < 10) {
      bad.push_back(sym + " -> " + name + " (" + problem + ")");
    }
  }
  std::printf("%s (%s %s): %d of %d Rust function symbols demangled\n", GetParam(),
              v.rustc.c_str(), v.version.c_str(), demangled, rust);
  EXPECT_GT(rust, 500);
  EXPECT_EQ(demangled, rust) << ::testing::PrintToString(bad);
}

// Addresses of the line table's rows that lie in a function symbol, about
// `want` of them spread evenly.
std::vector<uint64_t> LineAddresses(Dwarf* dwarf, const SymbolTable& symbols, size_t want) {
  std::vector<uint64_t> all;
  Dwarf_Off off = 0, next;
  size_t header;
  while (dwarf_nextcu(dwarf, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cudie;
    if (dwarf_offdie(dwarf, off + header, &cudie) != nullptr) {
      Dwarf_Lines* lines;
      size_t n;
      if (dwarf_getsrclines(&cudie, &lines, &n) == 0) {
        for (size_t i = 0; i < n; ++i) {
          Dwarf_Addr a;
          if (dwarf_lineaddr(dwarf_onesrcline(lines, i), &a) == 0 && a != 0 &&
              symbols.Lookup(a) != nullptr) {
            all.push_back(a);
          }
        }
      }
    }
    off = next;
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  if (all.size() <= want) return all;
  std::vector<uint64_t> out;
  const double step = static_cast<double>(all.size()) / static_cast<double>(want);
  for (size_t i = 0; i < want; ++i) out.push_back(all[static_cast<size_t>(i * step)]);
  return out;
}

TEST_P(RustNamesTest, InlineChainsMatchAddr2line) {
  Variant v;
  REQUIRE_RUST_VARIANT(GetParam(), v);
  std::unique_ptr<ElfFile> elf = ElfFile::Open(v.path);
  ASSERT_NE(elf, nullptr);
  ASSERT_NE(elf->dwarf(), nullptr) << v.path << " has no DWARF";
  const SymbolTable symbols = SymbolTable::FromElf(elf->elf(), SHT_SYMTAB);
  InlineResolver resolver(elf->dwarf());
  ASSERT_FALSE(resolver.empty());
  const std::vector<uint64_t> addrs = LineAddresses(elf->dwarf(), symbols, 3000);
  ASSERT_GT(addrs.size(), 1000u);
  const auto expected = Addr2line(v.path, addrs);
  // The linker folds identical functions into one (ICF): one address, several
  // symbols and subprograms. addr2line and stackfire may each pick another
  // of them there; both are right if the chain has the same depth and ends
  // in one of the folded functions.
  std::map<uint64_t, std::vector<std::string>> aliases;
  for (const auto& [addr, sym] : FunctionSymbols(v.path)) {
    aliases[addr].push_back(Demangle(sym.c_str(), false));
  }
  size_t same = 0, compared = 0, inlined = 0, inline_levels = 0, folded = 0;
  std::vector<std::string> diffs;
  for (uint64_t a : addrs) {
    auto it = expected.find(a);
    ASSERT_NE(it, expected.end()) << "addr2line said nothing on 0x" << std::hex << a;
    const std::vector<std::string>& want = it->second;
    if (want.empty() || want.back() == "??") continue;  // no DWARF function there
    std::vector<std::string> got;
    resolver.InlineChain(a, /*keep_parameters=*/false, &got);
    const SymbolTable::Symbol* sym = symbols.Lookup(a);
    got.push_back(Demangle(sym->name, false));
    ++compared;
    const std::vector<std::string>& names = aliases[sym->addr];
    if (got != want && names.size() > 1 && got.size() == want.size() &&
        std::find(names.begin(), names.end(), want.back()) != names.end()) {
      ++folded;
      got = want;
    }
    if (got.size() > 1) {
      ++inlined;
      inline_levels += got.size() - 1;
    }
    if (got == want) {
      ++same;
    } else if (diffs.size() < 8) {
      diffs.push_back(absl::StrCat("0x", absl::Hex(a), "\n  stackfire: ",
                                   ::testing::PrintToString(got),
                                   "\n  addr2line: ", ::testing::PrintToString(want)));
    }
  }
  std::printf("%s (%s %s): %zu of %zu addresses as addr2line -i (%zu in folded functions); "
              "%zu in inlined code, %.2f inline levels there\n",
              GetParam(), v.rustc.c_str(), v.version.c_str(), same, compared, folded,
              inlined,
              inlined ? static_cast<double>(inline_levels) / static_cast<double>(inlined) : 0.0);
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(inlined, compared / 4) << "too few addresses in inlined code";
  std::string shown;
  for (const std::string& d : diffs) shown += d + "\n";
  EXPECT_EQ(same, compared) << shown;
}

INSTANTIATE_TEST_SUITE_P(Builds, RustNamesTest, ::testing::ValuesIn(rust_test::kVariants),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace stackfire::symbolize
