// The table unwinder against libunwind on real samples of a -O2
// -fomit-frame-pointer target captured with ptrace (sample_capture.h), then
// unwound offline after the target is dead.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/symbol_table.h"
#include "src/unwind/libunwind_unwinder.h"
#include "src/unwind/table_unwinder.h"
#include "src/unwind/unwinders.h"
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
  int complete = 0, truncated = 0;
  for (size_t i = 0; i < capture_->samples.size(); ++i) {
    const RawSample& s = capture_->samples[i];
    UnwindOutcome oa = table.Unwind(s, capture_->maps, &a);
    UnwindOutcome ob = libunwind.Unwind(s, capture_->maps, &b);
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
  auto module = ElfModule::Open(m);
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
  CfiTable& t = (*module)->cfi_table();
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
  auto module = ElfModule::Open(m);
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
  CfiTable& t = (*module)->cfi_table();
  // First the row after DW_CFA_restore_state (CFA = rsp + 32)...
  const CfiRow& after = t.Find(body + 1);
  EXPECT_EQ(after.cfa_offset, 32);
  EXPECT_GE(after.start, ret + 1);
  // ...then the epilogue before it: its own row, not the cached one.
  EXPECT_EQ(t.Find(ret).cfa_offset, 8);
  EXPECT_EQ(t.Find(ret - 1).cfa_offset, 16);  // after add $16 (pop %rbx pending)
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

}  // namespace
}  // namespace stackfire::unwind
