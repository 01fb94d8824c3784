#include "src/unwind/libunwind_unwinder.h"

#include <libunwind.h>

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "src/unwind/stack_view.h"

extern "C" int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
                                                  unw_dyn_info_t* di, unw_proc_info_t* pi,
                                                  int need_unwind_info, void* arg);

namespace stackfire::unwind {

namespace {
constexpr int kMaxFrames = 1024;
constexpr size_t kMaxAddressSpaces = 64;
}  // namespace

struct LibunwindUnwinder::Context {
  const RawSample* sample = nullptr;
  const ProcessMaps* maps = nullptr;
  elf::ModuleCache* modules = nullptr;
  StackView stack;
  bool read_past_copy = false;
  // Modules that find_proc_info resolved, so that reads of their
  // .eh_frame_hdr and .eh_frame work even when the sampler did not record
  // the read-only mapping that holds them. Kept per pid for as long as that
  // pid's address space (and so libunwind's cache): a cached frame state can
  // point into .eh_frame (a CFA expression) without find_proc_info being
  // called again for that sample.
  struct Recent {
    uint64_t lo, hi;
    elf::ModuleRef ref;
  };
  absl::flat_hash_map<uint32_t, std::vector<Recent>> recent_by_pid;
  std::vector<Recent>* recent = nullptr;  // recent_by_pid[sample->pid]
};

namespace {

using Context = LibunwindUnwinder::Context;

bool ReadModuleMemory(Context* ctx, unw_word_t addr, unw_word_t* out) {
  for (const Context::Recent& r : *ctx->recent) {
    if (addr >= r.lo && addr < r.hi && r.ref.module->ReadVaddr(addr - r.ref.bias, out, 8)) {
      return true;
    }
  }
  const Mapping* m = ctx->maps->Find(addr);
  if (m == nullptr) return false;
  const elf::ModuleRef* ref = ctx->modules->Lookup(*m);
  return ref->module != nullptr && ref->module->ReadVaddr(addr - ref->bias, out, 8);
}

int FindProcInfo(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t* pi, int need_unwind_info,
                 void* arg) {
  auto* ctx = static_cast<Context*>(arg);
  const Mapping* m = ctx->maps->Find(ip);
  if (m == nullptr) return -UNW_ENOINFO;
  const elf::ModuleRef* ref = ctx->modules->Lookup(*m);
  const elf::ElfModule* mod = ref->module;
  if (mod == nullptr || mod->eh_table_vaddr() == 0) return -UNW_ENOINFO;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const elf::ElfModule::Segment& s : mod->segments()) {
    lo = std::min(lo, s.vaddr);
    hi = std::max(hi, s.vaddr + s.filesz);
  }
  bool known = false;
  for (const Context::Recent& r : *ctx->recent) {
    known |= r.ref.module == mod && r.ref.bias == ref->bias;
  }
  if (!known) ctx->recent->push_back({lo + ref->bias, hi + ref->bias, *ref});

  unw_dyn_info_t di;
  std::memset(&di, 0, sizeof di);
  di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  di.start_ip = mod->text_begin() + ref->bias;
  di.end_ip = mod->text_end() + ref->bias;
  di.u.rti.segbase = mod->eh_frame_hdr_vaddr() + ref->bias;
  di.u.rti.table_data = mod->eh_table_vaddr() + ref->bias;
  // Counted in unw_word_t units; one entry is two int32, i.e. one word.
  di.u.rti.table_len = mod->eh_fde_count();
  return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

void PutUnwindInfo(unw_addr_space_t, unw_proc_info_t*, void*) {}

int GetDynInfoListAddr(unw_addr_space_t, unw_word_t*, void*) { return -UNW_ENOINFO; }

int AccessMem(unw_addr_space_t, unw_word_t addr, unw_word_t* valp, int write, void* arg) {
  if (write) return -UNW_EINVAL;
  auto* ctx = static_cast<Context*>(arg);
  if (ctx->stack.Read64(addr, valp)) return 0;
  if (ReadModuleMemory(ctx, addr, valp)) return 0;
  if (ctx->stack.PastEnd(addr)) ctx->read_past_copy = true;
  *valp = 0;
  return -UNW_EINVAL;
}

int AccessReg(unw_addr_space_t, unw_regnum_t reg, unw_word_t* valp, int write, void* arg) {
  if (write) return -UNW_EINVAL;
  auto* ctx = static_cast<Context*>(arg);
  // libunwind's x86-64 numbering is the DWARF one for rax..r15 and rip.
  if (reg < 0 || reg >= kDwarfRegCount) return -UNW_EBADREG;
  *valp = ctx->sample->regs[static_cast<size_t>(reg)];
  return 0;
}

int AccessFpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) {
  return -UNW_EINVAL;
}

int Resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

int GetProcName(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*) {
  return -UNW_EINVAL;
}

unw_accessors_t kAccessors = {
    FindProcInfo, PutUnwindInfo, GetDynInfoListAddr, AccessMem,
    AccessReg,    AccessFpreg,   Resume,             GetProcName,
};

}  // namespace

