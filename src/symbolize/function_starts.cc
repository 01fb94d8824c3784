#include "src/symbolize/function_starts.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace stackfire::symbolize {

FunctionStarts::FunctionStarts(const elf::ElfModule& module)
    : module_(module), eh_cfi_(dwarf_getcfi_elf(module.elf())) {}

FunctionStarts::~FunctionStarts() {
  if (eh_cfi_ != nullptr) dwarf_cfi_end(eh_cfi_);
}

std::optional<uint64_t> FunctionStarts::Find(uint64_t vaddr) const {
  const uint64_t hdr = module_.eh_frame_hdr_vaddr();
  const uint64_t table = module_.eh_table_vaddr();
  if (hdr == 0 || table == 0 || eh_cfi_ == nullptr) return std::nullopt;
  // The table is the file's claim: a corrupt count only makes reads fail.
  uint64_t lo = 0, hi = module_.eh_fde_count();
  std::optional<uint64_t> best;
  // Entries are (initial location, FDE address), each an sdata4 relative to
  // the start of .eh_frame_hdr, sorted by initial location.
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    int32_t entry[2];
    if (!module_.ReadVaddr(table + mid * 8, entry, sizeof entry)) return std::nullopt;
    const uint64_t start = hdr + static_cast<int64_t>(entry[0]);
    if (start <= vaddr) {
      best = start;
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (!best) return std::nullopt;
  // Between two functions may lie code that no FDE covers (assembly without
  // CFI): it is not the previous function's.
  Dwarf_Frame* frame = nullptr;
  if (dwarf_cfi_addrframe(eh_cfi_, vaddr, &frame) != 0) return std::nullopt;
  std::free(frame);
  return best;
}

std::string AddressFrameName(std::string_view path, uint64_t start) {
  const size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  return absl::StrCat(absl::string_view(path.data(), path.size()), "+0x", absl::Hex(start));
}

}  // namespace stackfire::symbolize
