// The table unwinder against libunwind on real samples of a -O2
// -fomit-frame-pointer target captured with ptrace (sample_capture.h), then
// unwound offline after the target is dead.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gelf.h>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/symbol_table.h"
#include "src/unwind/libunwind_unwinder.h"
#include "src/unwind/table_unwinder.h"
#include "src/unwind/unwinders.h"
#include "src/unwind/verifying_unwinder.h"
#include "tests/unwind/sample_capture.h"

namespace stackfire::unwind {
namespace {

using ::stackfire::testing::Capture;
using ::stackfire::testing::CaptureOptions;
using ::stackfire::testing::CaptureSamples;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// /proc/PID/maps lines for `path` (an ELF) loaded at `base`, one per PT_LOAD,
// as ld.so maps them: the synthetic samples below then find every function,
// however big the sanitizer or optimizer made the file.
std::string LoadedAt(const std::string& path, Elf* elf, uint64_t base) {
  std::string lines;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) != 0) return lines;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) continue;
    const uint64_t start = base + (ph.p_vaddr & ~uint64_t{0xfff});
    const uint64_t end = (base + ph.p_vaddr + ph.p_memsz + 0xfff) & ~uint64_t{0xfff};
    lines += absl::StrFormat("%x-%x %c%c%cp %08x 00:00 1 %s\n", start, end,
                             ph.p_flags & PF_R ? 'r' : '-', ph.p_flags & PF_W ? 'w' : '-',
                             ph.p_flags & PF_X ? 'x' : '-', ph.p_offset & ~uint64_t{0xfff}, path);
  }
  return lines;
}

class UnwindTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string target = Env("UNWIND_TARGET");
    ASSERT_FALSE(target.empty()) << "UNWIND_TARGET is not set (run through meson test)";
    CaptureOptions options;
    options.samples = 400;
    auto c = CaptureSamples({target, "30"}, options);
    ASSERT_TRUE(c.ok()) << c.status();
    ::stackfire::testing::RemoveJitMap(*c);
    capture_ = new Capture(*std::move(c));
  }
  static void TearDownTestSuite() {
    delete capture_;
    capture_ = nullptr;
  }
  static Capture* capture_;
};

Capture* UnwindTest::capture_ = nullptr;

const char* Name(UnwindOutcome o) {
  switch (o) {
    case UnwindOutcome::kComplete: return "complete";
    case UnwindOutcome::kTruncated: return "truncated";
    case UnwindOutcome::kFailed: return "failed";
  }
  return "?";
}

TEST_F(UnwindTest, TableAndLibunwindGiveIdenticalPcs) {
  ASSERT_NE(capture_, nullptr);
  TableUnwinder table;
  LibunwindUnwinder libunwind;
  std::vector<uint64_t> a, b;
  int complete = 0, truncated = 0, jit_guesses = 0;
  for (size_t i = 0; i < capture_->samples.size(); ++i) {
    const RawSample& s = capture_->samples[i];
    UnwindOutcome oa = table.Unwind(s, capture_->maps, &a);
    UnwindOutcome ob = libunwind.Unwind(s, capture_->maps, &b);
    // JIT code has no CFI and both unwinders walk it by frame pointer, which
    // is a guess in a prologue or epilogue (rbp not yet set up, or already
    // popped); there their heuristics may differ or fail (seen under load:
    // leaf pc at function start + 1 and + 0xa). Everything with CFI must
    // agree exactly and never fail.
    const Mapping* leaf = capture_->maps.Find(s.regs[kRip]);
    const bool leaf_in_jit = leaf != nullptr && leaf->path.empty();
    if (leaf_in_jit && (oa == UnwindOutcome::kFailed || ob == UnwindOutcome::kFailed)) {
      ++jit_guesses;
      continue;
    }
    EXPECT_EQ(a, b) << "sample " << i;
    EXPECT_EQ(Name(oa), std::string(Name(ob))) << "sample " << i;
    EXPECT_NE(oa, UnwindOutcome::kFailed) << "sample " << i << " pc " << std::hex << s.regs[kRip];
    complete += oa == UnwindOutcome::kComplete;
    truncated += oa == UnwindOutcome::kTruncated;
  }
  std::printf("%zu samples: %d complete, %d truncated, %llu handed to libunwind, %llu signal "
              "frames, %llu JIT frames\n",
              capture_->samples.size(), complete, truncated,
              static_cast<unsigned long long>(table.stats().fallbacks),
              static_cast<unsigned long long>(table.stats().signal_frames),
              static_cast<unsigned long long>(table.stats().frame_pointer_frames));
  // Prologue and epilogue samples are a few instructions out of the JIT loop.
  EXPECT_LT(jit_guesses, static_cast<int>(capture_->samples.size() / 20)) << jit_guesses;
  // One phase in five runs under a frame with a CFA expression: those
  // samples, and only those, go to libunwind. Signal frames stay in the table.
  EXPECT_GT(table.stats().fallbacks, 0u);
  EXPECT_LT(table.stats().fallbacks, capture_->samples.size() / 2);
  EXPECT_GT(table.stats().signal_frames, 0u);
  // The JIT phase's frame has no file and no CFI, only a frame pointer.
  EXPECT_GT(table.stats().frame_pointer_frames, 0u);
  EXPECT_GT(complete, static_cast<int>(capture_->samples.size()) / 3);
  // The 64 KiB frame phase cannot fit in an 8 KiB copy.
  EXPECT_GT(truncated, 0);
}

