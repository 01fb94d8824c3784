// Names for code that is mapped from inside a file, has no symbols, or hides
// them in MiniDebugInfo; bounded reads of target-controlled files; perf maps
// in other namespaces. The binaries are testdata/workloads/names_target.cc
// built by tests/symbolize/meson.build: full, stripped, and stripped with a
// .gnu_debugdata section.
#include <gelf.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/proc/pid_namespace.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/function_starts.h"
#include "src/symbolize/jit_maps.h"
#include "src/symbolize/mini_debuginfo.h"
#include "src/symbolize/symbol_table.h"
#include "src/symbolize/symbolizers.h"
#include "src/proc/target_files.h"
#include "src/elf/elf_module.h"
#include "src/elf/module_cache.h"
#include "src/unwind/cfi_table.h"
#include "src/unwind/table_unwinder.h"

namespace stackfire::symbolize {
namespace {

using elf::ElfModule;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sf_names_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Function symbols of the full build: mangled name -> (vaddr, size).
struct Fn {
  uint64_t addr, size;
};
std::map<std::string, Fn> Functions(const std::string& path) {
  std::map<std::string, Fn> out;
  auto f = ElfFile::Open(path);
  if (f == nullptr) return out;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(f->elf(), scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data != nullptr && i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
      out[elf_strptr(f->elf(), shdr.sh_link, sym.st_name)] = {sym.st_value, sym.st_size};
    }
  }
  return out;
}

uint64_t AddrOf(const std::map<std::string, Fn>& fns, const std::string& part) {
  for (const auto& [name, fn] : fns) {
    if (name.find(part) != std::string::npos) return fn.addr;
  }
  return 0;
}

// A mapping of the whole executable PT_LOAD of `path` at `base`.
Mapping TextMapping(const std::string& path, uint64_t base) {
  Mapping m;
  m.path = m.open_path = path;
  m.prot = PROT_READ | PROT_EXEC;
  auto module = ElfModule::Open(m);
  if (!module.ok()) return m;
  for (const ElfModule::Segment& s : (*module)->segments()) {
    if ((s.flags & PF_X) == 0) continue;
    m.pgoff = s.offset & ~uint64_t{0xfff};
    m.start = base + (s.vaddr & ~uint64_t{0xfff});
    m.end = base + ((s.vaddr + s.memsz + 0xfff) & ~uint64_t{0xfff});
  }
  return m;
}

std::vector<Frame> Names(Symbolizer& s, const Mapping& m, uint64_t pc) {
  auto maps = ProcessMaps::Parse("", "");
  maps->Insert(m);
  std::vector<Frame> frames;
  s.SymbolizeUser(1, *maps, pc, false, &frames);
  return frames;
}

class NamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    full_ = Env("NAMES_TARGET");
    ASSERT_FALSE(full_.empty()) << "NAMES_TARGET is not set (run through meson test)";
    fns_ = Functions(full_);
    alpha_ = AddrOf(fns_, "names_alpha");
    beta_ = AddrOf(fns_, "names_beta");
    ASSERT_NE(alpha_, 0u);
    ASSERT_NE(beta_, 0u);
  }
  std::string full_;
  std::map<std::string, Fn> fns_;
  uint64_t alpha_ = 0, beta_ = 0;
};

