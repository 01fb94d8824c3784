// ExportProfile to speedscope JSON; see speedscope.h.
#include "export/speedscope.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "export/json_escape.h"
#include "stackfire/profile.h"

namespace stackfire::exporter {
namespace {

// "comm-PID/TID": a dash, digits, '/' and digits, after a non-empty comm.
bool IsThreadFrameName(std::string_view name) {
  size_t end = name.size();
  auto digits_before = [&](size_t stop) {
    size_t b = stop;
    while (b > 0 && name[b - 1] >= '0' && name[b - 1] <= '9') --b;
    return b;
  };
  size_t b = digits_before(end);
  if (b == end) return false;
  if (b == 0 || name[b - 1] != '/') return false;
  size_t p = digits_before(b - 1);
  if (p == b - 1) return false;
  b = p;
  return b >= 2 && name[b - 1] == '-';
}

std::string_view SpeedscopeUnit(std::string_view unit) {
  if (unit == "nanoseconds" || unit == "microseconds" || unit == "milliseconds" ||
      unit == "seconds" || unit == "bytes") {
    return unit;
  }
  return "none";
}

struct ThreadProfile {
  std::string name;
  std::vector<size_t> samples;  // indices into ExportProfile::samples
  double total = 0;
};

}  // namespace

bool RootedAtThreads(const ExportProfile& profile) {
  if (profile.samples.empty()) return false;
  for (const ExportSample& s : profile.samples) {
    if (s.frames.empty() || s.frames[0] >= profile.frames.size()) return false;
    const ExportFrame& root = profile.frames[s.frames[0]];
    if (root.lines.size() != 1 || !IsThreadFrameName(root.lines[0].function)) return false;
  }
  return true;
}

absl::Status WriteSpeedscope(const ExportProfile& profile, const SpeedscopeOptions& options,
                             std::ostream& out) {
  if (profile.samples.empty()) {
    return absl::InvalidArgumentError("the profile has no sample to export");
  }
  // Speedscope frames: one per distinct (name, file, line), made on first
  // use, so that thread frames that only name profiles are not listed; each
  // ExportFrame expands to its lines, outermost first.
  std::vector<std::vector<uint32_t>> expanded(profile.frames.size());
  absl::flat_hash_map<std::tuple<std::string, std::string, int64_t>, uint32_t> index;
  std::string frames_json;
  auto expand = [&](uint32_t frame) -> const std::vector<uint32_t>& {
    std::vector<uint32_t>& ids = expanded[frame];
    if (!ids.empty()) return ids;
    const std::vector<ExportLine>& lines = profile.frames[frame].lines;
    for (size_t k = lines.size(); k-- > 0;) {
      const ExportLine& l = lines[k];
      auto [it, inserted] = index.try_emplace(std::make_tuple(l.function, l.file, l.line),
                                              static_cast<uint32_t>(index.size()));
      if (inserted) {
        frames_json += frames_json.empty() ? "\n    {\"name\":" : ",\n    {\"name\":";
        AppendJsonString(l.function, &frames_json);
        if (!l.file.empty()) {
          frames_json += ",\"file\":";
          AppendJsonString(l.file, &frames_json);
        }
        if (l.line > 0) absl::StrAppend(&frames_json, ",\"line\":", l.line);
        frames_json += "}";
      }
      ids.push_back(it->second);
    }
    return ids;
  };

  std::vector<ThreadProfile> threads;
  absl::flat_hash_map<uint32_t, size_t> thread_of_root;
  for (size_t i = 0; i < profile.samples.size(); ++i) {
    const ExportSample& s = profile.samples[i];
    for (uint32_t f : s.frames) {
      if (f >= profile.frames.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("a sample names frame ", f, " of ", profile.frames.size()));
      }
    }
    size_t t = 0;
    if (options.per_thread && !s.frames.empty()) {
      auto [it, inserted] = thread_of_root.try_emplace(s.frames[0], threads.size());
      if (inserted) {
        threads.push_back(ThreadProfile{profile.frames[s.frames[0]].lines.back().function, {}, 0});
      }
      t = it->second;
    } else if (threads.empty()) {
      threads.push_back(ThreadProfile{options.name, {}, 0});
    }
    threads[t].samples.push_back(i);
    threads[t].total += s.weight;
  }

  // The profiles first: they make the frames they use.
  std::string json = "\n  ]},\n  \"profiles\":[";
  std::string_view unit = SpeedscopeUnit(profile.sample_unit);
  for (size_t t = 0; t < threads.size(); ++t) {
    const ThreadProfile& th = threads[t];
    json += t == 0 ? "\n    {\"type\":\"sampled\",\"name\":" : ",\n    {\"type\":\"sampled\",\"name\":";
    AppendJsonString(th.name, &json);
    json += ",\"unit\":\"";
    json.append(unit.data(), unit.size());
    absl::StrAppend(&json, "\",\"startValue\":0,\"endValue\":", FormatWeight(th.total),
                    ",\n     \"samples\":[");
    std::string weights;
    for (size_t n = 0; n < th.samples.size(); ++n) {
      const ExportSample& s = profile.samples[th.samples[n]];
      json += n == 0 ? "[" : ",[";
      bool first = true;
      // The thread's root frame names the profile; it is not in its stacks.
      size_t begin = options.per_thread ? 1 : 0;
      for (size_t k = begin; k < s.frames.size(); ++k) {
        for (uint32_t f : expand(s.frames[k])) {
          if (!first) json += ",";
          first = false;
          absl::StrAppend(&json, f);
        }
      }
      json += "]";
      absl::StrAppend(&weights, n == 0 ? "" : ",", FormatWeight(s.weight));
    }
    json += "],\n     \"weights\":[";
    json += weights;
    json += "]}";
  }
  json += "\n  ],\n  \"name\":";
  AppendJsonString(options.name, &json);
  json += ",\"activeProfileIndex\":0,\"exporter\":";
  AppendJsonString(options.exporter, &json);
  json += "}\n";
  std::string head = "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n";
  head += "  \"shared\":{\"frames\":[";
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  out.write(frames_json.data(), static_cast<std::streamsize>(frames_json.size()));
  out.write(json.data(), static_cast<std::streamsize>(json.size()));
  if (!out) return absl::InternalError("cannot write the speedscope file");
  return absl::OkStatus();
}

absl::Status WriteSpeedscope(const Profile& profile, const FoldedMeta& meta,
                             const SpeedscopeOptions& options, std::ostream& out) {
  return WriteSpeedscope(FromFolded(profile, meta), options, out);
}

}  // namespace stackfire::exporter
