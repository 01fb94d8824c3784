// Helpers for the Rust naming tests (tests/symbolize/rust_names_test.cc,
// tests/record/record_rust_test.cc): the builds of the Rust workload listed
// by testdata/workloads/build_rust.sh's manifest ($RUST_MANIFEST), binutils'
// addr2line as the reference for names and inline chains, and what a
// demangled Rust name must never show.
#ifndef STACKFIRE_TESTS_SYMBOLIZE_RUST_WORKLOADS_H_
#define STACKFIRE_TESTS_SYMBOLIZE_RUST_WORKLOADS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace stackfire::rust_test {

// The labels build_rust.sh uses: rustc 1.63 (Debian) and rustup's, each in
// legacy and v0 mangling.
inline constexpr const char* kVariants[] = {"rust163_legacy", "rust163_v0", "rust_up_legacy",
                                            "rust_up_v0"};

struct Variant {
  std::string label, path, rustc, version;
  std::string skipped;  // why this variant was not built ("" when it was)
  bool v0() const { return label.size() > 3 && label.substr(label.size() - 3) == "_v0"; }
  bool debian() const { return label.rfind("rust163", 0) == 0; }
};

// The manifest's entry for `label`; .skipped says why there is none, and
// .path is empty when the manifest cannot be read.
Variant FindVariant(const std::string& label);

// Skips the test when the variant's compiler is missing, except Debian's,
// which CI must have: then the test fails with the way to install it.
#define REQUIRE_RUST_VARIANT(label, variant)                                             \
  do {                                                                                   \
    variant = ::stackfire::rust_test::FindVariant(label);                                \
    if (!variant.skipped.empty()) {                                                      \
      if (variant.debian()) {                                                            \
        FAIL() << "Debian's rustc is needed: " << variant.skipped                        \
               << " (STACKFIRE_SETUP_TESTS=1 scripts/setup.sh installs it)";             \
      }                                                                                  \
      GTEST_SKIP() << label << " skipped: " << variant.skipped;                          \
    }                                                                                    \
    ASSERT_FALSE(variant.path.empty()) << "no " << label << " in $RUST_MANIFEST (run "   \
                                       << "through meson test)";                         \
  } while (0)

// Function symbols of the ELF file's .symtab: (address, mangled name).
std::vector<std::pair<uint64_t, std::string>> FunctionSymbols(const std::string& path);

// The ELF address (vaddr) at file offset `offset` of the ELF file, through
// its PT_LOAD segments; false when no segment holds it.
bool FileOffsetToVaddr(const std::string& path, uint64_t offset, uint64_t* vaddr);

// `addr2line -a -i -f -C -e binary` on each address: the function names,
// innermost inlined call first, the containing function last; "??" where
// the DWARF names none.
std::map<uint64_t, std::vector<std::string>> Addr2line(const std::string& binary,
                                                         const std::vector<uint64_t>& addrs);

// What a demangled Rust name must never show: "" when clean, otherwise
// the offending piece (a "::h<16 hex>" hash, a $..$ escape, "..", ".llvm.",
// or "raw" for a name still mangled).
std::string RawRustProblem(const std::string& name);

}  // namespace stackfire::rust_test

#endif  // STACKFIRE_TESTS_SYMBOLIZE_RUST_WORKLOADS_H_
