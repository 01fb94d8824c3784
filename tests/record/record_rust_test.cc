// `stackfire record` on a Rust program: the workload testdata/workloads/
// record_rust.rs, built by build_rust.sh with Debian's rustc 1.63 and with
// rustup's (skipped with a message when absent), each in legacy and v0
// mangling ($RUST_MANIFEST). One recording per build, folded and pprof:
//   - no frame shows a hash, a $..$ escape, ".llvm." or a mangled name;
//   - the program's functions carry the names perf shows (per mangling);
//   - inlined calls are there (core::iter adapters, closures, slice::sort,
//     the #[inline(always)] helper), and every sampled address of the
//     program has the inline chain and names that binutils' addr2line -i
//     gives for it (read back from the pprof output, which keeps addresses).
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "export/profile.pb.h"
#include "gtest/gtest.h"
#include "src/symbolize/demangle.h"
#include "stackfire/profile.h"
#include "tests/record/record_harness.h"
#include "tests/symbolize/rust_workloads.h"

namespace stackfire::record_test {
namespace {

namespace pb = ::perftools::profiles;
using rust_test::Variant;

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  std::string out;
  if (inflateInit2(&z, 15 + 16) != Z_OK) return out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class RecordRustTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RecordRustTest, NamesAndInlineFramesAsAddr2lineGivesThem) {
  SKIP_WITHOUT_PERF();
  Variant v;
  REQUIRE_RUST_VARIANT(GetParam(), v);
  const std::string folded_path = TempPath(std::string(GetParam()) + ".folded");
  const std::string pprof_path = TempPath(std::string(GetParam()) + ".pb.gz");
  RunResult r = RunCommand({StackfireBin(), "record", "-q", "-F", "999", "--no-kernel", "-o",
                            folded_path, "-o", pprof_path, "--", v.path, "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Folded folded = ReadFolded(folded_path);
  const long total = Total(folded);
  ASSERT_GT(total, 100) << r.err;

  // Names: nothing raw, and the program's functions as perf names them.
  std::map<std::string, long> frames;  // samples per frame
  long with_inline = 0, frame_count = 0, inline_count = 0, raw = 0;
  std::set<std::string> bad;
  for (const auto& [stack, n] : folded) {
    const std::vector<std::string> fs = SplitFrames(stack);
    bool inl = false;
    for (const std::string& f : fs) {
      frame_count += n;
      if (EndsWith(f, "_[i]")) {
        inline_count += n;
        inl = true;
      }
      const std::string problem = rust_test::RawRustProblem(f);
      if (!problem.empty()) {
        raw += n;
        if (bad.size() < 5) bad.insert(f + " (" + problem + ")");
      }
    }
    for (const std::string& f : std::set<std::string>(fs.begin(), fs.end())) frames[f] += n;
    if (inl) with_inline += n;
  }
  std::printf("%s (%s %s): %ld samples, %.2f%% of %ld frames demangled, %.1f frames and %.1f "
              "inlined frames per stack, %.1f%% of stacks with an inlined frame\n",
              GetParam(), v.rustc.c_str(), v.version.c_str(), total,
              100.0 - 100.0 * static_cast<double>(raw) / static_cast<double>(frame_count),
              frame_count, static_cast<double>(frame_count) / static_cast<double>(total),
              static_cast<double>(inline_count) / static_cast<double>(total),
              100.0 * static_cast<double>(with_inline) / static_cast<double>(total));
  EXPECT_EQ(raw, 0) << ::testing::PrintToString(bad);

  std::vector<std::string> expected = {
      "prog::worker", "prog::parse_request", "prog::index_requests",
      "<prog::Lookup as prog::Handler>::handle", "<prog::Sorter as prog::Handler>::handle",
      "prog::mix_[i]"};  // the #[inline(always)] helper
  if (v.v0()) {
    expected.insert(expected.end(), {"prog::score::<u64>", "prog::build_routes::{closure#0}",
                                     "<alloc::collections::btree::map::entry::VacantEntry<u64, "
                                     "u64>>::insert_[i]"});
  } else {
    expected.insert(expected.end(),
                    {"prog::score", "prog::build_routes::{{closure}}",
                     "core::ops::function::FnOnce::call_once{{vtable.shim}}",
                     "alloc::collections::btree::map::entry::VacantEntry<K,V,A>::insert_[i]"});
  }
  for (const std::string& name : expected) {
    EXPECT_GT(frames[name], 0) << name << " is in no stack";
  }
  // Inlined calls of every kind perf shows: iterator adapters, closures,
  // the sort, and v0's vtable shim (a function of its own).
  auto any = [&](auto pred) {
    return std::any_of(frames.begin(), frames.end(), [&](const auto& f) { return pred(f.first); });
  };
  EXPECT_TRUE(any([](const std::string& f) {
    return f.rfind("<core::iter::adapters::", 0) == 0 && EndsWith(f, "_[i]");
  })) << "no core::iter adapter inlined";
  EXPECT_TRUE(any([](const std::string& f) {
    return f.rfind("prog::score", 0) == 0 && f.find("closure") != std::string::npos &&
           EndsWith(f, "_[i]");
  })) << "no closure of prog::score inlined";
  EXPECT_TRUE(any([](const std::string& f) {
    return f.find("core::slice::sort::") != std::string::npos && EndsWith(f, "_[i]");
  })) << "no slice::sort inlined";
  if (v.v0()) {
    EXPECT_TRUE(any([](const std::string& f) { return EndsWith(f, "::call_once::{shim:vtable#0}"); }));
  }
  EXPECT_GT(static_cast<double>(with_inline) / static_cast<double>(total), 0.9);

  // Every sampled address in the program against addr2line -i, from the
  // pprof output of the same recording (its locations keep the addresses).
  pb::Profile p;
  ASSERT_TRUE(p.ParseFromString(Gunzip(ReadFile(pprof_path)))) << pprof_path;
  char* real = realpath(v.path.c_str(), nullptr);
  ASSERT_NE(real, nullptr);
  const std::string binary = real;
  std::free(real);
  uint64_t main_mapping = 0;
  for (const pb::Mapping& m : p.mapping()) {
    if (p.string_table(static_cast<int>(m.filename())) == binary) {
      main_mapping = m.id();
      break;
    }
  }
  ASSERT_NE(main_mapping, 0u) << "no mapping of " << binary;
  const pb::Mapping& mapping = p.mapping(static_cast<int>(main_mapping) - 1);
  std::set<uint64_t> leaves;  // locations sampled as the leaf: looked up at pc, others at pc - 1
  for (const pb::Sample& s : p.sample()) {
    if (s.location_id_size() > 0) leaves.insert(s.location_id(0));
  }
  std::map<uint64_t, std::vector<std::string>> got;  // by the address looked up
  for (const pb::Location& loc : p.location()) {
    if (loc.mapping_id() != main_mapping) continue;
    uint64_t vaddr = 0;
    ASSERT_TRUE(rust_test::FileOffsetToVaddr(
        binary, loc.address() - mapping.memory_start() + mapping.file_offset(), &vaddr));
    if (!leaves.count(loc.id())) vaddr -= 1;
    std::vector<std::string>& names = got[vaddr];
    names.clear();
    for (const pb::Line& line : loc.line()) {
      names.push_back(p.string_table(
          static_cast<int>(p.function(static_cast<int>(line.function_id()) - 1).name())));
    }
  }
  ASSERT_GT(got.size(), 20u);
  std::vector<uint64_t> addrs;
  for (const auto& [a, names] : got) addrs.push_back(a);
  auto want = rust_test::Addr2line(binary, addrs);
  // Frame names never hold ';' (the folded separator): "[u64; 11]" is
  // "[u64: 11]" in every output, pprof's included.
  for (auto& [a, names] : want) {
    for (std::string& name : names) name = SanitizeFrameName(name);
  }
  // Identical functions folded by the linker: one address, several names;
  // either side may pick another (see tests/symbolize/rust_names_test.cc).
  std::map<uint64_t, std::vector<std::string>> aliases;
  const auto symbols = rust_test::FunctionSymbols(binary);
  for (const auto& [addr, sym] : symbols) {
    aliases[addr].push_back(symbolize::Demangle(sym.c_str(), false));
  }
  size_t same = 0, folded_fns = 0, inlined = 0;
  std::vector<std::string> diffs;
  for (const auto& [a, names] : got) {
    const auto it = want.find(a);
    ASSERT_NE(it, want.end());
    if (names.size() > 1) ++inlined;
    if (names == it->second) {
      ++same;
      continue;
    }
    auto sym = aliases.upper_bound(a);
    const bool icf = sym != aliases.begin() && (--sym)->second.size() > 1 &&
                     names.size() == it->second.size() &&
                     std::count(sym->second.begin(), sym->second.end(), it->second.back()) > 0;
    if (icf) {
      ++same;
      ++folded_fns;
    } else if (diffs.size() < 5) {
      diffs.push_back(absl::StrCat("0x", absl::Hex(a), "\n  stackfire: ",
                                   ::testing::PrintToString(names), "\n  addr2line: ",
                                   ::testing::PrintToString(it->second)));
    }
  }
  std::printf("%s: %zu of %zu sampled addresses of the program as addr2line -i (%zu in folded "
              "functions), %zu in inlined code\n",
              GetParam(), same, got.size(), folded_fns, inlined);
  std::string shown;
  for (const std::string& d : diffs) shown += d + "\n";
  EXPECT_EQ(same, got.size()) << shown;
  EXPECT_GT(inlined, got.size() / 2);
}

INSTANTIATE_TEST_SUITE_P(Builds, RecordRustTest, ::testing::ValuesIn(rust_test::kVariants),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace stackfire::record_test
