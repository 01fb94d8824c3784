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

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "src/unwind/elf_module.h"

namespace stackfire::symbolize {

// The start (ELF vaddr) of the function whose CFI covers vaddr: the greatest
// initial location at or below vaddr in .eh_frame_hdr's table, if the CFI
// covers vaddr at all. nullopt when the module has no such table (or no
// FDE covers vaddr). O(log n) reads of the mapped file; not cached here.
// Not thread-safe (the module's CFI table is filled lazily).
std::optional<uint64_t> FunctionStart(unwind::ElfModule& module, uint64_t vaddr);

// "<base name of path>+0x<start in hex>".
std::string AddressFrameName(std::string_view path, uint64_t start);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_FUNCTION_STARTS_H_
