// The pprof reader (export/pprof_reader.h): stackfire's own pprof read back
// into the folded stacks it was written from; the Go CPU profiles of
// testdata/go-pprof (runtime/pprof's file and `go tool pprof -proto`'s
// rewrite, see its README); and malformed input, each an error that says
// what is wrong, never a partial profile.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "collapse/folded.h"
#include "export/export_profile.h"
#include "export/pprof.h"
#include "export/pprof_reader.h"
#include "export/profile.pb.h"
#include "gtest/gtest.h"

namespace stackfire::exporter {
namespace {

namespace pb = ::perftools::profiles;

std::string TestData(const std::string& name) {
  const char* d = std::getenv("STACKFIRE_TESTDATA");
  std::string path = std::string(d ? d : "testdata") + "/go-pprof/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::map<std::string, double> Stacks(const PprofStacks& p) {
  std::map<std::string, double> out;
  for (const collapse::FoldedRecord& r : p.folded.records) out[std::string(r.stack)] += r.count;
  return out;
}

TEST(PprofReader, ReadsBackWhatStackfireWrites) {
  Profile folded;
  folded.Add("main;outer;inl_a_[i];inl_b_[i]", 5);
  folded.Add("main;outer;leaf", 3);
  folded.Add("main;sys_read_[k]", 2);
  FoldedMeta meta;  // no event: the weights are sample counts
  std::ostringstream gz;
  ASSERT_TRUE(WritePprof(folded, meta, {}, gz).ok());
  absl::StatusOr<PprofStacks> p = ReadPprof(gz.str(), "t.pb.gz");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Stacks(*p), (std::map<std::string, double>{{"main;outer;inl_a_[i];inl_b_[i]", 5},
                                                       {"main;outer;leaf", 3},
                                                       {"main;sys_read_[k]", 2}}));
  EXPECT_EQ(p->type, "samples");
  EXPECT_EQ(p->unit, "count");
  // Not compressed, the same.
  absl::StatusOr<std::string> raw = SerializePprof(FromFolded(folded, meta), {});
  ASSERT_TRUE(raw.ok());
  absl::StatusOr<PprofStacks> q = ReadPprof(*raw, "t.pprof");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(Stacks(*q), Stacks(*p));
}

TEST(PprofReader, ReadsGoCpuProfiles) {
  // runtime/pprof's own file (gzip) and go tool pprof -proto's rewrite.
  absl::StatusOr<PprofStacks> raw = ReadPprof(TestData("cpu.prof"), "cpu.prof");
  absl::StatusOr<PprofStacks> proto = ReadPprof(TestData("cpu.pb.gz"), "cpu.pb.gz");
  absl::StatusOr<PprofStacks> plain = ReadPprof(TestData("cpu.pprof"), "cpu.pprof");
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(proto.ok()) << proto.status();
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(proto->types, (std::vector<std::string>{"samples/count", "cpu/nanoseconds"}));
  EXPECT_EQ(proto->type, "samples");
  EXPECT_EQ(Stacks(*raw), Stacks(*proto));
  EXPECT_EQ(Stacks(*plain), Stacks(*proto));
  double hot = 0, cold = 0, total = 0;
  for (const auto& [stack, n] : Stacks(*proto)) {
    total += n;
    if (stack.find(";main.hot") != std::string::npos) hot += n;
    if (stack.find(";main.cold") != std::string::npos) cold += n;
    EXPECT_EQ(stack.rfind("runtime.main;main.main;", 0), 0u) << stack;
  }
  EXPECT_EQ(total, hot + cold);
  EXPECT_GT(hot, cold);  // hot does three times cold's work
  // The time values: 10 ms per sample.
  PprofReadOptions o;
  o.sample_type = "cpu";
  absl::StatusOr<PprofStacks> cpu = ReadPprof(TestData("cpu.pb.gz"), "cpu.pb.gz", o);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ(cpu->unit, "nanoseconds");
  double ns = 0;
  for (const auto& [stack, n] : Stacks(*cpu)) ns += n;
  EXPECT_EQ(ns, total * 1e7);
  o.sample_type = "alloc_space";
  absl::StatusOr<PprofStacks> none = ReadPprof(TestData("cpu.pb.gz"), "cpu.pb.gz", o);
  EXPECT_TRUE(absl::IsNotFound(none.status()));
  EXPECT_NE(none.status().message().find("samples/count, cpu/nanoseconds"), std::string::npos);
}

TEST(PprofReader, ReadsStackfireRecordOutput) {
  absl::StatusOr<PprofStacks> p = ReadPprof(TestData("stackfire.pprof"), "stackfire.pprof");
  ASSERT_TRUE(p.ok()) << p.status();
  bool changed = false;
  for (const auto& [stack, n] : Stacks(*p)) {
    changed = changed || stack.find("main;(anonymous namespace)::changed") != std::string::npos;
  }
  EXPECT_TRUE(changed);
}

std::string Serialized(const pb::Profile& p) {
  std::string s;
  EXPECT_TRUE(p.SerializeToString(&s));
  return s;
}

pb::Profile Minimal() {
  pb::Profile p;
  p.add_string_table("");
  p.add_string_table("samples");
  p.add_string_table("count");
  p.add_string_table("main");
  auto* t = p.add_sample_type();
  t->set_type(1);
  t->set_unit(2);
  auto* f = p.add_function();
  f->set_id(1);
  f->set_name(3);
  auto* l = p.add_location();
  l->set_id(7);
  l->add_line()->set_function_id(1);
  auto* s = p.add_sample();
  s->add_location_id(7);
  s->add_value(4);
  return p;
}

TEST(PprofReader, MalformedInputIsAnErrorThatSaysWhat) {
  ASSERT_TRUE(ReadPprof(Serialized(Minimal()), "m").ok());
  auto error = [](const pb::Profile& p) {
    absl::StatusOr<PprofStacks> r = ReadPprof(Serialized(p), "bad.pprof");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
    return std::string(r.status().message());
  };
  pb::Profile p = Minimal();
  p.mutable_sample(0)->set_location_id(0, 99);
  EXPECT_NE(error(p).find("names location 99"), std::string::npos);
  p = Minimal();
  p.mutable_location(0)->mutable_line(0)->set_function_id(5);
  EXPECT_NE(error(p).find("names function 5"), std::string::npos);
  p = Minimal();
  p.mutable_function(0)->set_name(40);
  EXPECT_NE(error(p).find("names string 40"), std::string::npos);
  p = Minimal();
  p.mutable_sample(0)->set_value(0, -3);
  EXPECT_NE(error(p).find("negative"), std::string::npos);
  p = Minimal();
  p.mutable_sample(0)->add_value(1);
  EXPECT_NE(error(p).find("2 values for 1 sample types"), std::string::npos);
  p = Minimal();
  p.clear_sample_type();
  EXPECT_NE(error(p).find("no sample type"), std::string::npos);
  // Not protobuf; a truncated gzip stream; a gzip bomb past the limit.
  absl::StatusOr<PprofStacks> r = ReadPprof("\x0a\xff\xff\xff\xff\x0f", "junk");
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  absl::StatusOr<std::string> gz = GzipCompress(Serialized(Minimal()), 6);
  ASSERT_TRUE(gz.ok());
  r = ReadPprof(gz->substr(0, gz->size() / 2), "cut.pb.gz");
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status();
  absl::StatusOr<std::string> bomb = GzipCompress(std::string(4 << 20, '\0'), 9);
  PprofReadOptions small;
  small.max_bytes = 1 << 20;
  r = ReadPprof(*bomb, "bomb.pb.gz", small);
  EXPECT_NE(r.status().message().find("more than 1048576 bytes"), std::string::npos)
      << r.status();
}

TEST(PprofReader, SniffsGzipAndBinary) {
  EXPECT_TRUE(IsGzip("\x1f\x8b\x08"));
  EXPECT_FALSE(IsGzip("main;a 1\n"));
  EXPECT_TRUE(LooksBinary(Serialized(Minimal())));
  EXPECT_FALSE(LooksBinary("main;a 1\r\n\tperf 123/456 cycles:\n"));
}

}  // namespace
}  // namespace stackfire::exporter
