// Names for code that has no symbol: the function's start from the call
// frame information, which stripped binaries keep (.eh_frame and its sorted
// index .eh_frame_hdr are loaded, so `strip` cannot remove them).
//
// A frame in such code is named "<module>+0x<start>", e.g.
// "liblzma.so.5.4.1+0x1a2b0": the file's base name and the ELF virtual
// address (p_vaddr space, as `nm`, `objdump -d`, `addr2line -e FILE` and
// `gdb FILE` count) of the first instruction of the function that contains
// the pc. Every pc of one function gets the same name, so distinct functions
// stay distinct frames, and the name can be symbolized later against the
// same build of the file (the pprof export keeps the address and mapping
// for that). It is not a file offset: the two differ wherever a PT_LOAD's
// p_vaddr differs from its p_offset.
#ifndef STACKFIRE_SRC_SYMBOLIZE_FUNCTION_STARTS_H_
#define STACKFIRE_SRC_SYMBOLIZE_FUNCTION_STARTS_H_

#include <elfutils/libdw.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/elf/elf_module.h"

namespace stackfire::symbolize {

// The start (ELF vaddr) of the function whose CFI covers a vaddr: the
// greatest initial location at or below it in .eh_frame_hdr's table, if an
// FDE of .eh_frame covers the address at all. Owns a libdw handle on the
// module's .eh_frame; the module must outlive it. Not thread-safe.
class FunctionStarts {
 public:
  explicit FunctionStarts(const elf::ElfModule& module);
  ~FunctionStarts();
  FunctionStarts(const FunctionStarts&) = delete;
  FunctionStarts& operator=(const FunctionStarts&) = delete;

  // nullopt when the module has no such table or no FDE covers vaddr.
  // O(log n) reads of the mapped file and one CFI lookup; not cached here.
  std::optional<uint64_t> Find(uint64_t vaddr) const;

 private:
  const elf::ElfModule& module_;
  Dwarf_CFI* eh_cfi_;  // owned; null when the file has no .eh_frame
};

// "<base name of path>+0x<start in hex>".
std::string AddressFrameName(std::string_view path, uint64_t start);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_FUNCTION_STARTS_H_
