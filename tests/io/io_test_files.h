// Files for the io tests: a path under the test's temporary directory, a
// file written with given bytes, and text compressed as one gzip member.
#ifndef STACKFIRE_TESTS_IO_IO_TEST_FILES_H_
#define STACKFIRE_TESTS_IO_IO_TEST_FILES_H_

#include <zlib.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace stackfire::io {

inline std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

inline std::string Gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = text.size();
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = out.size();
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace stackfire::io

#endif  // STACKFIRE_TESTS_IO_IO_TEST_FILES_H_
