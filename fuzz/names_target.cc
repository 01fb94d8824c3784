// The names target: the parsers that name code from files a target process
// controls. The first byte picks one (its value mod 3, so the seeds in
// testdata/names-seeds/ start with a readable '0', '1' or '2'):
//   0: a perf map (TextSymbols::ParsePerfMap) and, on the same text, the
//      NSpid line of /proc/PID/status (proc::ParseInnermostPid);
//   1: an .xz stream as .gnu_debugdata holds it (DecompressXz, bounded),
//      then the ELF inside it and its .symtab (MiniDebugInfo, SymbolTable);
//   2: an ELF image as a mapped module (ElfModule over memory, as the vDSO
//      is read): function starts from .eh_frame_hdr (FunctionStart), load
//      biases (BiasFor), symbol tables and its own .gnu_debugdata.
// Checked, beyond "no crash": a perf map lookup hits only an entry that
// covers the address, with a name from the text; a decompressed size never
// passes its bound; a symbol covers the address it is found for; a
// function start is at or below its address; a bias maps the mapping's
// start to an address of the segment that holds its file offset.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/targets.h"
#include "src/proc/pid_namespace.h"
#include "src/symbolize/function_starts.h"
#include "src/symbolize/mini_debuginfo.h"
#include "src/symbolize/symbol_table.h"
#include "src/symbolize/text_symbols.h"
#include "src/elf/elf_module.h"

namespace stackfire::fuzz {
namespace {

constexpr size_t kMaxOut = 1 << 20;

void CheckSymbols(const symbolize::SymbolTable& table, uint64_t addr) {
  const symbolize::SymbolTable::Symbol* s = table.Lookup(addr);
  if (s == nullptr) return;
  FUZZ_CHECK(s->addr <= addr, absl::StrCat("symbol at ", s->addr, " found for ", addr));
  FUZZ_CHECK(s->name != nullptr && s->name[0] != '\0', "symbol without a name");
}

void FuzzPerfMap(std::string_view text) {
  const symbolize::TextSymbols map = symbolize::TextSymbols::ParsePerfMap(text);
  // Probe the first addresses the text spells, and their neighbours.
  size_t at = 0;
  for (int probes = 0; probes < 64 && at < text.size(); ++probes) {
    const size_t nl = text.find('\n', at);
    std::string_view line = text.substr(at, nl == std::string_view::npos ? nl : nl - at);
    at = nl == std::string_view::npos ? text.size() : nl + 1;
    uint64_t addr = 0;
    for (char c : line.substr(0, 16)) {
      const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) break;
      addr = addr * 16 + static_cast<uint64_t>(v);
    }
    for (uint64_t a : {addr, addr + 1, addr - 1, addr + 0x1000}) {
      const std::string* name = map.Lookup(a);
      if (name == nullptr) continue;
      FUZZ_CHECK(!name->empty(), "empty JIT name");
      FUZZ_CHECK(text.find(*name) != std::string_view::npos, "a name not in the map: " + *name);
    }
  }
  if (std::optional<int> pid = proc::ParseInnermostPid(text)) {
    FUZZ_CHECK(*pid > 0, absl::StrCat("NSpid gave ", *pid));
  }
}

void FuzzMiniDebugInfo(std::string_view xz) {
  absl::StatusOr<std::string> image = symbolize::DecompressXz(xz, kMaxOut);
  if (!image.ok()) return;
  FUZZ_CHECK(image->size() <= kMaxOut, absl::StrCat("decompressed ", image->size(), " bytes"));
  std::string error;
  std::unique_ptr<symbolize::MiniDebugInfo> mini =
      symbolize::MiniDebugInfo::FromImage(*std::move(image), &error);
  if (mini == nullptr) return;
  const symbolize::SymbolTable table = symbolize::SymbolTable::FromElf(mini->elf(), SHT_SYMTAB);
  for (uint64_t a : {uint64_t{0}, uint64_t{0x1000}, uint64_t{0x1130}, uint64_t{0x401000}}) {
    CheckSymbols(table, a);
  }
}

void FuzzElfModule(const uint8_t* data, size_t size) {
  Mapping m;
  m.path = "[fuzz]";
  m.image = std::make_shared<const std::vector<uint8_t>>(data, data + size);
  absl::StatusOr<std::unique_ptr<elf::ElfModule>> opened = elf::ElfModule::Open(m);
  if (!opened.ok()) return;
  elf::ElfModule& module = **opened;
  std::vector<uint64_t> probes;
  for (const elf::ElfModule::Segment& s : module.segments()) {
    probes.insert(probes.end(), {s.vaddr, s.vaddr + s.filesz / 2, s.vaddr + s.memsz - 1});
    // A mapping at the segment's first page, and one a page inside it.
    for (uint64_t pgoff : {s.offset & ~uint64_t{0xfff}, (s.offset & ~uint64_t{0xfff}) + 0x1000}) {
      m.pgoff = pgoff;
      m.start = 0x7f0000000000;
      m.end = m.start + 0x1000;
      m.prot = 5;
      const std::optional<uint64_t> bias = module.BiasFor(m);
      if (!bias) continue;
      const uint64_t vaddr = m.start - *bias;
      bool inside = false;
      for (const elf::ElfModule::Segment& t : module.segments()) {
        inside |= pgoff >= (t.offset & ~uint64_t{0xfff}) && pgoff < t.offset + t.filesz &&
                  vaddr == pgoff + (t.vaddr - t.offset);
      }
      FUZZ_CHECK(inside, absl::StrCat("bias for pgoff ", pgoff, " maps to vaddr ", vaddr,
                                      " outside the segment that holds it"));
    }
  }
  if (module.eh_frame_hdr_vaddr() != 0) {
    probes.insert(probes.end(),
                  {module.eh_frame_hdr_vaddr(), module.text_begin(), module.text_begin() + 0x40});
  }
  const symbolize::FunctionStarts starts(module);
  for (size_t i = 0; i < probes.size() && i < 48; ++i) {
    const uint64_t a = probes[i];
    if (std::optional<uint64_t> start = starts.Find(a)) {
      FUZZ_CHECK(*start <= a, absl::StrCat("function start ", *start, " above pc ", a));
    }
  }
  std::string error;
  std::unique_ptr<symbolize::MiniDebugInfo> mini =
      symbolize::MiniDebugInfo::Read(module.elf(), &error);
  const symbolize::SymbolTable table =
      symbolize::SymbolTable::FromElfs({{module.elf(), SHT_SYMTAB},
                                        {module.elf(), SHT_DYNSYM},
                                        {mini != nullptr ? mini->elf() : nullptr, SHT_SYMTAB}});
  for (size_t i = 0; i < probes.size() && i < 48; ++i) CheckSymbols(table, probes[i]);
}

}  // namespace

void FuzzNames(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const int mode = data[0] % 3;
  ++data;
  --size;
  switch (mode) {
    case 0:
      FuzzPerfMap(FuzzText(data, size));
      break;
    case 1:
      FuzzMiniDebugInfo(FuzzText(data, size));
      break;
    default:
      FuzzElfModule(data, size);
      break;
  }
}

}  // namespace stackfire::fuzz
