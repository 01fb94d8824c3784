#include "src/cli/folded_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <memory>

#include "stackfire/scoped_fd.h"

namespace stackfire::cli {

absl::Status ReadFoldedPath(const std::string& path, FoldedInput* out, bool allow_two_columns) {
  if (path == "-") return ReadFolded(std::cin, "<stdin>", out, allow_two_columns);
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return absl::ErrnoToStatus(errno, "cannot open " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    size_t size = static_cast<size_t>(st.st_size);
    void* addr = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (addr != MAP_FAILED) {
      ::madvise(addr, size, MADV_SEQUENTIAL);
      auto region = std::make_shared<MmapRegion>(addr, size);
      ParseFoldedText(std::string_view(static_cast<const char*>(addr), size), path, out,
                      allow_two_columns);
      out->owners.push_back(std::move(region));
      return absl::OkStatus();
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::ErrnoToStatus(errno, "cannot open " + path);
  return ReadFolded(in, path, out, allow_two_columns);
}

}  // namespace stackfire::cli
