// The symbolizer on real samples of the unwind test workload (captured with
// ptrace, unwound offline with the table unwinder), plus unit tests of the
// pieces: demangling, kallsyms and perf-PID.map parsing, unresolved names.
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/elf/elf_module.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/demangle.h"
#include "src/symbolize/symbol_table.h"
#include "src/symbolize/symbolizers.h"
#include "src/symbolize/text_symbols.h"
#include "src/unwind/unwinders.h"
#include "tests/unwind/sample_capture.h"

namespace stackfire::symbolize {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// Folded stacks (root first) of every sample, with the unwind outcome.
struct Folded {
  std::string stack;
  UnwindOutcome outcome;
};

std::vector<Folded> FoldCapture(const testing::Capture& c, Symbolizer& symbolizer) {
  auto unwinder = unwind::CreateUnwinder(unwind::UnwinderKind::kTable);
  std::vector<Folded> out;
  std::vector<uint64_t> pcs;
  std::vector<Frame> frames;
  for (const RawSample& s : c.samples) {
    UnwindOutcome o = unwinder->Unwind(s, c.maps, &pcs);
    frames.clear();
    for (size_t i = 0; i < pcs.size(); ++i) {
      symbolizer.SymbolizeUser(c.pid, c.maps, pcs[i], i > 0, &frames);
    }
    std::string stack;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
      if (!stack.empty()) stack += ';';
      stack += it->name;
    }
    out.push_back({stack, o});
  }
  return out;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class SymbolizeWorkloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string target = Env("UNWIND_TARGET");
    ASSERT_FALSE(target.empty()) << "UNWIND_TARGET is not set (run through meson test)";
    testing::CaptureOptions options;
    options.samples = 300;
    options.seed = 7;
    auto c = testing::CaptureSamples({target, "30"}, options);
    ASSERT_TRUE(c.ok()) << c.status();
    auto symbolizer = CreateSymbolizer({});
    stacks_ = new std::vector<Folded>(FoldCapture(*c, *symbolizer));
    testing::RemoveJitMap(*c);
    if (std::getenv("STACKFIRE_DUMP_STACKS") != nullptr) {
      for (const Folded& f : *stacks_) std::printf("%s\n", f.stack.c_str());
    }
  }
  static void TearDownTestSuite() {
    delete stacks_;
    stacks_ = nullptr;
  }
  static int Count(const std::function<bool(const Folded&)>& pred) {
    return static_cast<int>(std::count_if(stacks_->begin(), stacks_->end(), pred));
  }
  static std::vector<Folded>* stacks_;
};

std::vector<Folded>* SymbolizeWorkloadTest::stacks_ = nullptr;

TEST_F(SymbolizeWorkloadTest, CompleteStacksReachMainFromStart) {
  ASSERT_NE(stacks_, nullptr);
  int complete = 0;
  for (const Folded& f : *stacks_) {
    if (f.outcome != UnwindOutcome::kComplete) continue;
    ++complete;
    EXPECT_EQ(f.stack.rfind("_start;", 0), 0u) << f.stack;
    // main, then run_phase, unless the sample hit main or run_phase itself.
    const std::string tail = f.stack.substr(f.stack.find(";main") + 1) + ";";
    EXPECT_TRUE(tail == "main;" || tail.rfind("main;run_phase;", 0) == 0) << f.stack;
  }
  EXPECT_GT(complete, 100);
}

TEST_F(SymbolizeWorkloadTest, DemangledTemplateChainUnderMain) {
  ASSERT_NE(stacks_, nullptr);
  const std::string descend = "outer::inner::Walker<int>::Descend";
  std::string expected = ";main;run_phase";
  for (int i = 0; i < 13; ++i) expected += ";" + descend;
  expected += ";leaf_compute";
  EXPECT_GT(Count([&](const Folded& f) { return EndsWith(f.stack, expected); }), 5);
  // Through the frame whose CFA is an expression (the libunwind fallback).
  EXPECT_GT(Count([](const Folded& f) {
              return f.outcome == UnwindOutcome::kComplete &&
                     EndsWith(f.stack, ";main;run_phase;realigned_frame;leaf_compute");
            }),
            5);
  // No frame carries its parameter list or a clone suffix.
  for (const Folded& f : *stacks_) {
    EXPECT_FALSE(Contains(f.stack, "(unsigned long)")) << f.stack;
    EXPECT_FALSE(Contains(f.stack, "[clone")) << f.stack;
  }
}