TEST_F(UnwindTest, PureTableMatchesLibunwindWithoutFallback) {
  ASSERT_NE(capture_, nullptr);
  TableUnwinder table(/*allow_fallback=*/false);
  LibunwindUnwinder libunwind;
  std::vector<uint64_t> a, b;
  int pure = 0;
  for (size_t i = 0; i < capture_->samples.size(); ++i) {
    const RawSample& s = capture_->samples[i];
    UnwindOutcome oa = table.Unwind(s, capture_->maps, &a);
    libunwind.Unwind(s, capture_->maps, &b);
    if (oa == UnwindOutcome::kFailed) continue;  // needed the fallback
    ++pure;
    EXPECT_EQ(a, b) << "sample " << i;
  }
  EXPECT_GT(pure, static_cast<int>(capture_->samples.size()) / 2);
}

TEST_F(UnwindTest, StacksAreDeepAndEndInTheExecutable) {
  ASSERT_NE(capture_, nullptr);
  auto unwinder = CreateUnwinder(UnwinderKind::kTable);
  std::vector<uint64_t> pcs;
  const std::string target = Env("UNWIND_TARGET");
  int deep = 0;
  for (const RawSample& s : capture_->samples) {
    if (unwinder->Unwind(s, capture_->maps, &pcs) != UnwindOutcome::kComplete) continue;
    // The outermost frame is _start, in the target itself.
    const Mapping* m = capture_->maps.Find(pcs.back());
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->path, target);
    deep += pcs.size() >= 16;  // the Walker phase: 13 Descend frames + 3+
  }
  EXPECT_GT(deep, 0);
}

TEST_F(UnwindTest, TinyCopyIsTruncatedNotFailed) {
  ASSERT_NE(capture_, nullptr);
  for (UnwinderKind kind : {UnwinderKind::kTable, UnwinderKind::kLibunwind}) {
    auto unwinder = CreateUnwinder(kind);
    std::vector<uint64_t> full, cut;
    int checked = 0;
    for (const RawSample& s : capture_->samples) {
      if (unwinder->Unwind(s, capture_->maps, &full) != UnwindOutcome::kComplete) continue;
      RawSample t = ::stackfire::testing::TruncatedCopy(s, 64);
      UnwindOutcome o = unwinder->Unwind(t, capture_->maps, &cut);
      if (full.size() <= 3) continue;
      ++checked;
      EXPECT_EQ(Name(o), std::string("truncated"));
      ASSERT_LE(cut.size(), full.size());
      EXPECT_TRUE(std::equal(cut.begin(), cut.end(), full.begin()));
    }
    EXPECT_GT(checked, 10);
  }
}

