// See stack_views.h.
#include "src/record/stack_views.h"

#include <cmath>
#include <string_view>
#include <vector>

#include "src/elf/elf_module.h"

namespace stackfire::record {
namespace {

bool IsClockEvent(std::string_view event) {
  event = event.substr(0, event.find(':'));
  return event == "cpu-clock" || event == "task-clock";
}

// The folded name without the inline marker: pprof says "inlined" by the
// position of the line, not by the name. Kernel and JIT markers stay, as
// `stackfire collapse --format pprof` keeps them.
std::string FunctionName(const StackFrame& f) {
  std::string_view name = f.name;
  constexpr std::string_view kMarker = "_[i]";
  if (f.kind == FrameKind::kInlined && name.size() > kMarker.size() &&
      name.substr(name.size() - kMarker.size()) == kMarker) {
    name.remove_suffix(kMarker.size());
  }
  return std::string(name);
}

// pprof takes the first mapping for the main binary ("File:" in its
// reports). The executable is the file mapped lowest (PIE programs load at
// 0x55..., libraries at 0x7f...; non-PIE ones lower still).
void MainBinaryFirst(exporter::ExportProfile* profile) {
  int main = -1;
  for (size_t i = 0; i < profile->mappings.size(); ++i) {
    const exporter::ExportMapping& m = profile->mappings[i];
    if (m.file.empty() || m.file.front() != '/') continue;
    if (main < 0 || m.start < profile->mappings[static_cast<size_t>(main)].start) {
      main = static_cast<int>(i);
    }
  }
  if (main <= 0) return;
  std::swap(profile->mappings[0], profile->mappings[static_cast<size_t>(main)]);
  for (exporter::ExportFrame& f : profile->frames) {
    if (f.mapping == 0) {
      f.mapping = main;
    } else if (f.mapping == main) {
      f.mapping = 0;
    }
  }
}

// Whether a stack ends in the "[off-cpu]" marker.
bool EndsOffCpu(const StackStore& store, uint32_t stack) {
  const std::span<const uint32_t> locations = store.locations_of(stack);
  if (locations.empty()) return false;
  const std::span<const uint32_t> frames = store.frames_of(store.location(locations.back()));
  if (frames.empty()) return false;
  const StackFrame& leaf = store.frame(frames.front());
  return leaf.kind == FrameKind::kMarker && leaf.name == kOffCpuFrame;
}

// The folded rows in the model's own unit.
Profile FoldedIn(const RecordedProfile& recorded) {
  const StackStore& store = recorded.stacks;
  // Each stack's text once, however many roots it appears under.
  std::vector<std::string> folded(store.stack_count());
  std::vector<bool> done(store.stack_count());
  Profile profile;
  std::string line;
  for (const WeightedStack& row : recorded.weights.rows()) {
    std::string& text = folded[row.stack];
    if (!done[row.stack]) {
      done[row.stack] = true;
      store.ForEachFrame(row.stack, [&text](const StackFrame& f) {
        if (!text.empty()) text.push_back(';');
        text += f.name;
      });
    }
    if (row.root == kNoRoot) {
      profile.Add(text, static_cast<double>(row.weight));
      continue;
    }
    line.clear();
    for (uint32_t id : store.frames_of(store.location(row.root))) line += store.frame(id).name;
    line.push_back(';');
    line += text;
    profile.Add(line, static_cast<double>(row.weight));
  }
  return profile;
}

}  // namespace

Profile ToFolded(const RecordedProfile& recorded) {
  Profile profile = FoldedIn(recorded);
  if (recorded.weights.unit() != WeightUnit::kNanoseconds) return profile;
  Profile micros;
  for (const Profile::Entry& e : profile.entries()) {
    const double us = std::round(e.weight / 1000.0);
    if (us > 0) micros.Add(e.stack, us);
  }
  return micros;
}

exporter::ExportProfile ToExport(const RecordedProfile& recorded, const ExportMeta& meta) {
  const StackStore& store = recorded.stacks;
  exporter::ExportProfile out;
  for (const StackMapping& m : store.mappings()) {
    exporter::ExportMapping em;
    em.start = m.start;
    em.limit = m.limit;
    em.file_offset = m.file_offset;
    em.file = m.file;
    em.build_id = elf::BuildIdHex(m.build_id);
    out.mappings.push_back(std::move(em));
  }
  out.frames.reserve(store.location_count());
  // Mappings with a frame the symbolizer could not name ("lib.so+0x1a2b0").
  std::vector<bool> unresolved(out.mappings.size());
  for (uint32_t i = 0; i < store.location_count(); ++i) {
    const StackLocation& l = store.location(i);
    exporter::ExportFrame frame;
    frame.address = l.address;
    frame.mapping = l.mapping;
    exporter::ExportMapping* em =
        l.mapping >= 0 ? &out.mappings[static_cast<size_t>(l.mapping)] : nullptr;
    for (uint32_t id : store.frames_of(l)) {
      const StackFrame& f = store.frame(id);
      frame.lines.push_back(exporter::ExportLine{FunctionName(f), f.file, f.line});
      if (em == nullptr) continue;
      if (f.kind == FrameKind::kUnresolved) {
        unresolved[static_cast<size_t>(l.mapping)] = true;
        continue;
      }
      em->has_functions = true;
      em->has_inline_frames = em->has_inline_frames || f.kind == FrameKind::kInlined;
      em->has_filenames = em->has_filenames || !f.file.empty();
      em->has_line_numbers = em->has_line_numbers || f.line > 0;
    }
    if (frame.lines.empty()) {
      frame.lines.push_back(exporter::ExportLine{
          l.kind == LocationKind::kKernel ? "[kernel.kallsyms]" : kUnknownFrame, {}, 0});
    }
    out.frames.push_back(std::move(frame));
  }
  const bool wall = recorded.weights.unit() == WeightUnit::kNanoseconds;
  for (const WeightedStack& row : recorded.weights.rows()) {
    exporter::ExportSample sample;
    if (row.root != kNoRoot) sample.frames.push_back(row.root);
    for (uint32_t loc : store.locations_of(row.stack)) sample.frames.push_back(loc);
    sample.weight = static_cast<double>(row.weight);
    if (wall) {
      const bool off = EndsOffCpu(store, row.stack);
      sample.extra = {off ? 0.0 : sample.weight, off ? sample.weight : 0.0};
    } else {
      sample.extra.assign(1, static_cast<double>(row.period));
    }
    out.samples.push_back(std::move(sample));
  }
  out.time_nanos = meta.time_nanos;
  out.duration_nanos = meta.duration_nanos;
  if (wall) {
    out.sample_type = "wall";
    out.sample_unit = "nanoseconds";
    out.default_sample_type = "wall";
    out.extra_types = {{"on-cpu", "nanoseconds"}, {"off-cpu", "nanoseconds"}};
    out.period_type = "cpu";
    out.period_unit = "nanoseconds";
    out.period = meta.frequency_hz > 0 ? static_cast<int64_t>(std::llround(
                                             1e9 / static_cast<double>(meta.frequency_hz)))
                                       : 0;
    MainBinaryFirst(&out);
    return out;
  }

  // As Go's CPU profiles: samples/count, then the time they stand for.
  out.sample_type = "samples";
  out.sample_unit = "count";
  const std::string event = meta.event.substr(0, meta.event.find(':'));
  exporter::ExportValueType value = IsClockEvent(event)
                                        ? exporter::ExportValueType{"cpu", "nanoseconds"}
                                        : exporter::ExportValueType{event, "count"};
  out.extra_types = {value};
  out.period_type = value.type;
  out.period_unit = value.unit;
  if (IsClockEvent(event) && meta.frequency_hz > 0) {
    out.period = static_cast<int64_t>(std::llround(1e9 / static_cast<double>(meta.frequency_hz)));
  } else {
    // Sampling by frequency on other events: the mean period seen.
    double samples = 0, periods = 0;
    for (const exporter::ExportSample& s : out.samples) {
      samples += s.weight;
      periods += s.extra.empty() ? 0 : s.extra[0];
    }
    out.period = samples > 0 ? static_cast<int64_t>(std::llround(periods / samples)) : 0;
  }
  out.time_nanos = meta.time_nanos;
  out.duration_nanos = meta.duration_nanos;
  // pprof symbolizes only the mappings that claim no names at all: one
  // with a frame stackfire could not name claims none, so that `pprof
  // -symbolize=local` can name it from the binary or its debug file later
  // (frames it cannot name keep stackfire's).
  for (size_t m = 0; m < unresolved.size(); ++m) {
    if (!unresolved[m]) continue;
    exporter::ExportMapping& em = out.mappings[m];
    em.has_functions = em.has_inline_frames = em.has_filenames = em.has_line_numbers = false;
  }
  MainBinaryFirst(&out);
  return out;
}

}  // namespace stackfire::record
