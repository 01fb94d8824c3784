#include "src/unwind/unwinders.h"

#include "src/unwind/libunwind_unwinder.h"
#include "src/unwind/table_unwinder.h"
#include "src/unwind/verifying_unwinder.h"

namespace stackfire::unwind {

std::unique_ptr<Unwinder> CreateUnwinder(UnwinderKind kind, elf::ModuleCache* modules) {
  switch (kind) {
    case UnwinderKind::kLibunwind:
      return std::make_unique<LibunwindUnwinder>(modules);
    case UnwinderKind::kVerify:
      return std::make_unique<VerifyingUnwinder>(modules);
    case UnwinderKind::kTable:
    default:
      return std::make_unique<TableUnwinder>(/*allow_fallback=*/true, modules);
  }
}

std::optional<UnwinderKind> ParseUnwinderKind(std::string_view name) {
  if (name == "table") return UnwinderKind::kTable;
  if (name == "libunwind") return UnwinderKind::kLibunwind;
  if (name == "verify") return UnwinderKind::kVerify;
  return std::nullopt;
}

const UnwinderCheck* CheckOf(const Unwinder* unwinder) {
  const auto* verifying = dynamic_cast<const VerifyingUnwinder*>(unwinder);
  return verifying != nullptr ? &verifying->check() : nullptr;
}

UnwindOutcome FramePointerPcs(const RawSample& sample, std::vector<uint64_t>* pcs) {
  pcs->clear();
  for (uint64_t ip : sample.user_ips) {
    if (ip == 0 || ip >= (uint64_t{1} << 63)) continue;
    pcs->push_back(ip);
  }
  return pcs->empty() ? UnwindOutcome::kFailed : UnwindOutcome::kComplete;
}

}  // namespace stackfire::unwind