TEST_F(SymbolizeWorkloadTest, InlinedHelperIsItsOwnFrameUnderItsCaller) {
  ASSERT_NE(stacks_, nullptr);
  EXPECT_GT(Count([](const Folded& f) {
              return EndsWith(f.stack, ";main;run_phase;checkout;mix_helper_[i]");
            }),
            5);
  // The inlined frame is never duplicated and never appears anywhere else.
  for (const Folded& f : *stacks_) {
    if (!Contains(f.stack, "mix_helper")) continue;
    EXPECT_TRUE(EndsWith(f.stack, ";checkout;mix_helper_[i]")) << f.stack;
  }
}

TEST_F(SymbolizeWorkloadTest, SignalHandlerFramesSitAboveTheInterruptedCode) {
  ASSERT_NE(stacks_, nullptr);
  int found = 0;
  for (const Folded& f : *stacks_) {
    if (!Contains(f.stack, "on_signal;signal_work")) continue;
    if (f.outcome != UnwindOutcome::kComplete) continue;
    ++found;
    const size_t handler = f.stack.find("on_signal");
    const size_t caller = f.stack.find(";main;run_phase;");
    EXPECT_LT(caller, handler) << f.stack;
  }
  EXPECT_GT(found, 5);
}

TEST_F(SymbolizeWorkloadTest, VdsoFramesUnwindAndResolve) {
  ASSERT_NE(stacks_, nullptr);
  // clock_gettime lives in the vDSO image read from /proc/PID/mem.
  int in_vdso = 0;
  for (const Folded& f : *stacks_) {
    const size_t at = f.stack.find(";main;run_phase;vdso_phase;");
    if (at == std::string::npos) continue;
    const std::string callee = f.stack.substr(at + std::strlen(";main;run_phase;vdso_phase;"));
    if (callee.empty()) continue;
    ++in_vdso;
    EXPECT_EQ(f.outcome, UnwindOutcome::kComplete) << f.stack;
    EXPECT_TRUE(Contains(callee, "clock_gettime") || callee == "[vdso]") << f.stack;
  }
  EXPECT_GT(in_vdso, 3);
}

TEST_F(SymbolizeWorkloadTest, JitFramesComeFromPerfMap) {
  ASSERT_NE(stacks_, nullptr);
  // The workload's JIT trampoline has no file and no CFI: the unwinder walks
  // it by frame pointer and /tmp/perf-PID.map names it.
  EXPECT_GT(Count([](const Folded& f) {
              return f.outcome == UnwindOutcome::kComplete &&
                     EndsWith(f.stack, ";main;run_phase;jit_phase;jit_trampoline_[j];leaf_compute");
            }),
            3);
}

TEST_F(SymbolizeWorkloadTest, TruncatedStacksEndInTheLargeFrame) {
  ASSERT_NE(stacks_, nullptr);
  int truncated = 0;
  for (const Folded& f : *stacks_) {
    if (f.outcome != UnwindOutcome::kTruncated) continue;
    ++truncated;
    EXPECT_EQ(f.stack.rfind("big_frame", 0), 0u) << f.stack;
  }
  EXPECT_GT(truncated, 5);
}

TEST_F(SymbolizeWorkloadTest, LibcNamesComeFromItsSeparateDebugFile) {
  ASSERT_NE(stacks_, nullptr);
  // __libc_start_call_main is a local symbol: only libc's .symtab, which
  // Debian ships in libc6-dbg under /usr/lib/debug/.build-id, knows it.
  bool have_dbg = false;
  if (auto libc = ElfFile::Open("/lib/x86_64-linux-gnu/libc.so.6")) {
    const std::string hex = elf::BuildIdHex(elf::ReadBuildId(libc->elf()));
    have_dbg = hex.size() > 2 && access(("/usr/lib/debug/.build-id/" + hex.substr(0, 2) + "/" +
                                         hex.substr(2) + ".debug").c_str(), R_OK) == 0;
  }
  if (!have_dbg) GTEST_SKIP() << "libc6-dbg is not installed: no separate debug file for libc";
  EXPECT_GT(Count([](const Folded& f) {
              return Contains(f.stack, "_start;__libc_start_main;__libc_start_call_main;main");
            }),
            100);
}