// V8 maps its embedded builtins again, r-xp, from an offset in the middle of
// node's text segment. Any mapping that starts inside a PT_LOAD must get the
// bias of that segment, not "no PT_LOAD segment at file offset ...".
TEST_F(NamesTest, MappingThatStartsInsideASegment) {
  Mapping whole = TextMapping(full_, 0x555555554000);
  auto module = ElfModule::Open(whole);
  ASSERT_TRUE(module.ok()) << module.status();
  const ElfModule::Segment* text = nullptr;
  for (const auto& s : (*module)->segments()) {
    if (s.flags & PF_X) text = &s;
  }
  ASSERT_NE(text, nullptr);
  const uint64_t alpha_offset = alpha_ - text->vaddr + text->offset;
  Mapping inner = whole;
  inner.pgoff = alpha_offset & ~uint64_t{0xfff};
  ASSERT_GT(inner.pgoff, text->offset & ~uint64_t{0xfff}) << "alpha is on the text's first page";
  inner.start = 0x7f1234560000;
  inner.end = inner.start + 0x1000;
  const std::optional<uint64_t> bias = (*module)->BiasFor(inner);
  ASSERT_TRUE(bias.has_value());
  EXPECT_EQ(*bias, inner.start - (inner.pgoff + text->vaddr - text->offset));
  auto symbolizer = CreateSymbolizer({});
  const uint64_t pc = inner.start + (alpha_offset - inner.pgoff) + 2;
  std::vector<Frame> f = Names(*symbolizer, inner, pc);
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f.back().name, "(anonymous namespace)::names_alpha");
  // The usual mapping still works, and an offset past every segment is none.
  EXPECT_EQ((*module)->BiasFor(whole), whole.start - (whole.pgoff + text->vaddr - text->offset));
  Mapping beyond = inner;
  beyond.pgoff = 0x40000000;
  EXPECT_FALSE((*module)->BiasFor(beyond).has_value());
}

// The CFI of a stripped binary gives every function's start: for each
// function of the full build, a pc in its middle maps to its symbol's address.
TEST_F(NamesTest, FunctionStartsFromEhFrameHdrMatchSymbols) {
  Mapping m;
  m.path = m.open_path = Env("NAMES_TARGET_STRIPPED");
  auto module = ElfModule::Open(m);
  ASSERT_TRUE(module.ok()) << module.status();
  const FunctionStarts starts(**module);
  int checked = 0, matched = 0;
  for (const auto& [name, fn] : fns_) {
    if (fn.size < 2) continue;
    ++checked;
    std::optional<uint64_t> start = starts.Find(fn.addr + fn.size / 2);
    if (start == fn.addr) {
      ++matched;
    } else if (name.find("names_") != std::string::npos || name == "main") {
      ADD_FAILURE() << name << ": start " << (start ? *start : 0) << " != " << fn.addr;
    }
  }
  EXPECT_GE(checked, 6);
  EXPECT_EQ(matched, checked);
  EXPECT_EQ(starts.Find(0x10), std::nullopt);  // no FDE covers the ELF header
  EXPECT_EQ(AddressFrameName("/usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1", 0x1a2b0),
            "liblzma.so.5.4.1+0x1a2b0");
}

TEST_F(NamesTest, StrippedCodeIsNamedByModuleAndFunctionStart) {
  const std::string stripped = Env("NAMES_TARGET_STRIPPED");
  const Mapping m = TextMapping(stripped, 0x555555554000);
  auto symbolizer = CreateSymbolizer({});
  auto name_at = [&](Symbolizer& s, uint64_t vaddr) {
    std::vector<Frame> f = Names(s, m, 0x555555554000 + vaddr);
    return f.empty() ? std::string() : f.back().name;
  };
  EXPECT_EQ(name_at(*symbolizer, alpha_ + 5), AddressFrameName(stripped, alpha_));
  EXPECT_EQ(name_at(*symbolizer, alpha_ + 9), AddressFrameName(stripped, alpha_));
  EXPECT_EQ(name_at(*symbolizer, beta_ + 5), AddressFrameName(stripped, beta_));
  // Exported through -rdynamic: .dynsym names it.
  EXPECT_EQ(name_at(*symbolizer, AddrOf(fns_, "names_entry") + 4), "names_entry");
  SymbolizerOptions by_module;
  by_module.unnamed_by_address = false;
  auto old_style = CreateSymbolizer(by_module);
  EXPECT_EQ(name_at(*old_style, alpha_ + 5), "[names_target_stripped]");
  EXPECT_EQ(Names(*old_style, m, 0x555555554000 + alpha_).back().kind, Frame::Kind::kUnresolved);
}

