#include "stackfire/process_maps.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "src/proc/threads.h"

namespace stackfire {
namespace {

constexpr char kMaps[] =
    "55c71256f000-55c712571000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
    "55c712571000-55c712576000 r-xp 00002000 fe:00 247134                     /usr/bin/cat\n"
    "55c745eb2000-55c745ed3000 rw-p 00000000 00:00 0                          [heap]\n"
    "7f58ae9f2000-7f58aea14000 rw-p 00000000 00:00 0 \n"
    "7f58aea9b000-7f58aebf1000 r-xp 00026000 fe:00 332835                     "
    "/usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7f58aec70000-7f58aec72000 r-xp 00000000 00:00 0                          [vdso]\n"
    "7f58aec80000-7f58aec81000 r-xp 00001000 fe:00 12 /tmp/my lib.so (deleted)\n";

TEST(ProcessMapsTest, ParsesFields) {
  auto maps = ProcessMaps::Parse(kMaps, "/proc/42/root");
  ASSERT_TRUE(maps.ok()) << maps.status();
  ASSERT_EQ(maps->mappings().size(), 7u);
  const Mapping& text = maps->mappings()[1];
  EXPECT_EQ(text.start, 0x55c712571000u);
  EXPECT_EQ(text.end, 0x55c712576000u);
  EXPECT_EQ(text.pgoff, 0x2000u);
  EXPECT_TRUE(text.executable());
  EXPECT_EQ(text.dev_major, 0xfeu);
  EXPECT_EQ(text.inode, 247134u);
  EXPECT_EQ(text.path, "/usr/bin/cat");
  EXPECT_EQ(text.open_path, "/proc/42/root/usr/bin/cat");
  EXPECT_FALSE(maps->mappings()[0].executable());
  EXPECT_EQ(maps->mappings()[2].path, "[heap]");
  EXPECT_EQ(maps->mappings()[2].open_path, "");
  EXPECT_EQ(maps->mappings()[3].path, "");
  EXPECT_EQ(maps->mappings()[6].path, "/tmp/my lib.so (deleted)");
  EXPECT_EQ(maps->mappings()[6].open_path, "/proc/42/root/tmp/my lib.so");
}

TEST(ProcessMapsTest, FindUsesHalfOpenRanges) {
  auto maps = ProcessMaps::Parse(kMaps, "");
  ASSERT_TRUE(maps.ok());
  EXPECT_EQ(maps->Find(0x55c71256f000)->path, "/usr/bin/cat");
  EXPECT_EQ(maps->Find(0x55c712575fff)->pgoff, 0x2000u);
  EXPECT_EQ(maps->Find(0x55c712576000), nullptr);
  EXPECT_EQ(maps->Find(0x1000), nullptr);
  EXPECT_EQ(maps->Find(0x7f58aebf0000)->path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_EQ(maps->Find(0xffffffffffffffff), nullptr);
}

TEST(ProcessMapsTest, MalformedLineIsNamed) {
  auto maps = ProcessMaps::Parse(
      "1000-2000 r-xp 00000000 fe:00 1 /a\n1000-zz r-xp 0 fe:00 1 /b\n", "");
  ASSERT_FALSE(maps.ok());
  EXPECT_NE(maps.status().message().find("line 2"), std::string::npos) << maps.status();
  EXPECT_NE(maps.status().message().find("1000-zz"), std::string::npos);
  EXPECT_FALSE(ProcessMaps::Parse("1000-2000 rwzp 0 fe:00 1 /a\n", "").ok());
  EXPECT_FALSE(ProcessMaps::Parse("2000-1000 r--p 0 fe:00 1 /a\n", "").ok());
  EXPECT_FALSE(ProcessMaps::Parse("1000-2000 r--p 0 fe00 1 /a\n", "").ok());
  EXPECT_FALSE(ProcessMaps::Parse("1000-2000 r--p\n", "").ok());
}

TEST(ProcessMapsTest, InsertCutsOverlaps) {
  ProcessMaps maps;
  maps.Insert(Mapping{.start = 0x1000, .end = 0x5000, .pgoff = 0, .path = "/old"});
  maps.Insert(Mapping{.start = 0x8000, .end = 0x9000, .path = "/far"});
  // Punches a hole in the middle of /old.
  maps.Insert(Mapping{.start = 0x2000, .end = 0x3000, .path = "/new"});
  ASSERT_EQ(maps.mappings().size(), 4u);
  EXPECT_EQ(maps.mappings()[0].path, "/old");
  EXPECT_EQ(maps.mappings()[0].end, 0x2000u);
  EXPECT_EQ(maps.mappings()[1].path, "/new");
  EXPECT_EQ(maps.mappings()[2].path, "/old");
  EXPECT_EQ(maps.mappings()[2].start, 0x3000u);
  EXPECT_EQ(maps.mappings()[2].pgoff, 0x2000u);  // the file offset follows the cut
  EXPECT_EQ(maps.Find(0x2800)->path, "/new");
  EXPECT_EQ(maps.Find(0x4000)->path, "/old");
  // Covers the tail of /old and the whole of /far.
  maps.Insert(Mapping{.start = 0x4000, .end = 0xa000, .path = "/big"});
  ASSERT_EQ(maps.mappings().size(), 4u);
  EXPECT_EQ(maps.mappings()[2].end, 0x4000u);
  EXPECT_EQ(maps.Find(0x8800)->path, "/big");
  maps.Clear();
  EXPECT_EQ(maps.Find(0x2800), nullptr);
}

TEST(ProcessMapsTest, EraseAtRemovesOnlyThatMappingOfThatFile) {
  ProcessMaps maps;
  for (uint64_t start : {0x1000u, 0x3000u, 0x5000u}) {
    Mapping m;
    m.start = start;
    m.end = start + 0x1000;
    m.path = start == 0x3000 ? "/lib/b.so" : "/lib/a.so";
    maps.Insert(m);
  }
  maps.EraseAt(0x3000, "/lib/a.so");  // another file starts there: kept
  maps.EraseAt(0x1800, "/lib/a.so");  // not a start: kept
  EXPECT_EQ(maps.mappings().size(), 3u);
  maps.EraseAt(0x1000, "/lib/a.so");
  ASSERT_EQ(maps.mappings().size(), 2u);
  EXPECT_EQ(maps.Find(0x1800), nullptr);
  EXPECT_NE(maps.Find(0x3800), nullptr);
  EXPECT_NE(maps.Find(0x5800), nullptr);
}

TEST(ProcessMapsTest, ReadsOwnProcess) {
  auto maps = ProcessMaps::Read(getpid());
  ASSERT_TRUE(maps.ok()) << maps.status();
  const Mapping* self = maps->Find(reinterpret_cast<uint64_t>(&ProcessMaps::Read));
  ASSERT_NE(self, nullptr);
  EXPECT_TRUE(self->executable());
  EXPECT_EQ(self->open_path.rfind("/proc/", 0), 0u);
  EXPECT_EQ(access(self->open_path.c_str(), R_OK), 0) << self->open_path;
  bool vdso = false;
  for (const Mapping& m : maps->mappings()) {
    if (m.path == "[vdso]") {
      vdso = true;
      ASSERT_NE(m.image, nullptr);
      ASSERT_EQ(m.image->size(), m.end - m.start);
      EXPECT_EQ((*m.image)[1], 'E');  // an ELF image
      EXPECT_EQ((*m.image)[2], 'L');
    }
  }
  EXPECT_TRUE(vdso);
}

TEST(ProcessMapsTest, MissingProcessIsNotFound) {
  auto maps = ProcessMaps::Read(0x3ffffff0);
  ASSERT_FALSE(maps.ok());
  EXPECT_TRUE(absl::IsNotFound(maps.status())) << maps.status();
  EXPECT_TRUE(absl::IsNotFound(proc::ListThreads(0x3ffffff0).status()));
}

TEST(ThreadsTest, ListsOwnThreads) {
  auto threads = proc::ListThreads(getpid());
  ASSERT_TRUE(threads.ok());
  ASSERT_FALSE(threads->empty());
  EXPECT_EQ((*threads)[0].tid, getpid());
  EXPECT_FALSE((*threads)[0].comm.empty());
  EXPECT_EQ((*threads)[0].comm.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace stackfire