TEST_F(UnwindTest, SharesModulesByBuildId) {
  ASSERT_NE(capture_, nullptr);
  TableUnwinder table;
  std::vector<uint64_t> pcs;
  for (const RawSample& s : capture_->samples) table.Unwind(s, capture_->maps, &pcs);
  // The executable and libc each have several mappings (r, r-x, r--, rw-)
  // but one ElfModule each.
  EXPECT_GE(table.modules().stats().files_opened, 2u);
  EXPECT_EQ(table.modules().stats().open_failures, 0u);
}

// Corrupt stacks (random bytes, random registers) must end in a bounded
// number of frames with a non-complete outcome, never a crash or a hang.
TEST_F(UnwindTest, GarbageStacksEndCleanly) {
  ASSERT_NE(capture_, nullptr);
  std::mt19937_64 rng(42);
  TableUnwinder table;
  LibunwindUnwinder libunwind;
  std::vector<uint64_t> pcs;
  for (size_t i = 0; i < capture_->samples.size() && i < 200; ++i) {
    RawSample s = ::stackfire::testing::TruncatedCopy(capture_->samples[i], 8192);
    // Keep a plausible leaf half of the time, so the walk gets going.
    if (i % 2 == 0) s.regs[kRip] = rng();
    s.regs[kRbp] = rng();
    for (size_t k = 0; k + 8 <= s.stack.size(); k += 8) {
      uint64_t w = rng();
      // Mix in pointers into the stack and into code, the worst case.
      if (w % 3 == 0) w = s.regs[kRsp] + (w % 8192);
      if (w % 3 == 1) w = capture_->samples[i].regs[kRip] + (w % 4096);
      std::memcpy(s.stack.data() + k, &w, 8);
    }
    for (Unwinder* u : {static_cast<Unwinder*>(&table), static_cast<Unwinder*>(&libunwind)}) {
      UnwindOutcome o = u->Unwind(s, capture_->maps, &pcs);
      EXPECT_LE(pcs.size(), 1024u);
      EXPECT_GE(pcs.size(), 1u);
      (void)o;
    }
  }
}

// The rows of known code in the workload binary.
TEST(CfiTable, ClassifiesKnownRows) {
  Mapping m;
  m.path = m.open_path = Env("UNWIND_TARGET");
  m.start = 0x1000;
  auto module = elf::ElfModule::Open(m);
  ASSERT_TRUE(module.ok()) << module.status();
  auto exe = symbolize::ElfFile::Open(m.path);
  ASSERT_NE(exe, nullptr);
  symbolize::SymbolTable syms = symbolize::SymbolTable::FromElf(exe->elf(), SHT_SYMTAB);
  auto addr_of = [&](const char* name) -> uint64_t {
    for (uint64_t a = 0; a < 0x100000; a += 1) {
      const auto* s = syms.Lookup(a);
      if (s != nullptr && std::string(s->name) == name) return a;
    }
    return 0;
  };
  CfiTable t(**module);
  const uint64_t leaf = addr_of("_Z12leaf_computem");
  ASSERT_NE(leaf, 0u);
  const CfiRow& entry = t.Find(leaf);
  EXPECT_EQ(entry.kind, CfiRow::kNormal);
  EXPECT_EQ(entry.cfa_reg, 7);
  EXPECT_EQ(entry.cfa_offset, 8);
  EXPECT_EQ(entry.ra_offset, -8);
  EXPECT_EQ(entry.rbp_rule, CfiRow::kRbpSame);
  const uint64_t realigned = addr_of("realigned_frame");
  ASSERT_NE(realigned, 0u);
  EXPECT_EQ(t.Find(realigned + 1).kind, CfiRow::kNormal);  // after push %rbx: rsp + 16
  EXPECT_EQ(t.Find(realigned + 1).cfa_offset, 16);
  EXPECT_EQ(t.Find(realigned + 8).kind, CfiRow::kFallback);  // CFA = rbx + 16
  EXPECT_EQ(t.Find(addr_of("_start")).kind, CfiRow::kOutermost);
  // Lookups are cached: the same row object answers again.
  const size_t rows = t.size();
  EXPECT_EQ(&t.Find(leaf), &t.Find(leaf + 1));
  EXPECT_EQ(t.size(), rows);
  EXPECT_EQ(t.Find(0x10).kind, CfiRow::kNoCfi);
}