TEST_F(NamesTest, MiniDebugInfoNamesLocalFunctions) {
  const std::string mini = Env("NAMES_TARGET_MINI");
  Mapping file;
  file.path = file.open_path = mini;
  auto module = ElfModule::Open(file);
  ASSERT_TRUE(module.ok()) << module.status();
  EXPECT_TRUE(SymbolTable::FromElf((*module)->elf(), SHT_SYMTAB).empty()) << "not stripped";
  const Mapping m = TextMapping(mini, 0x555555554000);
  auto symbolizer = CreateSymbolizer({});
  EXPECT_EQ(Names(*symbolizer, m, 0x555555554000 + alpha_ + 5).back().name,
            "(anonymous namespace)::names_alpha");
  EXPECT_EQ(Names(*symbolizer, m, 0x555555554000 + beta_ + 5).back().name,
            "(anonymous namespace)::names_beta");
  // .dynsym's names, which MiniDebugInfo leaves out, are merged in.
  EXPECT_EQ(Names(*symbolizer, m, 0x555555554000 + AddrOf(fns_, "names_entry") + 4).back().name,
            "names_entry");
  std::vector<std::string> warnings;
  symbolizer->AppendWarnings(&warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
}

// A .gnu_debugdata that is not xz: one warning, then .dynsym and function
// starts as for any stripped file.
TEST_F(NamesTest, CorruptMiniDebugInfoFallsBack) {
  TempDir dir;
  const std::string garbage = dir.Write("garbage", std::string(300, 'x'));
  const std::string bad = dir.path() + "/names_target_badmini";
  const std::string cmd = "objcopy --update-section .gnu_debugdata=" + garbage + " '" +
                          Env("NAMES_TARGET_MINI") + "' '" + bad + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const Mapping m = TextMapping(bad, 0x555555554000);
  auto symbolizer = CreateSymbolizer({});
  EXPECT_EQ(Names(*symbolizer, m, 0x555555554000 + alpha_ + 5).back().name,
            AddressFrameName(bad, alpha_));
  EXPECT_EQ(Names(*symbolizer, m, 0x555555554000 + AddrOf(fns_, "names_entry") + 4).back().name,
            "names_entry");
  std::vector<std::string> warnings;
  symbolizer->AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find(".gnu_debugdata (MiniDebugInfo): not valid xz data"),
            std::string::npos)
      << warnings[0];
}

std::string Xz(const std::string& data) {
  std::string out(data.size() + 4096, '\0');
  size_t pos = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                    reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                    reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()),
            LZMA_OK);
  out.resize(pos);
  return out;
}

TEST(DecompressXz, BoundedAndStrict) {
  const std::string zeros(8 << 20, '\0');
  const std::string bomb = Xz(zeros);
  EXPECT_LT(bomb.size(), 4096u);
  auto small = DecompressXz(bomb, 1 << 20);
  EXPECT_EQ(small.status().code(), absl::StatusCode::kResourceExhausted) << small.status();
  auto whole = DecompressXz(bomb, 16 << 20);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(*whole, zeros);
  const std::string two = Xz("abc") + Xz("def");  // concatenated streams
  EXPECT_EQ(DecompressXz(two, 100).value_or("?"), "abcdef");
  EXPECT_EQ(DecompressXz(bomb.substr(0, bomb.size() / 2), 16 << 20).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecompressXz("not xz at all", 100).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecompressXz("", 100).status().code(), absl::StatusCode::kDataLoss);
}

