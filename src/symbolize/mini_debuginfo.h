// MiniDebugInfo: the `.gnu_debugdata` section that Fedora, RHEL and CentOS
// put in their stripped binaries. It holds an xz-compressed ELF file whose
// .symtab lists the functions that .dynsym does not (see gdb's "MiniDebugInfo"
// documentation), enough to name every function without a debug package.
//
// The section is untrusted input: the decompressed size is bounded
// (kMaxMiniDebugInfoBytes, and xz's own memory limit), and the inner ELF is
// parsed by libelf from memory only.
#ifndef STACKFIRE_SRC_SYMBOLIZE_MINI_DEBUGINFO_H_
#define STACKFIRE_SRC_SYMBOLIZE_MINI_DEBUGINFO_H_

#include <libelf.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace stackfire::symbolize {

// Fedora's largest (libxul's) decompresses to a few MB.
inline constexpr size_t kMaxMiniDebugInfoBytes = size_t{64} << 20;

// Decompresses a complete .xz stream (concatenated streams too) of at most
// max_out bytes of output. kDataLoss when it is not valid xz data,
// kResourceExhausted when the output would be larger.
absl::StatusOr<std::string> DecompressXz(std::string_view in, size_t max_out);

class MiniDebugInfo {
 public:
  // The inner ELF of elf's .gnu_debugdata. nullptr with *error empty when
  // there is no such section; nullptr with *error set when there is one
  // that cannot be used.
  static std::unique_ptr<MiniDebugInfo> Read(Elf* elf, std::string* error);
  // Parses an inner ELF image already decompressed (for tests and fuzzing).
  static std::unique_ptr<MiniDebugInfo> FromImage(std::string image, std::string* error);
  ~MiniDebugInfo();
  MiniDebugInfo(const MiniDebugInfo&) = delete;
  MiniDebugInfo& operator=(const MiniDebugInfo&) = delete;

  Elf* elf() const { return elf_; }  // valid as long as this object

 private:
  MiniDebugInfo() = default;
  std::string image_;
  Elf* elf_ = nullptr;
};

// The contents of the section named `name`, or empty when there is none.
std::string_view SectionData(Elf* elf, std::string_view name);

}  // namespace stackfire::symbolize

#endif  // STACKFIRE_SRC_SYMBOLIZE_MINI_DEBUGINFO_H_
