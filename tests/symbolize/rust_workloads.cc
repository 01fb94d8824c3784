#include "tests/symbolize/rust_workloads.h"

#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace stackfire::rust_test {

Variant FindVariant(const std::string& label) {
  Variant v;
  v.label = label;
  const char* path = std::getenv("RUST_MANIFEST");
  if (path == nullptr) return v;
  std::ifstream in(path);
  std::string line;
  // "LABEL PATH RUSTC VERSION", or "# skipped LABEL...: why".
  while (std::getline(in, line)) {
    if (line.rfind("# skipped ", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::istringstream labels(line.substr(10, colon - 10));
      std::string l;
      while (labels >> l) {
        if (l == label) v.skipped = line.substr(colon + 1);
      }
      continue;
    }
    std::istringstream fields(line);
    std::string l;
    Variant found;
    if (fields >> l >> found.path >> found.rustc >> found.version && l == label) {
      found.label = label;
      return found;
    }
  }
  return v;
}

std::vector<std::pair<uint64_t, std::string>> FunctionSymbols(const std::string& path) {
  std::vector<std::pair<uint64_t, std::string>> out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  Elf_Scn* scn = nullptr;
  while (elf != nullptr && (scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr || shdr.sh_type != SHT_SYMTAB) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    const size_t n = shdr.sh_entsize != 0 ? shdr.sh_size / shdr.sh_entsize : 0;
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_value == 0) continue;
      if (const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name)) {
        out.emplace_back(sym.st_value, name);
      }
    }
  }
  if (elf != nullptr) elf_end(elf);
  close(fd);
  return out;
}

bool FileOffsetToVaddr(const std::string& path, uint64_t offset, uint64_t* vaddr) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t n = 0;
  bool found = false;
  if (elf != nullptr && elf_getphdrnum(elf, &n) == 0) {
    for (size_t i = 0; i < n && !found; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) == nullptr || ph.p_type != PT_LOAD) continue;
      if (offset >= ph.p_offset && offset < ph.p_offset + ph.p_filesz) {
        *vaddr = offset - ph.p_offset + ph.p_vaddr;
        found = true;
      }
    }
  }
  if (elf != nullptr) elf_end(elf);
  close(fd);
  return found;
}

std::map<uint64_t, std::vector<std::string>> Addr2line(const std::string& binary,
                                                         const std::vector<uint64_t>& addrs) {
  std::map<uint64_t, std::vector<std::string>> out;
  char tmpl[] = "/tmp/stackfire_addr2line_XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) return out;
  std::string text;
  for (uint64_t a : addrs) absl::StrAppend(&text, "0x", absl::Hex(a), "\n");
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (written) {
    const std::string cmd = "addr2line -a -i -f -C -e '" + binary + "' < " + tmpl;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      // Per address: "0x<16 hex digits>", then (name, file:line) per level.
      std::vector<std::string>* cur = nullptr;
      bool name_next = false;
      std::string l;
      int c;
      while ((c = fgetc(p)) != EOF) {
        if (c != '\n') {
          l.push_back(static_cast<char>(c));
          continue;
        }
        if (l.size() == 18 && l.rfind("0x", 0) == 0) {
          cur = &out[std::strtoull(l.c_str(), nullptr, 16)];
          name_next = true;
        } else if (cur != nullptr) {
          if (name_next) cur->push_back(l);
          name_next = !name_next;
        }
        l.clear();
      }
      pclose(p);
    }
  }
  unlink(tmpl);
  return out;
}

std::string RawRustProblem(const std::string& name) {
  static const std::regex hash("::h[0-9a-f]{16}");
  static const std::regex mangled("^(_ZN|_R[A-Z])");
  if (std::regex_search(name, hash)) return "hash";
  for (const char* piece : {"$LT$", "$GT$", "$u7b$", "$u7d$", "$u20$", "$C$", "..", ".llvm."}) {
    if (name.find(piece) != std::string::npos) return piece;
  }
  if (std::regex_search(name, mangled)) return "raw";
  return "";
}

}  // namespace stackfire::rust_test
