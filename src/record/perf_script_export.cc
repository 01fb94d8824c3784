// See perf_script_export.h.
#include "src/record/perf_script_export.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace stackfire::record {
namespace {

std::string_view WithoutSuffix(std::string_view name, std::string_view suffix) {
  if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
    name.remove_suffix(suffix.size());
  }
  return name;
}

}  // namespace

absl::Status WritePerfScript(const RecordedProfile& recorded, size_t begin, size_t end,
                             const std::string& event, std::ostream& out) {
  const StackStore& store = recorded.stacks;
  end = std::min(end, recorded.timeline.size());
  std::vector<uint32_t> order;
  for (size_t i = begin; i < end; ++i) order.push_back(static_cast<uint32_t>(i));
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return recorded.timeline[a].time_ns < recorded.timeline[b].time_ns;
  });
  // Each stack's frame lines once (they do not depend on the sample).
  std::vector<std::string> lines(store.stack_count());
  std::vector<bool> done(store.stack_count());
  std::string s;
  char buf[64];
  for (uint32_t i : order) {
    const TimedSample& t = recorded.timeline[i];
    const WeightedStack& row = recorded.weights.rows()[t.stack];
    auto thread = recorded.threads.find(t.tid);
    const uint32_t pid = thread != recorded.threads.end() ? thread->second.pid : t.tid;
    // Not a ?: of std::string and "[unknown]": that makes a temporary string.
    std::string_view comm = "[unknown]";
    if (thread != recorded.threads.end()) comm = thread->second.comm;
    s.clear();
    s.append(comm.data(), comm.size());
    std::snprintf(buf, sizeof buf, " %" PRIu32 "/%" PRIu32 " %" PRId64 ".%06" PRId64 ": ", pid,
                  t.tid, t.time_ns / 1000000000, t.time_ns % 1000000000 / 1000);
    s += buf;
    s += event;
    s += ":\n";
    std::string& text = lines[row.stack];
    if (!done[row.stack]) {
      done[row.stack] = true;
      std::span<const uint32_t> locations = store.locations_of(row.stack);
      for (size_t l = locations.size(); l-- > 0;) {  // leaf first
        const StackLocation& loc = store.location(locations[l]);
        for (uint32_t id : store.frames_of(loc)) {  // innermost first
          const StackFrame& f = store.frame(id);
          std::string_view name = f.name;
          std::string module;
          if (f.kind == FrameKind::kKernel) {
            name = WithoutSuffix(name, "_[k]");
            module = "[kernel.kallsyms]";
          } else if (f.kind == FrameKind::kJit) {
            name = WithoutSuffix(name, "_[j]");
            module = absl::StrCat("/tmp/perf-", pid, ".map");
          } else if (f.kind == FrameKind::kMarker) {
            module = "[unknown]";
          } else if (f.module >= 0) {
            module = store.modules()[static_cast<size_t>(f.module)];
            // "[vdso]": the script's --kernel takes any "[...]" module for
            // the kernel's.
            if (module.size() > 2 && module.front() == '[' && module.back() == ']') {
              module = module.substr(1, module.size() - 2);
            }
          } else {
            module = "[unknown]";
          }
          std::snprintf(buf, sizeof buf, "\t%16" PRIx64 " ", loc.address);
          text += buf;
          text.append(name.data(), name.size());
          if (f.kind != FrameKind::kMarker) text += "+0x0";
          text += " (";
          text += module;
          text += ")\n";
        }
      }
    }
    s += text;
    s += '\n';
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
  }
  out.flush();
  if (!out) return absl::DataLossError("cannot write the perf script text (disk full?)");
  return absl::OkStatus();
}

}  // namespace stackfire::record
