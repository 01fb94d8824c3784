#include "src/symbolize/function_starts.h"

#include "absl/strings/str_cat.h"

namespace stackfire::symbolize {

std::optional<uint64_t> FunctionStart(unwind::ElfModule& module, uint64_t vaddr) {
  const uint64_t hdr = module.eh_frame_hdr_vaddr();
  const uint64_t table = module.eh_table_vaddr();
  if (hdr == 0 || table == 0) return std::nullopt;
  // The table is the file's claim: a corrupt count only makes reads fail.
  uint64_t lo = 0, hi = module.eh_fde_count();
  std::optional<uint64_t> best;
  // Entries are (initial location, FDE address), each an sdata4 relative to
  // the start of .eh_frame_hdr, sorted by initial location.
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    int32_t entry[2];
    if (!module.ReadVaddr(table + mid * 8, entry, sizeof entry)) return std::nullopt;
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
  if (module.cfi_table().Find(vaddr).kind == unwind::CfiRow::kNoCfi) return std::nullopt;
  return best;
}

std::string AddressFrameName(std::string_view path, uint64_t start) {
  const size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  return absl::StrCat(absl::string_view(path.data(), path.size()), "+0x", absl::Hex(start));
}

}  // namespace stackfire::symbolize
