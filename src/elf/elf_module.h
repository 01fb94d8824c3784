// One ELF image (a file mapped by the target, or the vDSO image copied at
// attach) opened once with libelf and shared by every mapping of it: its
// build-id, its PT_LOAD segments, its .eh_frame_hdr search table and its own
// DWARF. The unwinder keeps its CFI tables beside it (unwind/cfi_table.h)
// and the symbolizer its symbol tables: both borrow the image from one
// elf::ModuleCache.
//
// Addresses inside an ElfModule are ELF virtual addresses ("vaddr", as in the
// program headers). A mapping turns them into run-time addresses with a load
// bias computed from the PT_LOAD that holds the mapping's file offset (pgoff):
// `start - pgoff` is wrong whenever a segment's vaddr differs from its file
// offset, and a mapping may start inside a segment, not only at its start.
//
// Immutable after Open(), but libelf and libdw keep lazy caches inside the
// Elf and Dwarf handles: use a module from one thread at a time (the record
// pipeline's worker).
#ifndef STACKFIRE_SRC_ELF_ELF_MODULE_H_
#define STACKFIRE_SRC_ELF_ELF_MODULE_H_

#include <elfutils/libdw.h>
#include <libelf.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stackfire/process_maps.h"
#include "src/proc/mapped_file.h"
#include "stackfire/scoped_fd.h"

namespace stackfire::elf {

class ElfModule {
 public:
  struct Segment {
    uint64_t vaddr = 0;
    uint64_t offset = 0;
    uint64_t filesz = 0;
    uint64_t memsz = 0;
    uint32_t flags = 0;  // PF_X | PF_W | PF_R
  };

  // Opens the file behind `mapping` (the file it really maps, see
  // proc/mapped_file.h: its path when that is still the mapped inode, else
  // /proc/PID/map_files; or its vDSO image). kNotFound when there is no
  // file, kDataLoss when it is not a usable ELF, kFailedPrecondition when
  // the mapped file cannot be read (replaced, deleted, not a regular file,
  // map_files refused) or mapping.build_id is set and differs.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ElfModule>> Open(const Mapping& mapping);

  ~ElfModule();
  ElfModule(const ElfModule&) = delete;
  ElfModule& operator=(const ElfModule&) = delete;

  // Run-time address minus ELF vaddr for this mapping of the module, or
  // nullopt when no PT_LOAD holds the mapping's file offset (pgoff). The
  // mapping may start at a segment's first page or anywhere inside it.
  std::optional<uint64_t> BiasFor(const Mapping& mapping) const;

  // Copies `size` bytes at ELF vaddr from the file contents. False when the
  // range is not file-backed (bss, outside every PT_LOAD).
  bool ReadVaddr(uint64_t vaddr, void* out, size_t size) const;

  const std::string& build_id() const { return build_id_; }  // raw bytes, may be empty
  const std::string& path() const { return path_; }          // as the target saw it
  Elf* elf() const { return elf_; }
  Dwarf* dwarf() const { return dwarf_; }  // the file's own DWARF, or null
  const std::vector<Segment>& segments() const { return segments_; }
  // Lowest and highest (exclusive) vaddr of the executable segments.
  uint64_t text_begin() const { return text_begin_; }
  uint64_t text_end() const { return text_end_; }
  // PT_GNU_EH_FRAME, or 0 when the module has none.
  uint64_t eh_frame_hdr_vaddr() const { return eh_frame_hdr_vaddr_; }
  // The binary-search table of .eh_frame_hdr when it has the encoding
  // libunwind can search (datarel|sdata4): its vaddr and entry count; 0 if not.
  uint64_t eh_table_vaddr() const { return eh_table_vaddr_; }
  uint64_t eh_fde_count() const { return eh_fde_count_; }

 private:
  ElfModule() = default;
  absl::Status Init(const Mapping& mapping);
  // Maps the opened file as the module's image (replacing an earlier one).
  absl::Status MapFile(proc::MappedFile file);
  std::string ReadBuildIdOfImage();
  void ParseEhFrameHdr();

  std::string path_;
  std::string build_id_;
  MmapRegion file_map_;
  bool via_map_files_ = false;
  std::shared_ptr<const std::vector<uint8_t>> image_;  // the vDSO
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  Elf* elf_ = nullptr;
  Dwarf* dwarf_ = nullptr;       // .debug_frame, and the symbolizer's inline chains
  std::vector<Segment> segments_;
  uint64_t text_begin_ = 0;
  uint64_t text_end_ = 0;
  uint64_t eh_frame_hdr_vaddr_ = 0;
  uint64_t eh_table_vaddr_ = 0;
  uint64_t eh_fde_count_ = 0;
};

// Reads the NT_GNU_BUILD_ID note of an ELF, or "" when there is none.
std::string ReadBuildId(Elf* elf);

// Hex form of a raw build-id, as /usr/lib/debug/.build-id uses it.
std::string BuildIdHex(const std::string& raw);

}  // namespace stackfire::elf

#endif  // STACKFIRE_SRC_ELF_ELF_MODULE_H_
