#include "src/symbolize/mini_debuginfo.h"

#include <gelf.h>
#include <lzma.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace stackfire::symbolize {

absl::StatusOr<std::string> DecompressXz(std::string_view in, size_t max_out) {
  lzma_stream strm = LZMA_STREAM_INIT;
  // xz's dictionary for -9 is 64 MiB; the decoder needs about that much.
  constexpr uint64_t kMemLimit = uint64_t{128} << 20;
  if (lzma_stream_decoder(&strm, kMemLimit, LZMA_CONCATENATED) != LZMA_OK) {
    return absl::ResourceExhaustedError("cannot start the xz decoder");
  }
  struct End {
    lzma_stream* s;
    ~End() { lzma_end(s); }
  } end{&strm};
  std::string out;
  out.resize(std::min<size_t>(max_out + 1, std::max<size_t>(in.size() * 4, 4096)));
  strm.next_in = reinterpret_cast<const uint8_t*>(in.data());
  strm.avail_in = in.size();
  size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      if (out.size() > max_out) break;
      out.resize(std::min(max_out + 1, out.size() * 2));
    }
    strm.next_out = reinterpret_cast<uint8_t*>(out.data() + used);
    strm.avail_out = out.size() - used;
    const lzma_ret ret = lzma_code(&strm, LZMA_FINISH);
    used = out.size() - strm.avail_out;
    if (ret == LZMA_STREAM_END) break;
    if (ret == LZMA_OK) continue;
    if (ret == LZMA_BUF_ERROR && strm.avail_in == 0 && strm.avail_out > 0) {
      return absl::DataLossError("the xz data is cut short");
    }
    if (ret == LZMA_MEMLIMIT_ERROR) {
      return absl::ResourceExhaustedError("the xz data needs too much memory to decompress");
    }
    return absl::DataLossError(absl::StrCat("not valid xz data (liblzma error ", ret, ")"));
  }
  if (used > max_out) {
    return absl::ResourceExhaustedError(
        absl::StrCat("decompresses to more than ", max_out, " bytes"));
  }
  out.resize(used);
  return out;
}

std::string_view SectionData(Elf* elf, std::string_view name) {
  size_t shstrndx = 0;
  if (elf == nullptr || elf_getshdrstrndx(elf, &shstrndx) != 0) return {};
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type == SHT_NOBITS) continue;
    const char* n = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (n == nullptr || name != n) continue;
    Elf_Data* data = elf_rawdata(scn, nullptr);
    if (data == nullptr || data->d_buf == nullptr) return {};
    return std::string_view(static_cast<const char*>(data->d_buf), data->d_size);
  }
  return {};
}

std::unique_ptr<MiniDebugInfo> MiniDebugInfo::FromImage(std::string image, std::string* error) {
  std::unique_ptr<MiniDebugInfo> m(new MiniDebugInfo());
  m->image_ = std::move(image);
  elf_version(EV_CURRENT);
  m->elf_ = elf_memory(m->image_.data(), m->image_.size());
  if (m->elf_ == nullptr || elf_kind(m->elf_) != ELF_K_ELF) {
    *error = ".gnu_debugdata does not hold an ELF file";
    return nullptr;
  }
  return m;
}

std::unique_ptr<MiniDebugInfo> MiniDebugInfo::Read(Elf* elf, std::string* error) {
  error->clear();
  const std::string_view xz = SectionData(elf, ".gnu_debugdata");
  if (xz.empty()) return nullptr;
  absl::StatusOr<std::string> image = DecompressXz(xz, kMaxMiniDebugInfoBytes);
  if (!image.ok()) {
    *error = absl::StrCat(".gnu_debugdata (MiniDebugInfo): ", image.status().message());
    return nullptr;
  }
  return FromImage(*std::move(image), error);
}

MiniDebugInfo::~MiniDebugInfo() {
  if (elf_ != nullptr) elf_end(elf_);
}

}  // namespace stackfire::symbolize