TEST(TargetFiles, NeverBlockNorReadTooMuch) {
  TempDir dir;
  const std::string fifo = dir.path() + "/perf-1.map";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  // A FIFO without a writer would block a plain open() forever.
  EXPECT_EQ(proc::ReadTargetFile("", fifo, 1000).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(proc::ReadTargetFile("", "/dev/zero", 1000).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  const std::string sparse = dir.path() + "/sparse";
  ASSERT_EQ(truncate(dir.Write("sparse", "").c_str(), 10 << 20), 0);
  auto big = proc::ReadTargetFile("", sparse, 1 << 20);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted) << big.status();
  EXPECT_EQ(proc::ReadTargetFile("", dir.path() + "/missing", 10).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(proc::ReadTargetFile("", dir.Write("ok", "1000 10 f\n"), 10).value_or("?"), "1000 10 f\n");
}

// Inside a target's root, an absolute symlink or ".." stays in that root: a
// container cannot make stackfire read a host file as its perf map.
TEST(TargetFiles, PathsResolveInsideTheRoot) {
  TempDir root, host;
  const std::string secret = host.Write("secret", "7f0000001000 10 host_secret\n");
  ASSERT_EQ(mkdir((root.path() + "/tmp").c_str(), 0755), 0);
  root.Write("tmp/perf-1.map", "7f0000001000 10 in_root\n");
  ASSERT_EQ(symlink(secret.c_str(), (root.path() + "/tmp/perf-2.map").c_str()), 0);
  ASSERT_EQ(
      symlink(("../../../../../../.." + secret).c_str(), (root.path() + "/tmp/perf-3.map").c_str()),
      0);
  EXPECT_EQ(proc::ReadTargetFile(root.path(), "/tmp/perf-1.map", 100).value_or("?"),
            "7f0000001000 10 in_root\n");
  // Resolved in the root, the host's path does not exist there.
  EXPECT_EQ(proc::ReadTargetFile(root.path(), "/tmp/perf-2.map", 100).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(proc::ReadTargetFile(root.path(), "/tmp/perf-3.map", 100).status().code(),
            absl::StatusCode::kNotFound);
  // Our own root ("") follows links as any open does.
  EXPECT_EQ(proc::ReadTargetFile("", root.path() + "/tmp/perf-2.map", 100).value_or("?"),
            "7f0000001000 10 host_secret\n");
}

TEST(PidNamespace, InnermostPid) {
  EXPECT_EQ(proc::ParseInnermostPid("Name:\tx\nNSpid:\t4321\t7\t1\nNSpgid:\t1\n"), 1);
  EXPECT_EQ(proc::ParseInnermostPid("NSpid:\t77\n"), 77);
  EXPECT_EQ(proc::ParseInnermostPid("Name:\tx\nPid:\t5\n"), std::nullopt);
  EXPECT_EQ(proc::ParseInnermostPid("NSpid:\t12x\n"), std::nullopt);
  EXPECT_EQ(proc::ParseInnermostPid("NSpid:\t-3\n"), std::nullopt);
  // This test runs in some pid namespace; /proc shows it its own pid.
  EXPECT_EQ(proc::InnermostPid(static_cast<int>(getpid())), static_cast<int>(getpid()));
  EXPECT_EQ(proc::InnermostPid(0), std::nullopt);
}

// A perf map is read where the process wrote it: through /proc/PID/root,
// under the pid it has in its own namespace. Maps that are FIFOs or too
// large are skipped with a warning, at once.
TEST(JitMaps, ReadThroughProcRootAndBounded) {
  TempDir dir;
  const int pid = static_cast<int>(getpid());
  JitMaps maps(dir.path());
  const std::vector<JitMaps::Place> candidates = maps.Candidates(pid);
  ASSERT_EQ(candidates.size(), 2u);
  const std::string name = "/perf-" + std::to_string(pid) + ".map";
  EXPECT_EQ(candidates[0].root, "/proc/" + std::to_string(pid) + "/root");
  EXPECT_EQ(candidates[0].path, dir.path() + name);
  EXPECT_EQ(candidates[1].root, "");
  EXPECT_EQ(candidates[1].path, dir.path() + name);
  dir.Write(name.substr(1), "7f0000001000 100 jitted_fn\n");
  ASSERT_NE(maps.Lookup(pid, 0x7f0000001010), nullptr);
  EXPECT_EQ(*maps.Lookup(pid, 0x7f0000001010), "jitted_fn");

  // Another process's map: a FIFO, then a 300 MB sparse file.
  TempDir hostile;
  JitMaps bad(hostile.path());
  const std::string fifo = hostile.path() + name;
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(bad.Lookup(pid, 0x7f0000001010), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  std::vector<std::string> warnings;
  bad.AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("is not a regular file"), std::string::npos) << warnings[0];
  JitMaps huge(dir.path());
  ASSERT_EQ(truncate((dir.path() + name).c_str(), off_t{300} << 20), 0);
  EXPECT_EQ(huge.Lookup(pid, 0x7f0000001010), nullptr);
  warnings.clear();
  huge.AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("is larger than"), std::string::npos) << warnings[0];
}

// Code without CFI that the frame pointer crosses (V8's builtins in node's
// text) is not a problem to report; stacks that stop there are, and only
// then is the module named, without blaming an .eh_frame it does have.
TEST_F(NamesTest, CfiWarningCountsOnlyStacksThatStopped) {
  elf::ModuleCache cache;
  unwind::CfiTables tables;
  const elf::ModuleRef* ref = cache.Lookup(TextMapping(full_, 0x555555554000));
  ASSERT_NE(ref->module, nullptr);
  unwind::CfiTables::Entry& e = tables.For(*ref);
  e.lookups = 1000;
  e.misses = 500;  // half missing, crossed by frame pointer
  std::vector<std::string> warnings;
  tables.AppendWarnings(&warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  e.stops = 60;
  tables.AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no unwind information (CFI) for 500 of 1000 addresses sampled in "
                             "it (code built without unwind tables, or hand-written assembly); "
                             "no frame pointer to follow at 60 of them: those stacks stop there"),
            std::string::npos)
      << warnings[0];
}

// Nearly every address without CFI: the .eh_frame is the suspect, even
// when frame pointers (or rbp being zero) ended every stack "cleanly".
TEST_F(NamesTest, CfiWarningWhenNearlyAllAddressesLackCfi) {
  elf::ModuleCache cache;
  unwind::CfiTables tables;
  const elf::ModuleRef* ref = cache.Lookup(TextMapping(full_, 0x555555554000));
  ASSERT_NE(ref->module, nullptr);
  unwind::CfiTables::Entry& e = tables.For(*ref);
  e.lookups = 100;
  e.misses = 99;
  std::vector<std::string> warnings;
  tables.AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("for 99 of 100 addresses sampled in it (its .eh_frame covers "
                             "little of its code: built without unwind tables, or corrupt); "
                             "they were crossed by frame pointer"),
            std::string::npos)
      << warnings[0];
}

// Stacks that stop in anonymous executable memory (JIT code whose frame
// pointer leads nowhere) are counted apart from any file's CFI.
TEST(TableUnwinderWarnings, JitStopsAreTheirOwnLine) {
  auto maps = ProcessMaps::Parse("7f0000000000-7f0000001000 r-xp 00000000 00:00 0 \n", "");
  ASSERT_TRUE(maps.ok());
  unwind::TableUnwinder unwinder;
  std::vector<uint64_t> pcs;
  for (int i = 0; i < 20; ++i) {
    RawSample s;
    s.pid = s.tid = 1;
    s.has_user_regs = true;
    s.regs[kRip] = 0x7f0000000010;
    s.regs[kRsp] = 0x7ffd00000000;
    s.regs[kRbp] = 0x10;  // below rsp: no frame pointer
    s.stack.assign(256, 0);
    EXPECT_EQ(unwinder.Unwind(s, *maps, &pcs), UnwindOutcome::kFailed);
  }
  std::vector<std::string> warnings;
  unwinder.AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("20 of 20 stacks stop in code that has no file behind it (JIT code"),
            std::string::npos)
      << warnings[0];
}

}  // namespace
}  // namespace stackfire::symbolize