LibunwindUnwinder::LibunwindUnwinder(elf::ModuleCache* modules)
    : owned_modules_(modules == nullptr ? std::make_unique<elf::ModuleCache>() : nullptr),
      modules_(modules == nullptr ? owned_modules_.get() : modules),
      context_(std::make_unique<Context>()) {}

LibunwindUnwinder::~LibunwindUnwinder() {
  for (auto& [pid, space] : spaces_) unw_destroy_addr_space(static_cast<unw_addr_space_t>(space.as));
}

namespace {

uint64_t Fingerprint(const ProcessMaps& maps) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (const Mapping& m : maps.mappings()) {
    mix(m.start);
    mix(m.end);
    mix(m.pgoff);
    mix(m.inode);
    // MMAP2 records with a build-id carry no inode (see elf/module_cache.h).
    uint64_t id = 0;
    std::memcpy(&id, m.build_id.data(), std::min(m.build_id.size(), sizeof id));
    mix(id);
  }
  return h;
}

}  // namespace

void* LibunwindUnwinder::AddressSpaceFor(uint32_t pid, const ProcessMaps& maps) {
  const uint64_t fingerprint = Fingerprint(maps);
  auto it = spaces_.find(pid);
  if (it != spaces_.end()) {
    if (it->second.fingerprint != fingerprint) {
      unw_flush_cache(static_cast<unw_addr_space_t>(it->second.as), 0, 0);
      it->second.fingerprint = fingerprint;
      context_->recent_by_pid.erase(pid);
    }
    return it->second.as;
  }
  if (spaces_.size() >= kMaxAddressSpaces) {
    for (auto& [p, space] : spaces_) unw_destroy_addr_space(static_cast<unw_addr_space_t>(space.as));
    spaces_.clear();
    context_->recent_by_pid.clear();
  }
  unw_addr_space_t as = unw_create_addr_space(&kAccessors, 0);
  if (as == nullptr) return nullptr;
  unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
  spaces_.emplace(pid, Space{as, fingerprint});
  return as;
}

UnwindOutcome LibunwindUnwinder::Unwind(const RawSample& sample, const ProcessMaps& maps,
                                        std::vector<uint64_t>* pcs) {
  pcs->clear();
  if (!sample.has_user_regs) return UnwindOutcome::kFailed;
  auto as = static_cast<unw_addr_space_t>(AddressSpaceFor(sample.pid, maps));
  if (as == nullptr) return UnwindOutcome::kFailed;
  Context& ctx = *context_;
  ctx.sample = &sample;
  ctx.maps = &maps;
  ctx.modules = modules_;
  ctx.stack = StackView(sample);
  ctx.read_past_copy = false;
  ctx.recent = &ctx.recent_by_pid[sample.pid];

  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, as, &ctx) < 0) return UnwindOutcome::kFailed;
  for (int depth = 0; depth < kMaxFrames; ++depth) {
    unw_word_t ip = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0) return UnwindOutcome::kFailed;
    pcs->push_back(ip);
    const int r = unw_step(&cursor);
    if (r == 0) return UnwindOutcome::kComplete;
    if (r < 0) return ctx.read_past_copy ? UnwindOutcome::kTruncated : UnwindOutcome::kFailed;
  }
  return UnwindOutcome::kFailed;
}

}  // namespace stackfire::unwind