TEST(SymbolizeStripped, FallsBackToDynsym) {
  const std::string target = Env("UNWIND_TARGET_STRIPPED");
  ASSERT_FALSE(target.empty());
  testing::CaptureOptions options;
  options.samples = 150;
  options.seed = 3;
  auto c = testing::CaptureSamples({target, "30"}, options);
  ASSERT_TRUE(c.ok()) << c.status();
  testing::RemoveJitMap(*c);
  // Stripping keeps .eh_frame: both unwinders still agree on every sample.
  auto table = unwind::CreateUnwinder(unwind::UnwinderKind::kTable);
  auto libunwind = unwind::CreateUnwinder(unwind::UnwinderKind::kLibunwind);
  std::vector<uint64_t> a, b;
  for (const RawSample& s : c->samples) {
    EXPECT_EQ(table->Unwind(s, c->maps, &a), libunwind->Unwind(s, c->maps, &b));
    EXPECT_EQ(a, b);
  }
  auto symbolizer = CreateSymbolizer({});
  std::vector<Folded> stacks = FoldCapture(*c, *symbolizer);
  int chains = 0;
  for (const Folded& f : stacks) {
    // In the ASan build the sanitizer runtime's interceptors sit on some
    // stacks, and libasan has DWARF of its own: its inline frames are right.
    const bool through_sanitizer = Contains(f.stack, "__interceptor_") ||
                                   Contains(f.stack, "__asan") || Contains(f.stack, "__sanitizer");
    EXPECT_TRUE(through_sanitizer || !Contains(f.stack, "_[i]"))
        << "no DWARF, no inline frames: " << f.stack;
    chains += Contains(f.stack, ";main;run_phase;outer::inner::Walker<int>::Descend;");
    chains += EndsWith(f.stack, ";main;run_phase;checkout");
  }
  EXPECT_GT(chains, 20);
}

TEST(Demangle, StripsParametersNotNames) {
  EXPECT_EQ(Demangle("_ZN5outer5inner6WalkerIiE7DescendEim", false),
            "outer::inner::Walker<int>::Descend");
  EXPECT_EQ(Demangle("_ZN5outer5inner6WalkerIiE7DescendEim", true),
            "outer::inner::Walker<int>::Descend(int, unsigned long)");
  EXPECT_EQ(Demangle("main", false), "main");
  EXPECT_EQ(Demangle("_Znot_valid", false), "_Znot_valid");
  EXPECT_EQ(StripParameters("Foo::operator()(int) const"), "Foo::operator()");
  EXPECT_EQ(StripParameters("main::{lambda(int)#1}::operator()(int) const &&"),
            "main::{lambda(int)#1}::operator()");
  EXPECT_EQ(StripParameters("f(int) [clone .cold]"), "f");
  EXPECT_EQ(StripParameters("void std::sort<int*>(int*, int*)"), "void std::sort<int*>");
  EXPECT_EQ(StripParameters("(anonymous namespace)::g()"), "(anonymous namespace)::g");
  EXPECT_EQ(StripParameters("plain"), "plain");
}

// Aliases resolve to the name perf shows: "free", not the compatibility
// alias "cfree" (a hidden symbol version) nor "__libc_free".
TEST(SymbolTable, PrefersTheCanonicalAlias) {
  auto libc = ElfFile::Open("/lib/x86_64-linux-gnu/libc.so.6");
  if (libc == nullptr) GTEST_SKIP() << "no /lib/x86_64-linux-gnu/libc.so.6";
  SymbolTable dynsym = SymbolTable::FromElf(libc->elf(), SHT_DYNSYM);
  ASSERT_FALSE(dynsym.empty());
  // Find free's address through its own name, then look it up.
  uint64_t free_addr = 0;
  for (uint64_t a = 0x1000; a < 0x200000 && free_addr == 0; a += 16) {
    const SymbolTable::Symbol* s = dynsym.Lookup(a);
    if (s != nullptr && (std::string(s->name) == "free" || std::string(s->name) == "cfree")) {
      free_addr = s->addr;
    }
  }
  ASSERT_NE(free_addr, 0u);
  EXPECT_STREQ(dynsym.Lookup(free_addr)->name, "free");
  EXPECT_STREQ(dynsym.Lookup(free_addr + 1)->name, "free");
}

TEST(TextSymbols, Kallsyms) {
  TextSymbols t = TextSymbols::ParseKallsyms(
      "ffffffff81000000 T _stext\n"
      "ffffffff81000100 t do_one\n"
      "ffffffff81000200 D some_data\n"
      "ffffffff81000300 T do_two\t[mod]\n");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(*t.Lookup(0xffffffff81000150), "do_one");
  EXPECT_EQ(*t.Lookup(0xffffffff81000250), "do_one");  // data is not a boundary
  EXPECT_EQ(*t.Lookup(0xffffffff81000300), "do_two");
  EXPECT_EQ(t.Lookup(0xffffffff80000000), nullptr);
  EXPECT_TRUE(TextSymbols::ParseKallsyms("0000000000000000 T a\n0000000000000000 T b\n").empty());
}

