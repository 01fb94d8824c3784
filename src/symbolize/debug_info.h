// Separate debug information and inline chains.
//
// FindDebugFile follows the conventions gdb and perf use: the build-id path
// <debug_dir>/.build-id/xx/yyyy.debug first, then .gnu_debuglink next to the
// binary, in its .debug/ folder and under <debug_dir>/<binary's dir>. A
// candidate must have the same build-id as the binary (when it has one).
//
// InlineResolver answers "which inlined calls contain this address" from the
// DWARF of one file, as binutils' addr2line -i does:
//   1. the CU, through the CU DIEs' address ranges (low/high_pc or
//      DW_AT_ranges; indexed once; .debug_aranges is optional in gcc 12
//      output);
//   2. the function, through an index of the CU's concrete subprograms and
//      their ranges, built on the CU's first lookup by walking its DIE tree,
//      namespaces, types and imported (dwz) units included;
//   3. the inlined calls, by descending from that subprogram into the
//      lexical blocks and inlined subroutines whose ranges hold the address.
// elfutils' dwarf_getscopes is not used: it prunes every DIE without an
// address range, so it never looks inside a DW_TAG_namespace, and rustc nests
// every function in the namespaces of its path (gcc puts concrete functions
// at the top of the CU, which is why C and C++ worked with it). With it, a
// rustc binary with ~41,000 inlined calls showed none (eu-addr2line -i shows
// the same gap).
// Costs: one pass over a CU's DIEs on its first lookup, then a binary search
// and a walk down one branch per address. Not thread-safe (lazy indexes).
#ifndef STACKFIRE_SRC_SYMBOLIZE_DEBUG_INFO_H_
#define STACKFIRE_SRC_SYMBOLIZE_DEBUG_INFO_H_

#include <elfutils/libdw.h>
#include <libelf.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "stackfire/process_maps.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::symbolize {

// An ELF file opened from disk, with its DWARF when it has any.
class ElfFile {
 public:
  // Null when path is not a readable regular ELF file (never blocks: see
  // proc/target_files.h).
  static std::unique_ptr<ElfFile> Open(const std::string& path);
  static std::unique_ptr<ElfFile> FromFd(ScopedFd fd);
  ~ElfFile();
  Elf* elf() const { return elf_; }
  Dwarf* dwarf() const { return dwarf_; }  // may be null

 private:
  ElfFile() = default;
  ScopedFd fd_;
  Elf* elf_ = nullptr;
  Dwarf* dwarf_ = nullptr;
};

// The separate debug file, opened (once: the build-id check reads the same
// open file), or null when none is found: by build-id under debug_dirs
// (roots such as /usr/lib/debug), then by .gnu_debuglink next to the
// mapping's path inside the target's root and under debug_dirs. The
// debuglink name is the target's: one with a '/' or a dot name is refused.
// A candidate that exists but is not a regular file, or is too large, is
// skipped with a line in *problems (may be null).
std::unique_ptr<ElfFile> FindDebugFile(Elf* binary, const Mapping& mapping,
                                       const std::string& build_id,
                                       const std::vector<std::string>& debug_dirs,
                                       std::vector<std::string>* problems);

class InlineResolver {
 public:
  explicit InlineResolver(Dwarf* dwarf);  // dwarf may be null: no inlines

  // Appends the names of the inlined functions containing vaddr, innermost
  // first, demangled; nothing when vaddr is not in an inlined call.
  void InlineChain(uint64_t vaddr, bool keep_parameters, std::vector<std::string>* out);
  bool empty() const { return ranges_.empty(); }

  // Where vaddr is in the source: one entry per function level, innermost
  // first (the inlined functions of InlineChain, then the function that
  // contains them), each with the function's declaring file and the line
  // executing in it (for a caller, the line of the inlined call). Nothing
  // when vaddr is in no CU or in no function that DWARF describes.
  struct SourceLocation {
    std::string file;  // empty when unknown
    int line = 0;      // 0 when unknown
  };
  void SourceLocations(uint64_t vaddr, std::vector<SourceLocation>* out);

 private:
  std::string Name(Dwarf_Die* die, bool keep_parameters);
  // The DIE of the CU whose ranges contain vaddr.
  bool FindCu(uint64_t vaddr, Dwarf_Die* cudie);
  // The concrete scopes around vaddr, innermost first: the inlined calls and
  // lexical blocks, each followed by its caller, ending with the subprogram.
  // Empty when vaddr is in no function that the DWARF describes.
  void ConcreteScopes(uint64_t vaddr, Dwarf_Die* cudie, std::vector<Dwarf_Die>* scopes);

  struct CuRange {
    uint64_t lo, hi;
    Dwarf_Off cu_offset;
  };
  struct FunctionRange {
    uint64_t lo, hi;
    Dwarf_Off die_offset;
  };
  // One CU's concrete subprograms, sorted by lo; built on first use.
  struct CuFunctions {
    std::vector<FunctionRange> ranges;
    absl::flat_hash_set<Dwarf_Off> imported;  // units walked (while indexing)
  };
  const CuFunctions& FunctionsOf(Dwarf_Die* cudie);
  void IndexFunctions(Dwarf_Die* parent, int depth, CuFunctions* out);

  Dwarf* dwarf_;
  std::vector<CuRange> ranges_;  // sorted by lo
  absl::flat_hash_map<Dwarf_Off, CuFunctions> functions_;  // by CU DIE offset
  absl::flat_hash_map<Dwarf_Off, std::string> qualified_;  // by origin DIE
};

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_DEBUG_INFO_H_