TEST(CfiTable, RestoreStateRowsDoNotCoverEpilogue) {
  Mapping m;
  m.path = m.open_path = Env("UNWIND_TARGET");
  auto module = elf::ElfModule::Open(m);
  ASSERT_TRUE(module.ok()) << module.status();
  auto exe = symbolize::ElfFile::Open(m.path);
  ASSERT_NE(exe, nullptr);
  symbolize::SymbolTable syms = symbolize::SymbolTable::FromElf(exe->elf(), SHT_SYMTAB);
  uint64_t ret = 0, body = 0;
  for (uint64_t a = 0x1000; a < 0x100000 && (ret == 0 || body == 0); ++a) {
    const auto* s = syms.Lookup(a);
    if (s == nullptr || s->addr != a) continue;
    if (std::string(s->name) == "rs_epilogue_ret") ret = a;
    if (std::string(s->name) == "rs_body") body = a;
  }
  ASSERT_NE(ret, 0u);
  ASSERT_NE(body, 0u);
  CfiTable t(**module);
  // First the row after DW_CFA_restore_state (CFA = rsp + 32)...
  const CfiRow& after = t.Find(body + 1);
  EXPECT_EQ(after.cfa_offset, 32);
  EXPECT_GE(after.start, ret + 1);
  // ...then the epilogue before it: its own row, not the cached one.
  EXPECT_EQ(t.Find(ret).cfa_offset, 8);
  EXPECT_EQ(t.Find(ret - 1).cfa_offset, 16);  // after add $16 (pop %rbx pending)
}

// PLT entries have a CFA expression that depends on the pc; the table
// evaluates gcc/ld's standard rule itself. Synthetic samples at the two
// halves of the first PLT entry (before and after its push).
TEST(TableUnwinder, PltEntriesUseTheStandardRule) {
  const std::string path = Env("UNWIND_TARGET");
  auto exe = symbolize::ElfFile::Open(path);
  ASSERT_NE(exe, nullptr);
  uint64_t plt = 0, plt_size = 0;
  size_t shstrndx = 0;
  ASSERT_EQ(elf_getshdrstrndx(exe->elf(), &shstrndx), 0);
  for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(exe->elf(), scn)) != nullptr;) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    if (std::string(elf_strptr(exe->elf(), shstrndx, sh.sh_name)) == ".plt") {
      plt = sh.sh_addr;
      plt_size = sh.sh_size;
    }
  }
  ASSERT_NE(plt, 0u);
  ASSERT_GE(plt_size, 32u);
  const uint64_t base = 0x555555554000;
  auto maps = ProcessMaps::Parse(
      LoadedAt(path, exe->elf(), base) + "7ffff0000000-7ffff0010000 rw-p 00000000 00:00 0 [stack]\n",
      "");
  ASSERT_TRUE(maps.ok()) << maps.status();
  const uint64_t entry = base + plt + 16;  // PLT0 is 16 bytes
  const uint64_t ret = 0x7777;             // unmapped: the walk stops there
  for (int pushed = 0; pushed < 2; ++pushed) {
    RawSample s;
    s.has_user_regs = true;
    s.regs[kRsp] = 0x7ffff0008000;
    // Before the push (entry + 0: jmp *GOT) rsp points at the return
    // address; after it (entry + 11: jmp PLT0) one slot higher.
    s.regs[kRip] = entry + (pushed ? 11 : 0);
    std::vector<uint64_t> words = pushed ? std::vector<uint64_t>{0, ret} : std::vector<uint64_t>{ret};
    s.stack.resize(words.size() * 8);
    std::memcpy(s.stack.data(), words.data(), s.stack.size());
    s.stack_requested = 8192;
    TableUnwinder table(/*allow_fallback=*/false);
    std::vector<uint64_t> pcs;
    EXPECT_EQ(table.Unwind(s, *maps, &pcs), UnwindOutcome::kFailed);  // 0x7777 is unmapped
    ASSERT_EQ(pcs.size(), 2u) << "pushed=" << pushed;
    EXPECT_EQ(pcs[1], ret) << "pushed=" << pushed;
    EXPECT_EQ(table.stats().unsupported, 0u);
  }
}

