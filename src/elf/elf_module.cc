#include "src/elf/elf_module.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/proc/mapped_file.h"
#include "stackfire/status_macros.h"

namespace stackfire::elf {
namespace {

constexpr uint64_t kPageMask = ~uint64_t{0xfff};
// The largest file mapped for its ELF headers, symbols and CFI: the biggest
// shared objects (libLLVM, libxul with DWARF) are a few GiB.
constexpr uint64_t kMaxElfBytes = uint64_t{16} << 30;

}  // namespace

std::string ReadBuildId(Elf* elf) {
  const void* id = nullptr;
  ssize_t len = dwelf_elf_gnu_build_id(elf, &id);
  if (len <= 0 || id == nullptr) return "";
  return std::string(static_cast<const char*>(id), static_cast<size_t>(len));
}

std::string BuildIdHex(const std::string& raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ElfModule>> ElfModule::Open(const Mapping& mapping) {
  std::unique_ptr<ElfModule> module(new ElfModule());
  RETURN_IF_ERROR(module->Init(mapping));
  return module;
}

absl::Status ElfModule::MapFile(proc::MappedFile file) {
  if (file.st.st_size <= 0) return absl::DataLossError(file.source + " is empty");
  if (static_cast<uint64_t>(file.st.st_size) > kMaxElfBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(file.source, " is larger than ",
                                                     kMaxElfBytes >> 30, " GiB; not read"));
  }
  const size_t size = static_cast<size_t>(file.st.st_size);
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd.get(), 0);
  if (p == MAP_FAILED) return absl::ErrnoToStatus(errno, "mmap " + file.source);
  if (elf_ != nullptr) {
    elf_end(elf_);
    elf_ = nullptr;
  }
  file_map_ = MmapRegion(p, size);
  data_ = static_cast<const uint8_t*>(p);
  size_ = size;
  via_map_files_ = file.via_map_files;
  return absl::OkStatus();
}

std::string ElfModule::ReadBuildIdOfImage() {
  Elf* elf = elf_memory(reinterpret_cast<char*>(const_cast<uint8_t*>(data_)), size_);
  if (elf == nullptr) return "";
  std::string id = elf_kind(elf) == ELF_K_ELF ? ReadBuildId(elf) : "";
  elf_end(elf);
  return id;
}

ElfModule::~ElfModule() {
  if (dwarf_ != nullptr) dwarf_end(dwarf_);
  if (elf_ != nullptr) elf_end(elf_);
}

absl::Status ElfModule::Init(const Mapping& mapping) {
  elf_version(EV_CURRENT);
  path_ = mapping.path;
  if (mapping.image != nullptr) {
    image_ = mapping.image;
    data_ = image_->data();
    size_ = image_->size();
  } else {
    absl::StatusOr<proc::MappedFile> file = proc::OpenMappedFile(mapping);
    if (!file.ok()) return file.status();
    RETURN_IF_ERROR(MapFile(*std::move(file)));
    // A MMAP2 record's build-id is the mapped file's: a path that now holds
    // another file is read again through map_files.
    if (!mapping.build_id.empty() && !via_map_files_ &&
        ReadBuildIdOfImage() != mapping.build_id) {
      file = proc::OpenMappedFile(mapping, proc::MappedFileMode::kMapFilesOnly);
      if (!file.ok()) return file.status();
      RETURN_IF_ERROR(MapFile(*std::move(file)));
    }
  }
  // libelf only reads through this pointer (ELF_C_READ_MMAP semantics).
  elf_ = elf_memory(reinterpret_cast<char*>(const_cast<uint8_t*>(data_)), size_);
  if (elf_ == nullptr || elf_kind(elf_) != ELF_K_ELF) {
    return absl::DataLossError(absl::StrCat(mapping.path, ": not an ELF file"));
  }
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf_, &ehdr) == nullptr || ehdr.e_machine != EM_X86_64) {
    return absl::DataLossError(absl::StrCat(mapping.path, ": not an x86-64 ELF file"));
  }
  build_id_ = ReadBuildId(elf_);
  if (!mapping.build_id.empty() && mapping.build_id != build_id_) {
    return absl::FailedPreconditionError(absl::StrCat(
        mapping.path, ": build-id ", BuildIdHex(build_id_), " differs from the recorded ",
        BuildIdHex(mapping.build_id), " (the file was replaced)"));
  }
  size_t phnum = 0;
  if (elf_getphdrnum(elf_, &phnum) != 0) {
    return absl::DataLossError(absl::StrCat(mapping.path, ": no program headers"));
  }
  text_begin_ = UINT64_MAX;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf_, static_cast<int>(i), &ph) == nullptr) continue;
    if (ph.p_type == PT_GNU_EH_FRAME) eh_frame_hdr_vaddr_ = ph.p_vaddr;
    if (ph.p_type != PT_LOAD) continue;
    if (ph.p_offset > size_ || ph.p_filesz > size_ - ph.p_offset) {
      return absl::DataLossError(absl::StrCat(mapping.path, ": PT_LOAD beyond end of file"));
    }
    segments_.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_flags});
    if (ph.p_flags & PF_X) {
      text_begin_ = std::min<uint64_t>(text_begin_, ph.p_vaddr);
      text_end_ = std::max<uint64_t>(text_end_, ph.p_vaddr + ph.p_memsz);
    }
  }
  if (segments_.empty()) return absl::DataLossError(absl::StrCat(mapping.path, ": no PT_LOAD"));
  if (text_begin_ == UINT64_MAX) text_begin_ = text_end_ = 0;

  ParseEhFrameHdr();
  dwarf_ = dwarf_begin_elf(elf_, DWARF_C_READ, nullptr);
  return absl::OkStatus();
}

