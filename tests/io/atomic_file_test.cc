// AtomicFile: a new file, a replaced one, abandoned and failing writes (the
// old file stays, no temporary file is left), permissions, symbolic links,
// and the paths that are written in place (/dev/null, /dev/full).
#include "src/io/atomic_file.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace stackfire::io {
namespace {

// A fresh folder per test, so leftover files can be listed.
std::string FreshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/atomic_file_" + name + "_" + std::to_string(getpid());
  std::string cmd = "rm -rf '" + dir + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  return dir;
}

std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  return names;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(AtomicFileTest, WritesANewFile) {
  const std::string dir = FreshDir("new");
  auto f = AtomicFile::Create(dir + "/out.svg");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE((*f)->in_place());
  (*f)->stream() << "<svg/>\n";
  // Until Commit() only the temporary file exists, beside the target.
  EXPECT_EQ(List(dir),
            std::vector<std::string>{(*f)->temp_path().substr((*f)->temp_path().rfind('/') + 1)});
  EXPECT_NE((*f)->temp_path().find("out.svg.stackfire-tmp-"), std::string::npos);
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Read(dir + "/out.svg"), "<svg/>\n");
  EXPECT_EQ(List(dir), std::vector<std::string>{"out.svg"});
  // A new file gets 0666 less the umask, as with open(2).
  const mode_t mask = umask(0);
  umask(mask);
  struct stat st;
  ASSERT_EQ(stat((dir + "/out.svg").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666 & ~mask);
}

TEST(AtomicFileTest, ReaderSeesTheOldFileUntilCommit) {
  const std::string dir = FreshDir("replace");
  const std::string path = dir + "/p.folded";
  Write(path, "old 1\n");
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f.ok()) << f.status();
  (*f)->stream() << "new 2\n";
  (*f)->stream().flush();
  EXPECT_EQ(Read(path), "old 1\n");
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_EQ(Read(path), "new 2\n");
  EXPECT_EQ(List(dir).size(), 1u);
}

TEST(AtomicFileTest, AbandonedWriteKeepsTheOldFileAndLeavesNothing) {
  const std::string dir = FreshDir("abandon");
  const std::string path = dir + "/p.folded";
  Write(path, "old 1\n");
  {
    auto f = AtomicFile::Create(path);
    ASSERT_TRUE(f.ok()) << f.status();
    (*f)->stream() << "half";
  }
  EXPECT_EQ(Read(path), "old 1\n");
  EXPECT_EQ(List(dir), std::vector<std::string>{"p.folded"});
}

TEST(AtomicFileTest, FailedWriteKeepsTheOldFileAndNamesTheError) {
  const std::string dir = FreshDir("fail");
  const std::string path = dir + "/big.svg";
  Write(path, "old\n");
  // A file size limit makes write(2) fail with EFBIG, as a full disk would
  // with ENOSPC.
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct sigaction ignore = {}, old_action;
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, &old_action);
  struct rlimit small = old_limit;
  small.rlim_cur = 64 << 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::Status status;
  {
    auto f = AtomicFile::Create(path);
    ASSERT_TRUE(f.ok()) << f.status();
    (*f)->stream() << std::string(1 << 20, 'x');
    status = (*f)->Commit();
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);
  sigaction(SIGXFSZ, &old_action, nullptr);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("'" + path + "'"), std::string::npos) << status;
  EXPECT_NE(status.message().find("File too large"), std::string::npos) << status;
  EXPECT_EQ(Read(path), "old\n");
  EXPECT_EQ(List(dir), std::vector<std::string>{"big.svg"});
}

TEST(AtomicFileTest, KeepsThePermissionsOfTheFileItReplaces) {
  const std::string dir = FreshDir("mode");
  const std::string path = dir + "/run.sh";
  Write(path, "old\n");
  ASSERT_EQ(chmod(path.c_str(), 0750), 0);
  auto f = AtomicFile::Create(path);
  ASSERT_TRUE(f.ok()) << f.status();
  (*f)->stream() << "new\n";
  ASSERT_TRUE((*f)->Commit().ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST(AtomicFileTest, ReplacesTheTargetOfASymbolicLink) {
  const std::string dir = FreshDir("link");
  Write(dir + "/real.svg", "old\n");
  ASSERT_EQ(symlink("real.svg", (dir + "/link.svg").c_str()), 0);
  auto f = AtomicFile::Create(dir + "/link.svg");
  ASSERT_TRUE(f.ok()) << f.status();
  (*f)->stream() << "new\n";
  ASSERT_TRUE((*f)->Commit().ok());
  struct stat st;
  ASSERT_EQ(lstat((dir + "/link.svg").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Read(dir + "/real.svg"), "new\n");
  EXPECT_EQ(List(dir).size(), 2u);
}

TEST(AtomicFileTest, TwoWritersOfOnePathUseTwoTemporaryFiles) {
  const std::string dir = FreshDir("two");
  auto a = AtomicFile::Create(dir + "/x");
  auto b = AtomicFile::Create(dir + "/x");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->temp_path(), (*b)->temp_path());
  (*a)->stream() << "a";
  (*b)->stream() << "b";
  ASSERT_TRUE((*a)->Commit().ok());
  ASSERT_TRUE((*b)->Commit().ok());
  EXPECT_EQ(Read(dir + "/x"), "b");
  EXPECT_EQ(List(dir).size(), 1u);
}

TEST(AtomicFileTest, DevicesAreWrittenInPlace) {
  auto null = AtomicFile::Create("/dev/null");
  ASSERT_TRUE(null.ok()) << null.status();
  EXPECT_TRUE((*null)->in_place());
  (*null)->stream() << "discarded";
  EXPECT_TRUE((*null)->Commit().ok());
  struct stat st;
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));

  auto full = AtomicFile::Create("/dev/full");
  ASSERT_TRUE(full.ok()) << full.status();
  (*full)->stream() << std::string(1 << 16, 'x');
  absl::Status s = (*full)->Commit();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s;
}

TEST(AtomicFileTest, MissingFolderAndDirectoryAreErrors) {
  auto missing = AtomicFile::Create("/nonexistent-dir/flame.svg");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("'/nonexistent-dir/flame.svg'"), std::string::npos);

  auto dir = AtomicFile::Create(::testing::TempDir());
  ASSERT_FALSE(dir.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(dir.status())) << dir.status();
}

TEST(AtomicFileTest, CommitTwiceIsAnError) {
  const std::string dir = FreshDir("twice");
  auto f = AtomicFile::Create(dir + "/x");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Commit().ok());
  EXPECT_FALSE((*f)->Commit().ok());
  EXPECT_EQ(List(dir), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace stackfire::io
