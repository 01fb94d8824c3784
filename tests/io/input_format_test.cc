// SniffInputFormat and RequireText: perf.data (both magics), ELF and other
// binary data are refused with the file's name; folded stacks and `perf
// script` text are told apart for hints. InputReader::Head() shows the same
// bytes whether the input is a mapped file, a pipe or gzip, and reading
// afterwards still starts at the beginning.
#include "src/io/input_format.h"

#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/io/io_test_files.h"
#include "src/io/folded_input.h"

namespace stackfire::io {
namespace {

// The start of a perf.data header as perf 6.1 writes it: magic, then the
// header size (104) as a little-endian u64.
std::string PerfDataHeader(std::string_view magic) {
  std::string h(magic);
  h += std::string("\x68\0\0\0\0\0\0\0", 8);
  h += std::string(200, '\0');
  return h;
}

constexpr char kPerfScript[] =
    "# ========\n"
    "# captured on    : Thu Jan  1 00:00:00 2024\n"
    "app 1234 [000] 10.000001:     250000 cpu-clock:\n"
    "\t    55d0c0a01139 hot+0x9 (/usr/bin/app)\n"
    "\t    7f0e2c02a1ca __libc_start_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n";

constexpr char kFolded[] = "main;work;hot 31\nmain;idle 2.5\r\nmain 1\n";

TEST(SniffInputFormatTest, TellsFormatsApart) {
  EXPECT_EQ(SniffInputFormat(""), InputFormat::kEmpty);
  EXPECT_EQ(SniffInputFormat(PerfDataHeader("PERFILE2")), InputFormat::kPerfData);
  EXPECT_EQ(SniffInputFormat(PerfDataHeader("PERFFILE")), InputFormat::kPerfData);
  EXPECT_EQ(SniffInputFormat(std::string("\x7f"
                                         "ELF\x02\x01\x01\0\0\0",
                                         10)),
            InputFormat::kElf);
  EXPECT_EQ(SniffInputFormat(std::string("text then a NUL\0", 16)), InputFormat::kBinary);
  EXPECT_EQ(SniffInputFormat(kPerfScript), InputFormat::kPerfScript);
  EXPECT_EQ(SniffInputFormat(kFolded), InputFormat::kFolded);
  // The last line may be cut by the end of the head.
  EXPECT_EQ(SniffInputFormat("main;work 3\nmain;wo"), InputFormat::kFolded);
  EXPECT_EQ(SniffInputFormat("hello world\nmain 1\n"), InputFormat::kText);
  EXPECT_EQ(SniffInputFormat("PERFILE"), InputFormat::kText);  // too short for the magic
}

TEST(RequireTextTest, RefusesPerfDataNamingTheFile) {
  const std::string path = TempPath("perf.data");
  WriteFile(path, PerfDataHeader("PERFILE2"));
  auto r = InputReader::Open(path);
  ASSERT_TRUE(r.ok());
  InputFormat format = InputFormat::kText;
  absl::Status s = RequireText(**r, &format);
  EXPECT_EQ(format, InputFormat::kPerfData);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(s.message(),
            "'" + path + "' is a perf.data file (perf record's binary output), not text");
}

TEST(RequireTextTest, SeesPerfDataInsideGzipAndThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string gz = Gzip(PerfDataHeader("PERFILE2"));
  std::thread writer([&] {
    // A byte at a time at first, as a slow pipe delivers it.
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(write(fds[1], gz.data() + i, 1), 1);
      usleep(2000);
    }
    EXPECT_EQ(write(fds[1], gz.data() + 4, gz.size() - 4), static_cast<ssize_t>(gz.size() - 4));
    close(fds[1]);
  });
  auto r = InputReader::FromFd(ScopedFd(fds[0]), "<stdin>");
  absl::Status s = RequireText(*r);
  writer.join();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_EQ(s.message(),
            "the input on stdin is a perf.data file (perf record's binary output), not text");
}

TEST(RequireTextTest, AcceptsTextAndReadingStartsAtTheBeginning) {
  for (bool gzip : {false, true}) {
    const std::string path = TempPath(gzip ? "script.txt.gz" : "script.txt");
    WriteFile(path, gzip ? Gzip(kPerfScript) : std::string(kPerfScript));
    auto r = InputReader::Open(path);
    ASSERT_TRUE(r.ok());
    InputFormat format = InputFormat::kEmpty;
    ASSERT_TRUE(RequireText(**r, &format).ok());
    EXPECT_EQ(format, InputFormat::kPerfScript);
    std::string all;
    while (true) {
      auto piece = (*r)->Next();
      ASSERT_TRUE(piece.ok());
      if (piece->empty()) break;
      all.append(*piece);
    }
    EXPECT_EQ(all, kPerfScript) << (gzip ? "gzip" : "plain");
  }
}

TEST(RequireTextTest, HeadOfAPipeIsWholeUpToItsSize) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string text;
  while (text.size() < 3 * InputReader::kHeadSize) text += "main;work 1\n";
  std::thread writer([&] {
    for (size_t at = 0; at < text.size(); at += 100) {
      const size_t n = std::min<size_t>(100, text.size() - at);
      EXPECT_EQ(write(fds[1], text.data() + at, n), static_cast<ssize_t>(n));
    }
    close(fds[1]);
  });
  auto r = InputReader::FromFd(ScopedFd(fds[0]), "<pipe>");
  auto head = r->Head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, std::string_view(text).substr(0, InputReader::kHeadSize));
  collapse::FoldedInput input;
  ASSERT_TRUE(ReadFoldedInput(std::move(r), &input).ok());
  writer.join();
  EXPECT_EQ(input.records.size(), text.size() / 12);
  EXPECT_EQ(input.bad_lines, 0u);
}

TEST(ReadFoldedInputTest, MappedGzipAndPipedInputsParseAlike) {
  const std::string plain = TempPath("p.folded"), gz = TempPath("p.folded.gz");
  WriteFile(plain, kFolded);
  WriteFile(gz, Gzip(kFolded));
  for (const std::string& path : {plain, gz}) {
    auto r = InputReader::Open(path);
    ASSERT_TRUE(r.ok());
    collapse::FoldedInput input;
    ASSERT_TRUE(ReadFoldedInput(*std::move(r), &input).ok());
    ASSERT_EQ(input.records.size(), 3u) << path;
    EXPECT_EQ(input.records[0].stack, "main;work;hot");
    EXPECT_EQ(input.records[1].count, 2.5);
    EXPECT_EQ(input.records[2].stack, "main");
    EXPECT_EQ(input.lines, 3u);
  }
}

TEST(ReadFoldedInputTest, CorruptGzipIsAnError) {
  const std::string path = TempPath("bad.folded.gz");
  std::string gz = Gzip(std::string(100000, 'x'));
  gz.resize(gz.size() / 2);
  WriteFile(path, gz);
  auto r = InputReader::Open(path);
  ASSERT_TRUE(r.ok());
  collapse::FoldedInput input;
  absl::Status s = ReadFoldedInput(*std::move(r), &input);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
}

}  // namespace
}  // namespace stackfire::io
