// The debuginfod client against Debian's real server (`debuginfod -F`,
// started here on 127.0.0.1, serving the split debug file of the stripped
// names_target), against a port where nothing listens, against a server
// that accepts connections and never answers, and with the library missing.
// Every query is bounded: the test asserts the time each failure takes.
#include <gelf.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/symbolize/debug_info.h"
#include "src/symbolize/debuginfod_client.h"
#include "src/symbolize/function_starts.h"
#include "src/symbolize/symbolizers.h"
#include "src/elf/elf_module.h"
#include "tests/symbolize/debuginfod_server.h"

namespace stackfire::symbolize {
namespace {

using testing::Port;
using testing::Server;

using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sf_debuginfod_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string BuildIdHexOf(const std::string& path) {
  Mapping m;
  m.path = m.open_path = path;
  auto module = elf::ElfModule::Open(m);
  return module.ok() ? elf::BuildIdHex((*module)->build_id()) : "";
}

std::string RawBuildIdOf(const std::string& path) {
  Mapping m;
  m.path = m.open_path = path;
  auto module = elf::ElfModule::Open(m);
  return module.ok() ? (*module)->build_id() : "";
}

// The address of the first function symbol whose name contains `part`.
uint64_t SymbolAddress(const std::string& path, const std::string& part) {
  auto f = ElfFile::Open(path);
  if (f == nullptr) return 0;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(f->elf(), scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data != nullptr && i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      const char* name = elf_strptr(f->elf(), shdr.sh_link, sym.st_name);
      if (GELF_ST_TYPE(sym.st_info) == STT_FUNC && name != nullptr &&
          std::string(name).find(part) != std::string::npos) {
        return sym.st_value;
      }
    }
  }
  return 0;
}

DebuginfodOptions Quiet() {
  DebuginfodOptions o;
  o.progress = false;
  return o;
}

class DebuginfodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stripped_ = Env("NAMES_TARGET_STRIPPED");
    ASSERT_FALSE(stripped_.empty()) << "run through meson test";
    ::setenv("DEBUGINFOD_CACHE_PATH", (cache_.path() + "/cache").c_str(), 1);
    ::unsetenv("DEBUGINFOD_TIMEOUT");
  }
  void TearDown() override { ::unsetenv("DEBUGINFOD_URLS"); }
  TempDir cache_;
  std::string stripped_;
};

TEST_F(DebuginfodTest, OffWithoutUrls) {
  ::unsetenv("DEBUGINFOD_URLS");
  EXPECT_EQ(DebuginfodClient::Create(Quiet()), nullptr);
  ::setenv("DEBUGINFOD_URLS", "", 1);
  EXPECT_EQ(DebuginfodClient::Create(Quiet()), nullptr);
}

TEST_F(DebuginfodTest, RealServerServesTheSplitDebugFile) {
  const std::string binary = Env("DEBUGINFOD_BIN");
  if (binary.empty()) {
    GTEST_SKIP() << "Debian's debuginfod is not installed (STACKFIRE_SETUP_TESTS=1 "
                    "scripts/setup.sh installs it)";
  }
  TempDir srv;
  ASSERT_EQ(std::system(("cp '" + Env("NAMES_TARGET_DEBUG") + "' '" + srv.path() + "/'").c_str()),
            0);
  Server server(binary, srv.path(), cache_.path() + "/db.sqlite");
  const std::string hex = BuildIdHexOf(stripped_);
  ASSERT_EQ(hex, BuildIdHexOf(Env("NAMES_TARGET_DEBUG")));
  ASSERT_TRUE(server.WaitFor("/buildid/" + hex + "/debuginfo")) << server.log();
  ::setenv("DEBUGINFOD_URLS", server.url().c_str(), 1);

  // The symbolizer fetches only once sampling runs: warm-up names are the
  // stripped file's; the first sample in the module fetches and renames.
  SymbolizerOptions options;
  options.debuginfod = true;
  options.debuginfod_options = Quiet();
  auto symbolizer = CreateSymbolizer(options);
  auto maps = ProcessMaps::Parse("", "");
  Mapping m;
  m.path = m.open_path = stripped_;
  m.prot = PROT_READ | PROT_EXEC;
  m.start = 0x555555554000;
  m.end = m.start + 0x10000;
  maps->Insert(m);
  const uint64_t alpha = SymbolAddress(Env("NAMES_TARGET"), "names_alpha");
  ASSERT_NE(alpha, 0u);
  std::vector<Frame> frames;
  symbolizer->SymbolizeUser(1, *maps, m.start + alpha + 5, false, &frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].name, AddressFrameName(stripped_, alpha));
  symbolizer->BeginSampling();
  frames.clear();
  const auto t0 = Clock::now();
  symbolizer->SymbolizeUser(1, *maps, m.start + alpha + 5, false, &frames);
  EXPECT_LT(Since(t0), 10);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().name, "(anonymous namespace)::names_alpha");
  std::vector<std::string> warnings;
  symbolizer->AppendWarnings(&warnings);
  EXPECT_TRUE(warnings.empty()) << warnings[0];

  // The library's cache answers the next client without a server.
  auto client = DebuginfodClient::Create(Quiet());
  ASSERT_NE(client, nullptr);
  const std::string path = client->FetchDebugInfo(RawBuildIdOf(stripped_), "names_target");
  EXPECT_EQ(path.rfind(cache_.path() + "/cache/" + hex, 0), 0u) << path;
  EXPECT_EQ(client->stats().found, 1u);
  EXPECT_EQ(client->stats().downloads, 0u);
}

