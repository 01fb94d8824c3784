// See export_collector.h.
#include "src/record/export_collector.h"

#include <cmath>

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
std::string FunctionName(const Frame& f) {
  std::string_view name = f.name;
  constexpr std::string_view kMarker = "_[i]";
  if (f.kind == Frame::Kind::kInlined && name.size() > kMarker.size() &&
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

}  // namespace

void ExportCollector::Add(std::string_view root, const StackKey& key, const ProcessMaps& maps,
                          uint64_t period) {
  key_.clear();
  AppendStackKey(key, &key_);
  auto [it, inserted] = stack_index_.try_emplace(key_, static_cast<uint32_t>(stacks_.size()));
  if (inserted) {
    // Leaf first while collecting, as StackFolder does, reversed at the end.
    frames_.clear();
    const size_t nk = key.kernel_ips ? key.kernel_ips->size() : 0;
    const size_t nu = key.user_pcs ? key.user_pcs->size() : 0;
    for (size_t i = 0; i < nk; ++i) frames_.push_back(KernelFrame((*key.kernel_ips)[i]));
    for (size_t i = 0; i < nu; ++i) {
      frames_.push_back(UserFrame(key.pid, maps, (*key.user_pcs)[i], i > 0));
    }
    if (key.truncated) {
      frames_.push_back(NamedFrame(kTruncatedFrame));
    } else if (key.failed || frames_.empty()) {
      frames_.push_back(NamedFrame(kUnknownFrame));
    }
    stacks_.emplace_back(frames_.rbegin(), frames_.rend());
  }
  const uint32_t stack = it->second;
  const uint32_t root_id = root.empty() ? 0 : NamedFrame(root) + 1;
  auto [sit, new_sample] =
      sample_index_.try_emplace(std::make_pair(root_id, stack),
                                static_cast<uint32_t>(profile_.samples.size()));
  if (new_sample) {
    exporter::ExportSample sample;
    if (root_id != 0) sample.frames.push_back(root_id - 1);
    sample.frames.insert(sample.frames.end(), stacks_[stack].begin(), stacks_[stack].end());
    sample.extra.assign(1, 0.0);
    profile_.samples.push_back(std::move(sample));
  }
  exporter::ExportSample& sample = profile_.samples[sit->second];
  sample.weight += 1;
  sample.extra[0] += static_cast<double>(period);
}

exporter::ExportProfile ExportCollector::Take(const Meta& meta) {
  exporter::ExportProfile out = std::move(profile_);
  profile_ = {};
  stack_index_.clear();
  stacks_.clear();
  sample_index_.clear();
  user_frames_.clear();
  kernel_frames_.clear();
  named_frames_.clear();
  mapping_index_.clear();

  // As Go's CPU profiles: samples/count, then the time they stand for.
  out.sample_type = "samples";
  out.sample_unit = "count";
  const std::string event = meta.event.substr(0, meta.event.find(':'));
  exporter::ExportValueType value =
      IsClockEvent(event) ? exporter::ExportValueType{"cpu", "nanoseconds"}
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
  MainBinaryFirst(&out);
  return out;
}

uint32_t ExportCollector::UserFrame(uint32_t pid, const ProcessMaps& maps, uint64_t pc,
                                    bool is_return) {
  const Mapping* m = maps.Find(is_return ? pc - 1 : pc);
  const int mapping = m != nullptr && !m->path.empty() ? MappingFor(pid, *m) : -1;
  auto [it, inserted] = user_frames_.try_emplace(
      std::make_tuple(mapping < 0 ? pid : 0u, mapping, pc, is_return),
      static_cast<uint32_t>(profile_.frames.size()));
  if (!inserted) return it->second;
  scratch_.clear();
  symbolizer_->SymbolizeUser(static_cast<int>(pid), maps, pc, is_return, &scratch_);
  exporter::ExportFrame frame;
  frame.address = pc;
  frame.mapping = mapping;
  for (const Frame& f : scratch_) {
    frame.lines.push_back(exporter::ExportLine{FunctionName(f), f.file, f.line});
  }
  if (frame.lines.empty()) frame.lines.push_back(exporter::ExportLine{kUnknownFrame, {}, 0});
  if (mapping >= 0) {
    exporter::ExportMapping& em = profile_.mappings[static_cast<size_t>(mapping)];
    for (const Frame& f : scratch_) {
      if (f.kind == Frame::Kind::kUnresolved) continue;
      em.has_functions = true;
      em.has_inline_frames = em.has_inline_frames || f.kind == Frame::Kind::kInlined;
      em.has_filenames = em.has_filenames || !f.file.empty();
      em.has_line_numbers = em.has_line_numbers || f.line > 0;
    }
  }
  profile_.frames.push_back(std::move(frame));
  return it->second;
}

uint32_t ExportCollector::KernelFrame(uint64_t pc) {
  auto [it, inserted] =
      kernel_frames_.try_emplace(pc, static_cast<uint32_t>(profile_.frames.size()));
  if (!inserted) return it->second;
  scratch_.clear();
  symbolizer_->SymbolizeKernel(pc, &scratch_);
  exporter::ExportFrame frame;
  frame.address = pc;
  for (const Frame& f : scratch_) frame.lines.push_back(exporter::ExportLine{f.name, {}, 0});
  if (frame.lines.empty()) frame.lines.push_back(exporter::ExportLine{"[kernel.kallsyms]", {}, 0});
  profile_.frames.push_back(std::move(frame));
  return it->second;
}

uint32_t ExportCollector::NamedFrame(std::string_view name) {
  auto [it, inserted] = named_frames_.try_emplace(absl::string_view(name.data(), name.size()),
                                                  static_cast<uint32_t>(profile_.frames.size()));
  if (!inserted) return it->second;
  exporter::ExportFrame frame;
  frame.lines.push_back(exporter::ExportLine{std::string(name), {}, 0});
  profile_.frames.push_back(std::move(frame));
  return it->second;
}

int ExportCollector::MappingFor(uint32_t pid, const Mapping& m) {
  auto [it, inserted] = mapping_index_.try_emplace(
      std::make_tuple(pid, m.start, m.end, m.pgoff, m.inode, m.path),
      static_cast<int>(profile_.mappings.size()));
  if (!inserted) return it->second;
  exporter::ExportMapping em;
  em.start = m.start;
  em.limit = m.end;
  em.file_offset = m.pgoff;
  em.file = m.path;
  em.build_id = BuildIdHexOf(m);
  profile_.mappings.push_back(std::move(em));
  return it->second;
}

std::string ExportCollector::BuildIdHexOf(const Mapping& m) {
  if (!m.build_id.empty()) return elf::BuildIdHex(m.build_id);
  return modules_ != nullptr ? elf::BuildIdHex(modules_->BuildIdOf(m)) : "";
}

}  // namespace stackfire::record
