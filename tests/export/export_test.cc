// The export model, the pprof writer (decoded back with the generated
// protobuf classes) and the speedscope writer's JSON escaping.
#include <zlib.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "export/export_profile.h"
#include "export/json_escape.h"
#include "export/pprof.h"
#include "export/profile.pb.h"
#include "export/speedscope.h"
#include "gtest/gtest.h"
#include "stackfire/profile.h"

namespace stackfire::exporter {
namespace {

namespace pb = ::perftools::profiles;

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

pb::Profile Decode(const Profile& folded, const FoldedMeta& meta = {}) {
  std::ostringstream out;
  EXPECT_TRUE(WritePprof(folded, meta, PprofOptions{}, out).ok());
  pb::Profile decoded;
  EXPECT_TRUE(decoded.ParseFromString(Gunzip(out.str())));
  return decoded;
}

// The stack of a sample, root first, each location as "f" or "inner>outer"
// for inline chains (innermost first, pprof's order).
std::string StackOf(const pb::Profile& p, const pb::Sample& s) {
  std::string text;
  for (int i = s.location_id_size(); i-- > 0;) {
    const pb::Location& loc = p.location(static_cast<int>(s.location_id(i)) - 1);
    EXPECT_EQ(loc.id(), s.location_id(i));
    if (!text.empty()) text += ";";
    for (int k = 0; k < loc.line_size(); ++k) {
      const pb::Function& f = p.function(static_cast<int>(loc.line(k).function_id()) - 1);
      EXPECT_EQ(f.id(), loc.line(k).function_id());
      if (k > 0) text += ">";
      text += p.string_table(static_cast<int>(f.name()));
    }
  }
  return text;
}

TEST(FromFolded, FoldsInlineRunsIntoTheirCaller) {
  Profile folded;
  folded.Add("main;outer;a_[i];b_[i];leaf", 3);
  ExportProfile model = FromFolded(folded);
  ASSERT_EQ(model.samples.size(), 1u);
  ASSERT_EQ(model.samples[0].frames.size(), 3u);
  const ExportFrame& outer = model.frames[model.samples[0].frames[1]];
  ASSERT_EQ(outer.lines.size(), 3u);
  EXPECT_EQ(outer.lines[0].function, "b");  // innermost first
  EXPECT_EQ(outer.lines[1].function, "a");
  EXPECT_EQ(outer.lines[2].function, "outer");
  EXPECT_EQ(model.frames[model.samples[0].frames[2]].lines[0].function, "leaf");
}

TEST(FromFolded, LeadingInlineFrameAndBareSuffixStayFrames) {
  Profile folded;
  folded.Add("x_[i];_[i];y", 1);
  ExportProfile model = FromFolded(folded);
  ASSERT_EQ(model.samples[0].frames.size(), 3u);
  EXPECT_EQ(model.frames[model.samples[0].frames[0]].lines[0].function, "x_[i]");
  EXPECT_EQ(model.frames[model.samples[0].frames[1]].lines[0].function, "_[i]");
}

TEST(FromFolded, SampleTypeFromEvent) {
  Profile folded;
  folded.Add("a", 1);
  EXPECT_EQ(FromFolded(folded, {"cpu-clock:u"}).sample_unit, "nanoseconds");
  EXPECT_EQ(FromFolded(folded, {"cpu-clock:u"}).sample_type, "cpu");
  EXPECT_EQ(FromFolded(folded, {"cycles:uppp"}).sample_type, "cycles");
  EXPECT_EQ(FromFolded(folded, {"cycles:uppp"}).sample_unit, "count");
  EXPECT_EQ(FromFolded(folded).sample_type, "samples");
}

TEST(Pprof, DecodesBackToTheFoldedInput) {
  Profile folded;
  folded.Add("main;work;hash", 40);
  folded.Add("main;work", 2);
  folded.Add("main;io;read_[i];memcpy_[i]", 7);
  folded.Add("main;work;hash", 1);
  pb::Profile p = Decode(folded, {"cpu-clock"});

  ASSERT_GT(p.string_table_size(), 0);
  EXPECT_EQ(p.string_table(0), "");
  ASSERT_EQ(p.sample_type_size(), 1);
  EXPECT_EQ(p.string_table(static_cast<int>(p.sample_type(0).type())), "cpu");
  EXPECT_EQ(p.string_table(static_cast<int>(p.sample_type(0).unit())), "nanoseconds");
  // Every string once.
  std::set<std::string> seen(p.string_table().begin(), p.string_table().end());
  EXPECT_EQ(seen.size(), static_cast<size_t>(p.string_table_size()));

  std::map<std::string, int64_t> stacks;
  int64_t total = 0;
  for (const pb::Sample& s : p.sample()) {
    ASSERT_EQ(s.value_size(), 1);
    stacks[StackOf(p, s)] += s.value(0);
    total += s.value(0);
  }
  EXPECT_EQ(total, 50);
  std::map<std::string, int64_t> want = {
      {"main;io>main", 0}, {"main;work;hash", 41}, {"main;work", 2}, {"main;memcpy>read>io", 7}};
  want.erase("main;io>main");
  EXPECT_EQ(stacks, want);

  // Functions are distinct by name.
  std::set<std::string> names;
  for (const pb::Function& f : p.function()) {
    names.insert(p.string_table(static_cast<int>(f.name())));
  }
  EXPECT_EQ(names, (std::set<std::string>{"main", "work", "hash", "io", "read", "memcpy"}));
  EXPECT_EQ(static_cast<size_t>(p.function_size()), names.size());
}

TEST(Pprof, MappingsAndAddressesFromARichProfile) {
  ExportProfile model;
  model.mappings.push_back({0x400000, 0x500000, 0, "/usr/bin/app", "abcdef0123", true});
  model.frames.push_back({{{"main", "app.cc", 10}}, 0x401000, 0});
  model.frames.push_back({{{"inl", "a.h", 3}, {"caller", "app.cc", 20}}, 0x402000, 0});
  model.samples.push_back({{0, 1}, 5, {}});
  std::ostringstream out;
  ASSERT_TRUE(WritePprof(model, PprofOptions{}, out).ok());
  pb::Profile p;
  ASSERT_TRUE(p.ParseFromString(Gunzip(out.str())));
  ASSERT_EQ(p.mapping_size(), 1);
  EXPECT_EQ(p.string_table(static_cast<int>(p.mapping(0).build_id())), "abcdef0123");
  EXPECT_EQ(p.string_table(static_cast<int>(p.mapping(0).filename())), "/usr/bin/app");
  ASSERT_EQ(p.sample(0).location_id_size(), 2);
  const pb::Location& leaf = p.location(static_cast<int>(p.sample(0).location_id(0)) - 1);
  EXPECT_EQ(leaf.address(), 0x402000u);
  EXPECT_EQ(leaf.mapping_id(), 1u);
  ASSERT_EQ(leaf.line_size(), 2);
  EXPECT_EQ(leaf.line(0).line(), 3);
  EXPECT_EQ(leaf.line(1).line(), 20);
}

TEST(Pprof, RejectsEmptyAndOutOfRange) {
  std::ostringstream out;
  EXPECT_FALSE(WritePprof(ExportProfile{}, PprofOptions{}, out).ok());
  ExportProfile bad;
  bad.frames.push_back({{{"f", "", 0}}, 0, 3});
  bad.samples.push_back({{0}, 1, {}});
  EXPECT_FALSE(WritePprof(bad, PprofOptions{}, out).ok());
  EXPECT_TRUE(out.str().empty());
}

TEST(JsonEscape, HostileBytes) {
  std::string out;
  AppendJsonString(std::string("a\"b\\c\n\t\x01\x7f", 9), &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
  out.clear();
  // Valid 2- and 4-byte sequences kept; a lone continuation byte, an
  // overlong '/', a surrogate and a cut sequence each become U+FFFD.
  AppendJsonString("\xc3\xa9\xf0\x9f\x94\xa5|\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82", &out);
  EXPECT_EQ(out,
            "\"\xc3\xa9\xf0\x9f\x94\xa5|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
            "\\ufffd\\ufffd\"");
  out.clear();
  AppendJsonString("\xe2\x80\xa8", &out);
  EXPECT_EQ(out, "\"\\u2028\"");
}

// In markup (the SVG's frame table), < > & are escapes too; plain JSON keeps them.
TEST(JsonEscape, InMarkupNoAngleBracketsOrAmpersands) {
  std::string out;
  AppendJsonString("</script>]]>&amp;", &out, JsonFlavor::kInMarkup);
  EXPECT_EQ(out, "\"\\u003c/script\\u003e]]\\u003e\\u0026amp;\"");
  out.clear();
  AppendJsonString("a<b>&c", &out);
  EXPECT_EQ(out, "\"a<b>&c\"");
}

TEST(Speedscope, OneProfilePerThreadWithInlineChainsExpanded) {
  Profile folded;
  folded.Add("app-1/2;main;f;g_[i]", 3);
  folded.Add("app-1/3;main", 4);
  ExportProfile model = FromFolded(folded);
  EXPECT_TRUE(RootedAtThreads(model));
  SpeedscopeOptions options;
  options.per_thread = true;
  std::ostringstream out;
  ASSERT_TRUE(WriteSpeedscope(model, options, out).ok());
  std::string json = out.str();
  EXPECT_NE(json.find("{\"type\":\"sampled\",\"name\":\"app-1/2\",\"unit\":\"none\","
                      "\"startValue\":0,\"endValue\":3,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"name\":\"app-1/3\""), std::string::npos);
  // frames: main=0, f=1, g=2 (outer before inlined); the thread frame is
  // not a stack frame.
  EXPECT_NE(json.find("\"samples\":[[0,1,2]],\n     \"weights\":[3]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"samples\":[[0]],\n     \"weights\":[4]"), std::string::npos) << json;
}

TEST(Speedscope, ThreadRootsNeedPidAndTid) {
  Profile folded;
  folded.Add("worker-12;main", 1);
  EXPECT_FALSE(RootedAtThreads(FromFolded(folded)));
  folded.Add("x-1/2;main", 1);
  EXPECT_FALSE(RootedAtThreads(FromFolded(folded)));
}

}  // namespace
}  // namespace stackfire::exporter
