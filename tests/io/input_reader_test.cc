// InputReader: plain files (mapped), pipes, gzip (one or more members,
// corrupt, truncated), and the errors that name the input.
#include "src/io/input_reader.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/io/io_test_files.h"

namespace stackfire::io {
namespace {

absl::StatusOr<std::string> ReadAll(InputReader& r) {
  std::string all;
  while (true) {
    absl::StatusOr<std::string_view> piece = r.Next();
    if (!piece.ok()) return piece.status();
    if (piece->empty()) return all;
    all.append(*piece);
  }
}

std::string BigText() {
  std::string s;
  for (int i = 0; s.size() < 3 * InputReader::kWindowSize; ++i) {
    s += "line " + std::to_string(i) + " of a text that spans several windows\n";
  }
  return s;
}

TEST(InputReaderTest, ReadsAPlainFileAcrossWindows) {
  std::string text = BigText();
  WriteFile(TempPath("plain.txt"), text);
  auto r = InputReader::Open(TempPath("plain.txt"));
  ASSERT_TRUE(r.ok()) << r.status();
  auto all = ReadAll(**r);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, text);
  EXPECT_FALSE((*r)->gzip());
}

TEST(InputReaderTest, InflatesGzipByMagicNotName) {
  std::string text = BigText();
  WriteFile(TempPath("compressed.data"), Gzip(text));
  auto r = InputReader::Open(TempPath("compressed.data"));
  ASSERT_TRUE(r.ok()) << r.status();
  auto all = ReadAll(**r);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, text);
  EXPECT_TRUE((*r)->gzip());
}

TEST(InputReaderTest, ReadsConcatenatedGzipMembers) {
  WriteFile(TempPath("two.gz"), Gzip("first\n") + Gzip("second\n"));
  auto r = InputReader::Open(TempPath("two.gz"));
  ASSERT_TRUE(r.ok());
  auto all = ReadAll(**r);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "first\nsecond\n");
}

TEST(InputReaderTest, TruncatedGzipIsAnErrorNamingTheFile) {
  std::string gz = Gzip(BigText());
  WriteFile(TempPath("cut.gz"), gz.substr(0, gz.size() / 2));
  auto r = InputReader::Open(TempPath("cut.gz"));
  ASSERT_TRUE(r.ok());
  auto all = ReadAll(**r);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(all.status().message().find("cut.gz"), absl::string_view::npos);
}

TEST(InputReaderTest, CorruptGzipIsAnError) {
  std::string gz = Gzip(BigText());
  for (size_t i = 20; i < 200; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  WriteFile(TempPath("bad.gz"), gz);
  auto r = InputReader::Open(TempPath("bad.gz"));
  ASSERT_TRUE(r.ok());
  auto all = ReadAll(**r);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss);
}

TEST(InputReaderTest, ReadsAPipeThatTrickles) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string gz = Gzip("from a pipe\n");
  std::thread writer([&] {
    // One byte first, so the magic arrives in two reads.
    EXPECT_EQ(write(fds[1], gz.data(), 1), 1);
    usleep(20000);
    EXPECT_EQ(write(fds[1], gz.data() + 1, gz.size() - 1), static_cast<ssize_t>(gz.size() - 1));
    close(fds[1]);
  });
  auto r = InputReader::FromFd(ScopedFd(fds[0]), "<pipe>");
  auto all = ReadAll(*r);
  writer.join();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "from a pipe\n");
}

TEST(InputReaderTest, EmptyFileIsEmpty) {
  WriteFile(TempPath("empty.txt"), "");
  auto r = InputReader::Open(TempPath("empty.txt"));
  ASSERT_TRUE(r.ok());
  auto all = ReadAll(**r);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, "");
}

TEST(InputReaderTest, MissingFileIsNotFound) {
  auto r = InputReader::Open("/nonexistent/perf.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("'/nonexistent/perf.txt'"), absl::string_view::npos);
}

TEST(InputReaderTest, DirectoryIsRefused) {
  auto r = InputReader::Open(::testing::TempDir());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("directory"), absl::string_view::npos);
}

}  // namespace
}  // namespace stackfire::io