// Pitfall 4: at epilogue_leaf's `ret` the CFI still says rbp is saved at
// CFA-16, below rsp; the caller's CFA is rbp-based, so only keeping the
// current rbp lets the walk go on.
TEST(TableUnwinder, EpilogueKeepsTheCurrentRbp) {
  const std::string path = Env("UNWIND_TARGET");
  auto exe = symbolize::ElfFile::Open(path);
  ASSERT_NE(exe, nullptr);
  symbolize::SymbolTable syms = symbolize::SymbolTable::FromElf(exe->elf(), SHT_SYMTAB);
  uint64_t leaf_ret = 0, caller_ret = 0;
  for (uint64_t a = 0x1000; a < 0x100000 && (leaf_ret == 0 || caller_ret == 0); ++a) {
    const auto* sym = syms.Lookup(a);
    if (sym == nullptr || sym->addr != a) continue;
    if (std::string(sym->name) == "epilogue_leaf_ret") leaf_ret = a;
    if (std::string(sym->name) == "rbp_caller_ret") caller_ret = a;
  }
  ASSERT_NE(leaf_ret, 0u);
  ASSERT_NE(caller_ret, 0u);
  const uint64_t base = 0x555555554000;
  auto maps = ProcessMaps::Parse(LoadedAt(path, exe->elf(), base), "");
  ASSERT_TRUE(maps.ok()) << maps.status();
  const uint64_t sp = 0x7ffff0008000;
  const uint64_t outer_ra = 0x7777;  // unmapped: the walk stops there
  RawSample s;
  s.has_user_regs = true;
  s.regs[kRip] = base + leaf_ret;
  s.regs[kRsp] = sp;
  s.regs[kRbp] = sp + 8;  // rbp_caller's frame: its saved rbp at sp + 8
  const uint64_t words[] = {base + caller_ret, 0, outer_ra};
  s.stack.resize(sizeof words);
  std::memcpy(s.stack.data(), words, sizeof words);
  s.stack_requested = 8192;
  // (libunwind 1.6.2 reads the stale slot, which lies outside the copy, and
  // stops after two frames here.)
  TableUnwinder table(/*allow_fallback=*/false);
  std::vector<uint64_t> pcs;
  table.Unwind(s, *maps, &pcs);
  EXPECT_EQ(pcs, (std::vector<uint64_t>{base + leaf_ret, base + caller_ret, outer_ra}));
}

TEST(UnwinderFactory, ParsesKinds) {
  EXPECT_EQ(ParseUnwinderKind("table"), UnwinderKind::kTable);
  EXPECT_EQ(ParseUnwinderKind("libunwind"), UnwinderKind::kLibunwind);
  EXPECT_EQ(ParseUnwinderKind("dwarf"), std::nullopt);
}

TEST(UnwinderFactory, FramePointerChainDropsMarkersAndKernelAddresses) {
  RawSample s;
  s.user_ips = {0x401000, 0, 0xffffffff81000000, 0x401234};
  std::vector<uint64_t> pcs;
  EXPECT_EQ(FramePointerPcs(s, &pcs), UnwindOutcome::kComplete);
  EXPECT_EQ(pcs, (std::vector<uint64_t>{0x401000, 0x401234}));
  s.user_ips.clear();
  EXPECT_EQ(FramePointerPcs(s, &pcs), UnwindOutcome::kFailed);
  EXPECT_TRUE(pcs.empty());
}

TEST(UnwinderFactory, NoUserRegsFails) {
  RawSample s;
  ProcessMaps maps;
  std::vector<uint64_t> pcs{1, 2};
  for (UnwinderKind kind : {UnwinderKind::kTable, UnwinderKind::kLibunwind}) {
    EXPECT_EQ(CreateUnwinder(kind)->Unwind(s, maps, &pcs), UnwindOutcome::kFailed);
    EXPECT_TRUE(pcs.empty());
  }
}