void ElfModule::ParseEhFrameHdr() {
  // version, eh_frame_ptr_enc, fde_count_enc, table_enc, then the two values.
  uint8_t head[4];
  if (eh_frame_hdr_vaddr_ == 0 || !ReadVaddr(eh_frame_hdr_vaddr_, head, sizeof head)) return;
  constexpr uint8_t kDatarelSdata4 = 0x3b;
  auto size_of = [](uint8_t enc) -> int {
    switch (enc & 0x0f) {
      case 0x02: case 0x0a: return 2;  // udata2, sdata2
      case 0x03: case 0x0b: return 4;  // udata4, sdata4
      case 0x04: case 0x0c: return 8;  // udata8, sdata8
      default: return -1;
    }
  };
  const int ptr_size = size_of(head[1]);
  const int count_size = size_of(head[2]);
  if (head[0] != 1 || head[3] != kDatarelSdata4 || ptr_size < 0 || count_size < 0) return;
  uint64_t count = 0;
  if (!ReadVaddr(eh_frame_hdr_vaddr_ + 4 + ptr_size, &count, count_size)) return;
  eh_fde_count_ = count;
  eh_table_vaddr_ = eh_frame_hdr_vaddr_ + 4 + ptr_size + count_size;
}

std::optional<uint64_t> ElfModule::BiasFor(const Mapping& mapping) const {
  // A mapping usually starts where a PT_LOAD does, but it may start anywhere
  // inside one: V8 maps its embedded builtins again from the middle of
  // node's text, and mprotect splits a segment into several mappings. Within
  // a segment, file offset and vaddr move together (they are congruent
  // modulo the page size), so vaddr(start) = pgoff + (p_vaddr - p_offset).
  // A segment that starts exactly at pgoff wins; then one whose flags agree
  // (two segments can share the page at their boundary).
  const bool want_exec = mapping.executable();
  std::optional<uint64_t> best;
  int best_rank = -1;
  for (const Segment& s : segments_) {
    const uint64_t first_page = s.offset & kPageMask;
    if (mapping.pgoff < first_page || mapping.pgoff >= s.offset + s.filesz) continue;
    const int rank = (first_page == mapping.pgoff ? 2 : 0) +
                     (((s.flags & PF_X) != 0) == want_exec ? 1 : 0);
    if (rank <= best_rank) continue;
    best_rank = rank;
    best = mapping.start - (mapping.pgoff + (s.vaddr - s.offset));
  }
  return best;
}

bool ElfModule::ReadVaddr(uint64_t vaddr, void* out, size_t size) const {
  for (const Segment& s : segments_) {
    if (vaddr < s.vaddr || vaddr - s.vaddr > s.filesz || size > s.filesz - (vaddr - s.vaddr)) {
      continue;
    }
    std::memcpy(out, data_ + s.offset + (vaddr - s.vaddr), size);
    return true;
  }
  return false;
}

}  // namespace stackfire::elf
