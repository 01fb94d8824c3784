// The one symbolized stack (stack_model.h, stack_builder.h) and its views
// (stack_views.h): frames root first with markers, inline chains outermost
// first, interning with and without addresses, weights, and the folded and
// export views reading the same stacks.
#include "src/record/stack_model.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/record/stack_builder.h"
#include "src/record/stack_views.h"

namespace stackfire::record {
namespace {

// Names the pcs of 0x1000-0x17ff "work" (0x1010 with an inlined "helper"
// inside it), of 0x1800-0x1fff "main", with source lines when asked (as
// SymbolizerOptions::source_lines); other pcs "[unknown]".
class FakeSymbolizer : public Symbolizer {
 public:
  void SymbolizeUser(int, const ProcessMaps& maps, uint64_t pc, bool is_return,
                     std::vector<Frame>* out) override {
    ++calls;
    const uint64_t addr = is_return ? pc - 1 : pc;
    if (maps.Find(addr) == nullptr) {
      out->push_back(Frame{"[unknown]", Frame::Kind::kUnresolved, {}, 0});
      return;
    }
    if (addr == 0x1010) out->push_back(Frame{"helper_[i]", Frame::Kind::kInlined, "h.h", 3});
    out->push_back(Frame{addr < 0x1800 ? "work" : "main", Frame::Kind::kUser, lines ? "w.cc" : "",
                         lines ? static_cast<int>(addr & 0xff) : 0});
  }
  void SymbolizeKernel(uint64_t pc, std::vector<Frame>* out) override {
    out->push_back(
        Frame{pc == 0xffff1 ? "sys_read_[k]" : "entry_[k]", Frame::Kind::kKernel, {}, 0});
  }
  int calls = 0;
  bool lines = true;
};

ProcessMaps AppMaps() {
  ProcessMaps maps;
  Mapping m;
  m.start = 0x1000;
  m.end = 0x2000;
  m.prot = 5;
  m.path = "/bin/app";
  m.build_id = std::string("\xab\xcd", 2);
  maps.Insert(m);
  return maps;
}

std::vector<std::string> FrameNames(const StackStore& store, uint32_t stack) {
  std::vector<std::string> names;
  store.ForEachFrame(stack, [&](const StackFrame& f) { names.push_back(f.name); });
  return names;
}

std::string FoldedText(const Profile& p) {
  std::ostringstream out;
  WriteFolded(p, out);
  return out.str();
}

constexpr uint32_t kPid = 1073741000;

TEST(StackModelTest, FramesRootFirstWithMarkerAndInlineChains) {
  FakeSymbolizer symbolizer;
  StackStore store;
  StackBuilder builder(&symbolizer, nullptr, {}, &store);
  const ProcessMaps maps = AppMaps();
  std::vector<uint64_t> user = {0x1010, 0x1805};  // leaf first
  std::vector<uint64_t> kernel = {0xffff1, 0xffff2};
  StackKey key;
  key.pid = kPid;
  key.truncated = true;
  key.user_pcs = &user;
  key.kernel_ips = &kernel;
  const uint32_t stack = builder.Build(key, maps);
  EXPECT_EQ(FrameNames(store, stack),
            (std::vector<std::string>{kTruncatedFrame, "main", "work", "helper_[i]", "entry_[k]",
                                      "sys_read_[k]"}));
  // Each frame says what it is and where it comes from.
  std::vector<StackFrame> frames;
  store.ForEachFrame(stack, [&](const StackFrame& f) { frames.push_back(f); });
  EXPECT_EQ(frames[0].kind, FrameKind::kMarker);
  EXPECT_EQ(frames[3].kind, FrameKind::kInlined);
  EXPECT_EQ(frames[3].file, "h.h");
  EXPECT_EQ(frames[3].line, 3);
  ASSERT_GE(frames[2].module, 0);
  EXPECT_EQ(store.modules()[static_cast<size_t>(frames[2].module)], "/bin/app");
  EXPECT_EQ(frames[4].kind, FrameKind::kKernel);

  // A failed unwind, and a stack without frames, gather under [unknown].
  key.truncated = false;
  key.failed = true;
  EXPECT_EQ(FrameNames(store, builder.Build(key, maps)).front(), kUnknownFrame);
  std::vector<uint64_t> none;
  key.failed = false;
  key.user_pcs = &none;
  key.kernel_ips = &none;
  EXPECT_EQ(FrameNames(store, builder.Build(key, maps)), std::vector<std::string>{kUnknownFrame});
}

TEST(StackModelTest, WithoutAddressesEqualNamesAreOneStack) {
  FakeSymbolizer symbolizer;
  symbolizer.lines = false;
  StackStore store;
  StackBuilder builder(&symbolizer, nullptr, {}, &store);
  const ProcessMaps maps = AppMaps();
  std::vector<uint64_t> a = {0x1020, 0x1805};
  std::vector<uint64_t> b = {0x1030, 0x1806};  // other pcs, the same functions
  std::vector<uint64_t> none;
  StackKey key;
  key.pid = kPid;
  key.kernel_ips = &none;
  key.user_pcs = &a;
  const uint32_t first = builder.Build(key, maps);
  key.user_pcs = &b;
  EXPECT_EQ(builder.Build(key, maps), first);
  EXPECT_EQ(store.stack_count(), 1u);
  EXPECT_EQ(store.location(store.locations_of(first)[0]).address, 0u);  // not kept
  // A key seen before is not symbolized again.
  const int calls = symbolizer.calls;
  EXPECT_EQ(builder.Build(key, maps), first);
  EXPECT_EQ(symbolizer.calls, calls);
}

TEST(StackModelTest, ViewsOfOneRecording) {
  FakeSymbolizer symbolizer;
  RecordedProfile recorded;
  StackBuilder builder(&symbolizer, nullptr, StackBuilder::Options{/*addresses=*/true},
                       &recorded.stacks);
  const ProcessMaps maps = AppMaps();
  std::vector<uint64_t> a = {0x1020, 0x1805};
  std::vector<uint64_t> b = {0x1030, 0x1806};
  std::vector<uint64_t> none;
  StackKey key;
  key.pid = kPid;
  key.kernel_ips = &none;
  key.user_pcs = &a;
  const uint32_t sa = builder.Build(key, maps);
  key.user_pcs = &b;
  const uint32_t sb = builder.Build(key, maps);
  EXPECT_NE(sa, sb);  // with addresses: two locations each, two stacks
  const uint32_t root = builder.Root("app-1/1");
  recorded.weights.Add(kNoRoot, sa, 1, 1000);
  recorded.weights.Add(kNoRoot, sb, 2, 2000);
  recorded.weights.Add(root, sa, 1, 1000);
  recorded.weights.Add(kNoRoot, sa, 1, 1000);
  ASSERT_EQ(recorded.weights.rows().size(), 3u);
  EXPECT_EQ(recorded.weights.total(), 5);

  // Folded: the two stacks have one text, so their weights add up.
  EXPECT_EQ(FoldedText(ToFolded(recorded)), "app-1/1;main;work 1\nmain;work 4\n");

  // Export: a frame per address, a sample per row, the periods summed.
  ExportMeta meta;
  meta.event = "task-clock";
  meta.frequency_hz = 1000;
  exporter::ExportProfile model = ToExport(recorded, meta);
  ASSERT_EQ(model.samples.size(), 3u);
  EXPECT_EQ(model.samples[0].weight, 2);
  EXPECT_EQ(model.samples[0].extra, std::vector<double>{2000});
  ASSERT_EQ(model.samples[0].frames.size(), 2u);
  const exporter::ExportFrame& leaf = model.frames[model.samples[0].frames[1]];
  EXPECT_EQ(leaf.address, 0x1020u);
  ASSERT_EQ(leaf.lines.size(), 1u);
  EXPECT_EQ(leaf.lines[0].function, "work");
  EXPECT_EQ(leaf.lines[0].file, "w.cc");
  EXPECT_EQ(leaf.lines[0].line, 0x20);
  ASSERT_EQ(model.samples[2].frames.size(), 3u);
  EXPECT_EQ(model.frames[model.samples[2].frames[0]].lines[0].function, "app-1/1");
  ASSERT_EQ(model.mappings.size(), 1u);
  EXPECT_EQ(model.mappings[0].build_id, "abcd");
  EXPECT_TRUE(model.mappings[0].has_functions);
  EXPECT_TRUE(model.mappings[0].has_line_numbers);
  EXPECT_FALSE(model.mappings[0].has_inline_frames);
  EXPECT_EQ(model.extra_types[0].unit, "nanoseconds");
  EXPECT_EQ(model.period, 1000000);
}

TEST(StackModelTest, AMovedStoreStillInternsStacks) {
  StackStore store;
  StackFrame f;
  f.name = "work";
  const uint32_t frame = store.InternFrame(f);
  const uint32_t loc = store.AddLocation(LocationKind::kUser, 0, -1, {&frame, 1});
  const std::vector<uint32_t> stack = {loc, loc};
  const uint32_t id = store.InternStack(stack);
  StackStore moved(std::move(store));
  EXPECT_EQ(moved.InternStack(stack), id);
  EXPECT_EQ(moved.stack_count(), 1u);
  EXPECT_EQ(moved.InternFrame(f), frame);
}

TEST(ThreadRootFrameTest, MatchesStackcollapseTid) {
  EXPECT_EQ(ThreadRootFrame("java worker", 10, 12), "java_worker-10/12");
  EXPECT_EQ(ThreadRootFrame("a;b", 1, 1), "a:b-1/1");
  EXPECT_EQ(ProcessRootFrame("java worker", 10), "java_worker-10");
}

}  // namespace
}  // namespace stackfire::record
