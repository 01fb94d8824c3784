// Folded stacks to the export model; see export_profile.h.
#include "export/export_profile.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace stackfire::exporter {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsClockEvent(std::string_view event) {
  return event == "cpu-clock" || event == "task-clock";
}

// Interns frames by their folded text (the outer frame and its inlined run,
// joined by ';' as in the input), so equal groups share one ExportFrame.
class FrameTable {
 public:
  explicit FrameTable(std::vector<ExportFrame>* frames) : frames_(frames) {}

  // group: the frames root first, group[0] the caller, the rest inlined.
  uint32_t Intern(std::string_view text, const std::vector<std::string_view>& group) {
    auto it = index_.find(absl::string_view(text.data(), text.size()));
    if (it != index_.end()) return it->second;
    ExportFrame frame;
    for (size_t i = group.size(); i-- > 0;) {
      std::string_view name = group[i];
      if (i > 0) name.remove_suffix(kInlineSuffix.size());
      frame.lines.push_back(ExportLine{std::string(name), {}, 0});
    }
    uint32_t id = static_cast<uint32_t>(frames_->size());
    frames_->push_back(std::move(frame));
    index_.emplace(std::string(text), id);
    return id;
  }

 private:
  std::vector<ExportFrame>* frames_;
  absl::flat_hash_map<std::string, uint32_t> index_;
};

}  // namespace

double ExportProfile::total() const {
  double sum = 0;
  for (const ExportSample& s : samples) sum += s.weight;
  return sum;
}

ExportProfile FromFolded(const Profile& profile, const FoldedMeta& meta) {
  ExportProfile out;
  // perf prints modifiers after a colon ("cycles:uppp"); the type is the event.
  std::string_view event = meta.event;
  event = event.substr(0, event.find(':'));
  if (IsClockEvent(event)) {
    out.sample_type = "cpu";
    out.sample_unit = "nanoseconds";
  } else if (!event.empty()) {
    // The weights are sums of the event's periods: counts of that event.
    out.sample_type = std::string(event);
    out.sample_unit = "count";
  }
  FrameTable table(&out.frames);
  std::vector<std::string_view> names;
  std::vector<std::string_view> group;
  for (size_t index : profile.SortedOrder()) {
    const Profile::Entry& entry = profile.entries()[index];
    std::string_view stack = entry.stack;
    names.clear();
    size_t begin = 0;
    while (true) {
      size_t end = stack.find(';', begin);
      names.push_back(stack.substr(begin, end == std::string_view::npos ? end : end - begin));
      if (end == std::string_view::npos) break;
      begin = end + 1;
    }
    ExportSample sample;
    sample.weight = entry.weight;
    for (size_t i = 0; i < names.size();) {
      size_t j = i + 1;
      // A leading "_[i]" frame has no caller to fold into: it stays alone.
      while (j < names.size() && EndsWith(names[j], kInlineSuffix) &&
             names[j].size() > kInlineSuffix.size()) {
        ++j;
      }
      group.assign(names.begin() + i, names.begin() + j);
      // The group's text is a contiguous piece of the stack.
      const char* first = names[i].data();
      const char* last = names[j - 1].data() + names[j - 1].size();
      std::string_view text(first, static_cast<size_t>(last - first));
      sample.frames.push_back(table.Intern(text, group));
      i = j;
    }
    out.samples.push_back(std::move(sample));
  }
  return out;
}

}  // namespace stackfire::exporter