TEST(TextSymbols, PerfMap) {
  TextSymbols t = TextSymbols::ParsePerfMap(
      "7f0000001000 100 LFoo;::bar\n"
      "7f0000002000 80 Interpreter loop\n"
      "garbage\n"
      "7f0000001000 40 regenerated\n");
  EXPECT_EQ(*t.Lookup(0x7f0000001010), "regenerated");
  EXPECT_EQ(t.Lookup(0x7f0000001050), nullptr);  // beyond the newer, smaller entry
  EXPECT_EQ(*t.Lookup(0x7f000000207f), "Interpreter loop");
  EXPECT_EQ(t.Lookup(0x7f0000002080), nullptr);
  EXPECT_EQ(t.rejected(), 0u);
}

// A target writes its perf map: ranges that wrap past 2^64 or would cover
// gigabytes are dropped and counted; overlapping ones name only from their
// own start up to the next entry's start.
TEST(TextSymbols, PerfMapHostileRanges) {
  TextSymbols t = TextSymbols::ParsePerfMap(
      "ffffffffffffff00 1000 wraps\n"
      "0 ffffffffffffffff everything\n"
      "1000 40000001 too_big\n"
      "7f0000001000 1000 outer\n"
      "7f0000001100 10 inner\n");
  EXPECT_EQ(t.rejected(), 3u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Lookup(0xffffffffffffff10), nullptr);
  EXPECT_EQ(t.Lookup(0x5000), nullptr);
  EXPECT_EQ(*t.Lookup(0x7f0000001010), "outer");
  EXPECT_EQ(*t.Lookup(0x7f0000001105), "inner");
  EXPECT_EQ(t.Lookup(0x7f0000001200), nullptr);  // inner's range ended
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sf_symbolize_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path_).c_str()); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Symbolizer, KernelJitAndUnresolvedNames) {
  TempDir dir;
  SymbolizerOptions options;
  options.kallsyms_path = dir.Write("kallsyms", "ffffffff81000000 T __x64_sys_read\n"
                                                "ffffffff81000400 T vfs_read\n");
  options.jit_map_dir = dir.path();
  dir.Write("perf-4242.map", "10000 100 Lcom/Foo;::run\n");
  const std::string blob = dir.Write("blob.bin", "not an ELF file");
  auto maps = ProcessMaps::Parse(
      "10000-11000 r-xp 00000000 00:00 0 \n"
      "20000-21000 r-xp 00000000 00:11 7 " + blob + "\n"
      "30000-31000 r-xp 00000000 00:00 0 [vdso]\n",
      "");
  ASSERT_TRUE(maps.ok()) << maps.status();
  auto symbolizer = CreateSymbolizer(options);
  std::vector<Frame> f;
  symbolizer->SymbolizeKernel(0xffffffff81000410, &f);
  symbolizer->SymbolizeKernel(0x1000, &f);
  symbolizer->SymbolizeUser(4242, *maps, 0x10010, false, &f);
  symbolizer->SymbolizeUser(4242, *maps, 0x20010, false, &f);
  symbolizer->SymbolizeUser(4242, *maps, 0x50000, true, &f);
  symbolizer->SymbolizeUser(4242, *maps, 0x30010, false, &f);  // vDSO without an image
  ASSERT_EQ(f.size(), 6u);
  EXPECT_EQ(f[0].name, "vfs_read_[k]");
  EXPECT_EQ(f[0].kind, Frame::Kind::kKernel);
  EXPECT_EQ(f[1].name, "[kernel.kallsyms]_[k]");
  EXPECT_EQ(f[2].name, "Lcom/Foo:::run_[j]");  // ';' sanitized
  EXPECT_EQ(f[2].kind, Frame::Kind::kJit);
  EXPECT_EQ(f[3].name, "[blob.bin]");
  EXPECT_EQ(f[3].kind, Frame::Kind::kUnresolved);
  EXPECT_EQ(f[4].name, "[unknown]");
  EXPECT_EQ(f[5].name, "[vdso]");
}

}  // namespace
}  // namespace stackfire::symbolize
