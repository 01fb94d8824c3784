// PLT stubs are named NAME@plt, as objdump names them. Checked against
// objdump -d on real files: this test binary, Debian's /usr/bin/ls (stripped)
// and libc. Without the stub names, an address in a stub took the name of the
// symbol before the PLT (_init), a function the sample was not in.
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/symbolize/symbol_table.h"

namespace stackfire::symbolize {
namespace {

// (address, name) of every stub objdump disassembles in the PLT sections.
std::vector<std::pair<uint64_t, std::string>> ObjdumpStubs(const std::string& path) {
  std::vector<std::pair<uint64_t, std::string>> stubs;
  const std::string cmd =
      "objdump -d -j .plt -j .plt.sec -j .plt.got '" + path + "' 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return stubs;
  const std::regex line("^([0-9a-f]+) <([^>+]+@plt)>:$");
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), pipe) != nullptr) {
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    std::smatch m;
    if (std::regex_match(s, m, line)) stubs.emplace_back(std::stoull(m[1], nullptr, 16), m[2]);
  }
  pclose(pipe);
  return stubs;
}

void ExpectStubsNamedAsObjdump(const std::string& path, size_t at_least) {
  SCOPED_TRACE(path);
  const auto expected = ObjdumpStubs(path);
  ASSERT_GE(expected.size(), at_least) << "objdump found too few stubs (binutils installed?)";
  elf_version(EV_CURRENT);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  ASSERT_NE(elf, nullptr);
  {
    SymbolTable table = SymbolTable::FromElf(elf, SHT_SYMTAB);
    if (table.empty()) table = SymbolTable::FromElf(elf, SHT_DYNSYM);
    table.AddPltStubs(elf);
    // The table is moved, as ModuleSymbols moves it: the names stay valid.
    const SymbolTable moved = std::move(table);
    size_t named = 0;
    for (const auto& [addr, name] : expected) {
      for (uint64_t at : {addr, addr + 6}) {
        const SymbolTable::Symbol* sym = moved.Lookup(at);
        ASSERT_NE(sym, nullptr) << name << " at 0x" << std::hex << at;
        EXPECT_EQ(std::string(sym->name), name) << "at 0x" << std::hex << at;
      }
      ++named;
    }
    EXPECT_EQ(named, expected.size());
  }
  elf_end(elf);
  close(fd);
}

// This binary's path: objdump, run by popen, has its own /proc/self/exe.
std::string SelfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

TEST(PltStubs, ThisTestBinaryMatchesObjdump) {
  ExpectStubsNamedAsObjdump(SelfPath(), 5);
}

TEST(PltStubs, DebiansStrippedLsMatchesObjdump) {
  ExpectStubsNamedAsObjdump("/usr/bin/ls", 20);
}

TEST(PltStubs, LibcMatchesObjdump) {
  ExpectStubsNamedAsObjdump("/lib/x86_64-linux-gnu/libc.so.6", 1);
}

TEST(PltStubs, AddressesBeforeThePltKeepTheirSymbol) {
  // _init sits right before .plt in this binary: it keeps its own name, and
  // no stub takes an address outside the PLT.
  elf_version(EV_CURRENT);
  const int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  ASSERT_NE(elf, nullptr);
  SymbolTable before = SymbolTable::FromElf(elf, SHT_SYMTAB);
  SymbolTable after = SymbolTable::FromElf(elf, SHT_SYMTAB);
  after.AddPltStubs(elf);
  EXPECT_GT(after.size(), before.size());
  size_t shstrndx = 0;
  ASSERT_EQ(elf_getshdrstrndx(elf, &shstrndx), 0);
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    ASSERT_NE(gelf_getshdr(scn, &shdr), nullptr);
    if (std::string(elf_strptr(elf, shstrndx, shdr.sh_name)) != ".init") continue;
    const SymbolTable::Symbol* sym = after.Lookup(shdr.sh_addr);
    ASSERT_NE(sym, nullptr);
    EXPECT_EQ(std::string(sym->name), "_init");
  }
  elf_end(elf);
  close(fd);
}

}  // namespace
}  // namespace stackfire::symbolize