// --unwinder=verify's judgement of two stacks, on maps with code (r-xp), a
// stack (rw-p) and JIT code without a file.
class CompareStacksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto maps = ProcessMaps::Parse(
        "400000-401000 r-xp 00000000 08:01 11 /usr/bin/server\n"
        "7f0000000000-7f0000100000 r-xp 00000000 08:01 12 /usr/lib/libstdc++.so.6\n"
        "7f1000000000-7f1000001000 rwxp 00000000 00:00 0 \n"
        "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]\n",
        "");
    ASSERT_TRUE(maps.ok()) << maps.status();
    maps_ = *std::move(maps);
  }
  StackComparison Compare(const std::vector<uint64_t>& table, UnwindOutcome t,
                          const std::vector<uint64_t>& reference, UnwindOutcome r,
                          uint64_t leaf = kLib) {
    return CompareStacks(table, t, reference, r, maps_, leaf);
  }
  static constexpr uint64_t kLib = 0x7f0000000100;
  static constexpr uint64_t kExe = 0x400200;
  static constexpr uint64_t kStack = 0x7ffc00000400;
  static constexpr uint64_t kJit = 0x7f1000000010;
  static constexpr auto kOk = UnwindOutcome::kComplete;
  static constexpr auto kFail = UnwindOutcome::kFailed;
  ProcessMaps maps_;
};

TEST_F(CompareStacksTest, SameStacks) {
  EXPECT_EQ(Compare({kLib, kExe}, kOk, {kLib, kExe}, kOk), StackComparison::kSame);
  EXPECT_EQ(Compare({kLib, kExe}, kFail, {kLib, kExe}, kOk),
            StackComparison::kSameStackOtherVerdict);
}

TEST_F(CompareStacksTest, TableStoppedAtAReturnAddressWithoutCode) {
  EXPECT_EQ(Compare({kLib, kStack}, kFail, {kLib, kStack, kExe}, kOk),
            StackComparison::kTablePastBadReturn);
  // Stopping at a return address in code is no excuse.
  EXPECT_EQ(Compare({kLib, kExe}, kFail, {kLib, kExe, kExe + 8}, kOk), StackComparison::kDiffer);
}

TEST_F(CompareStacksTest, LibunwindReturnedIntoTheStack) {
  // The CI sample: two agreed frames, then libunwind's "return address" is a
  // stack address where the table goes on into the executable.
  EXPECT_EQ(Compare({kLib, kLib + 0x10, kExe, kExe + 8}, kOk, {kLib, kLib + 0x10, kStack}, kOk),
            StackComparison::kReferenceBadReturn);
  // The table stopped where libunwind went on into the stack.
  EXPECT_EQ(Compare({kLib, kLib + 0x10}, kOk, {kLib, kLib + 0x10, kStack}, kOk),
            StackComparison::kReferenceBadReturn);
}

TEST_F(CompareStacksTest, RealDifferencesStayDifferences) {
  // Both go on through code but disagree: the table may be the one wrong.
  EXPECT_EQ(Compare({kLib, kExe}, kOk, {kLib, kExe + 8}, kOk), StackComparison::kDiffer);
  // Both went into memory without code at the same depth: no one to blame.
  EXPECT_EQ(Compare({kLib, kStack}, kOk, {kLib, kStack + 8}, kOk), StackComparison::kDiffer);
  // A different leaf frame is never the reference's excuse.
  EXPECT_EQ(Compare({kExe}, kOk, {kStack}, kOk), StackComparison::kDiffer);
  // The table's stack longer than libunwind's, which ended in code.
  EXPECT_EQ(Compare({kLib, kExe, kExe + 8}, kOk, {kLib, kExe}, kOk), StackComparison::kDiffer);
}

TEST_F(CompareStacksTest, LeafWithoutCfiIsCountedApart) {
  EXPECT_EQ(Compare({kJit, kExe}, kOk, {kJit, kExe + 8}, kOk, kJit),
            StackComparison::kDifferWithoutCfi);
}

}  // namespace
}  // namespace stackfire::unwind