TEST_F(DebuginfodTest, NothingListeningFailsAtOnceAndStopsAsking) {
  Port closed(false);
  ::setenv("DEBUGINFOD_URLS", closed.url().c_str(), 1);
  auto client = DebuginfodClient::Create(Quiet());
  ASSERT_NE(client, nullptr);
  const auto t0 = Clock::now();
  EXPECT_EQ(client->FetchDebugInfo(RawBuildIdOf(stripped_), "names_target"), "");
  EXPECT_LT(Since(t0), 3);
  EXPECT_EQ(client->FetchDebugInfo("\x12\x34\x56\x78", "another"), "");
  EXPECT_EQ(client->stats().queries, 1u);  // the second made none
  std::vector<std::string> warnings;
  client->AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Connection refused"), std::string::npos) << warnings[0];
}

TEST_F(DebuginfodTest, ServerThatNeverAnswersIsBounded) {
  Port silent(true);  // the kernel accepts connections; nobody reads them
  ::setenv("DEBUGINFOD_URLS", silent.url().c_str(), 1);
  DebuginfodOptions options = Quiet();
  options.stall_seconds = 1;
  auto client = DebuginfodClient::Create(options);
  const auto t0 = Clock::now();
  EXPECT_EQ(client->FetchDebugInfo(RawBuildIdOf(stripped_), "names_target"), "");
  const double took = Since(t0);
  EXPECT_GE(took, 1);
  EXPECT_LT(took, 4);
  EXPECT_EQ(client->FetchDebugInfo("\x12\x34\x56\x78", "another"), "");
  EXPECT_EQ(client->stats().queries, 1u);
  EXPECT_EQ(client->stats().abandoned, 1u);
  std::vector<std::string> warnings;
  client->AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no server answered within"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("no more debuginfod queries in this run"), std::string::npos);

  // The library remembers the miss in its cache (for cache_miss_s, 10
  // minutes by default): the next run does not wait for that server again.
  auto next_run = DebuginfodClient::Create(options);
  const auto t2 = Clock::now();
  EXPECT_EQ(next_run->FetchDebugInfo(RawBuildIdOf(stripped_), "names_target"), "");
  EXPECT_LT(Since(t2), 0.5);

  // DEBUGINFOD_TIMEOUT sets the same bound; a stop signal cuts it short.
  ::setenv("DEBUGINFOD_TIMEOUT", "60", 1);
  ::setenv("DEBUGINFOD_CACHE_PATH", (cache_.path() + "/cache2").c_str(), 1);
  DebuginfodOptions stop = Quiet();
  const auto t1 = Clock::now();
  stop.cancelled = [t1] { return Since(t1) > 0.5; };
  auto cancelled = DebuginfodClient::Create(stop);
  EXPECT_EQ(cancelled->FetchDebugInfo(RawBuildIdOf(stripped_), "names_target"), "");
  EXPECT_LT(Since(t1), 3);
  warnings.clear();
  cancelled->AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("interrupted"), std::string::npos) << warnings[0];
}

TEST_F(DebuginfodTest, MissingLibraryIsOneWarning) {
  ::setenv("DEBUGINFOD_URLS", "http://127.0.0.1:1", 1);
  DebuginfodOptions options = Quiet();
  options.library = "libstackfire-no-such-debuginfod.so.1";
  auto client = DebuginfodClient::Create(options);
  EXPECT_EQ(client->FetchDebugInfo(RawBuildIdOf(stripped_), "a"), "");
  EXPECT_EQ(client->FetchDebugInfo(RawBuildIdOf(stripped_), "b"), "");
  std::vector<std::string> warnings;
  client->AppendWarnings(&warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("install libdebuginfod1"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace stackfire::symbolize
