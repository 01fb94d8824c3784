#include "collapse/perf_script.h"

#include <cmath>

#include "absl/strings/numbers.h"

#include <algorithm>
#include <cstring>

#include "collapse/stack_line_scan.h"

namespace stackfire::collapse {


namespace {

// A --from/--to bound in nanoseconds: absolute, or after the first sample's
// time `first`; the sum saturates (a bound of 9e9 s after a first sample near
// the end of int64's range).
int64_t BoundNs(const PerfScriptOptions::TimeBound& b, int64_t first) {
  if (b.absolute) return b.ns;
  int64_t sum = 0;
  if (__builtin_add_overflow(b.ns, first, &sum)) return first < 0 ? INT64_MIN : INT64_MAX;
  return sum;
}

std::string_view BaseEvent(std::string_view event) { return event.substr(0, event.find(':')); }

}  // namespace

PerfScriptCollapser::PerfScriptCollapser(PerfScriptOptions options)
    : options_(std::move(options)) {
  frame_ctx_.annotate_kernel = options_.annotate_kernel;
  frame_ctx_.annotate_jit = options_.annotate_jit;
  frame_ctx_.include_addrs = options_.include_addrs;
  stats_.event = options_.event_filter;
  plain_names_ = !options_.annotate_kernel && !options_.annotate_jit;
  need_time_ = options_.from || options_.to || options_.collect_timeline;
}

void PerfScriptCollapser::Feed(std::string_view data) {
  const char* p = data.data();
  const char* end = p + data.size();
  if (skipping_) {
    const void* nl = std::memchr(p, '\n', data.size());
    if (nl == nullptr) return;
    skipping_ = false;
    p = static_cast<const char*>(nl) + 1;
  }
  if (!partial_.empty()) {
    const void* nl = std::memchr(p, '\n', end - p);
    if (nl == nullptr) {
      Carry(std::string_view(p, end - p));
      return;
    }
    const char* e = static_cast<const char*>(nl);
    partial_.append(p, e - p);
    OnCompleteLine(partial_);
    partial_.clear();
    p = e + 1;
  }
  const size_t limit = std::min(kFastLineLimit, options_.max_line_bytes);
  while (p < end) {
    if (options_.fast_paths && (*p == '\t' || *p == ' ')) {
      if (std::optional<ScannedStackLine> s = ScanStackLine(p, end, limit)) {
        OnScannedStackLine(*s);
        p = s->next;
        continue;
      }
    }
    const void* nl = std::memchr(p, '\n', end - p);
    if (nl == nullptr) {
      Carry(std::string_view(p, end - p));
      return;
    }
    const char* e = static_cast<const char*>(nl);
    OnCompleteLine(std::string_view(p, e - p));
    p = e + 1;
  }
}

void PerfScriptCollapser::Carry(std::string_view data) {
  partial_.append(data);
  if (partial_.size() <= options_.max_line_bytes) return;
  ++stats_.lines;
  CountUnparsable(partial_);
  partial_.clear();
  partial_.shrink_to_fit();
  skipping_ = true;
}

// The length limit holds for every line, however the input was cut into
// pieces: a line that arrives whole is skipped like one carried over.
void PerfScriptCollapser::OnCompleteLine(std::string_view line) {
  if (line.size() > options_.max_line_bytes) {
    ++stats_.lines;
    CountUnparsable(line);
    return;
  }
  OnLine(line);
}

void PerfScriptCollapser::Finish() {
  if (!partial_.empty()) {
    OnCompleteLine(partial_);
    partial_.clear();
  }
  skipping_ = false;
  EndSample();
  const int64_t first = std::max<int64_t>(stats_.first_time_ns, 0);
  timeline_.start_ns = first;
  if (options_.from) timeline_.start_ns = std::max(first, BoundNs(*options_.from, first));
  timeline_.end_ns = std::max(timeline_.start_ns, stats_.last_time_ns);
  if (options_.to) {
    timeline_.end_ns =
        std::max(timeline_.start_ns, std::min(timeline_.end_ns, BoundNs(*options_.to, first)));
  }
}

PerfScriptStats PerfScriptCollapser::TakeStats() {
  PerfScriptStats taken = std::move(stats_);
  stats_ = PerfScriptStats();
  stats_.event = taken.event;
  stats_.event_defaulted = taken.event_defaulted;
  return taken;
}

void PerfScriptCollapser::OnLine(std::string_view line) {
  ++stats_.lines;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    EndSample();
    return;
  }
  if (line[0] == '#') return;
  if (!IsSpace(line[0])) {  // event lines start with the command name
    if (std::optional<EventHead> head = MatchEventHead(line)) {
      OnEventLine(line, *head);
      return;
    }
  }
  if (std::optional<StackLine> frame = MatchStackLine(line)) {
    if (in_sample_) {
      AddFrames(*frame);
    } else {
      OnIndentedLine(line);
    }
    return;
  }
  CountUnparsable(line);
}

// What OnLine does with the same line, when it is a stack line in the
// common form (see stack_line_scan.h).
void PerfScriptCollapser::OnScannedStackLine(const ScannedStackLine& s) {
  ++stats_.lines;
  if (!in_sample_) {
    // A one-frame sample (OnIndentedLine) has its event's ':' and a blank
    // after it before the frame: in what the scanner took for the name.
    if (HasColonThenSpace(s.line.rawfunc)) {
      std::string_view line(s.next - 1 - s.length, s.length);
      if (line.back() == '\r') line.remove_suffix(1);
      OnIndentedLine(line);
    }
    return;
  }
  if (plain_names_) {
    const std::string_view name = s.line.rawfunc;
    if (s.plain && (!frame_ctx_.java || name[0] != 'L')) {
      stack_.Prepend(name);
      return;
    }
    if (options_.fast_paths && PrependTidyName(name, frame_ctx_.java, &stack_)) {
      return;
    }
  }
  AddFrames(s.line);
}

void PerfScriptCollapser::OnEventLine(std::string_view line, const EventHead& head) {
  std::string_view period;
  if (std::optional<EventTail> tail = MatchEventTail(line)) {
    if (!AcceptEvent(tail->event, /*single_line=*/false)) return;
    StartSample(head, tail->period, line.substr(head.end));
    return;
  }
  std::optional<SingleLineTail> single =
      MatchSingleLineTail(line.substr(head.end));
  if (!single) {
    // No event name at the end (a tracepoint with arguments, say): the
    // script keeps the sample, unfiltered, with weight 1.
    StartSample(head, {}, line.substr(head.end));
    return;
  }
  if (!AcceptEvent(single->event, /*single_line=*/true)) return;
  StartSample(head, single->period, line.substr(head.end));
  AddFrames(single->frame);
  ++stats_.single_line_samples;
  EndSample();
}

// A line that starts with spaces outside a sample. The script ignores it;
// `perf script` without call graphs right-aligns the process name, so this
// is where most one-frame samples land.
void PerfScriptCollapser::OnIndentedLine(std::string_view line) {
  size_t start = 0;
  while (start < line.size() && IsSpace(line[start])) ++start;
  std::string_view trimmed = line.substr(start);
  // Cheap reject first: the frames of skipped samples come this way too.
  if (std::memchr(trimmed.data(), ':', trimmed.size()) == nullptr) return;
  std::optional<EventHead> head = MatchEventHead(trimmed);
  if (!head) return;
  std::optional<SingleLineTail> single =
      MatchSingleLineTail(trimmed.substr(head->end));
  if (!single) return;
  if (!AcceptEvent(single->event, /*single_line=*/true)) return;
  StartSample(*head, single->period, trimmed.substr(head->end));
  AddFrames(single->frame);
  ++stats_.single_line_samples;
  EndSample();
}

bool PerfScriptCollapser::AcceptEvent(std::string_view event, bool single_line) {
  CountEvent(event);
  if (stats_.event.empty()) {
    // By default only the first event type is kept: merging cycles with
    // instructions, say, would mislead.
    stats_.event.assign(event);
    stats_.event_defaulted = true;
    return true;
  }
  bool same = single_line ? BaseEvent(event) == BaseEvent(stats_.event) : event == stats_.event;
  if (!same) ++stats_.filtered_samples;
  return same;
}

void PerfScriptCollapser::CountEvent(std::string_view event) {
  for (auto& [name, count] : stats_.events) {
    if (name == event) {
      ++count;
      return;
    }
  }
  stats_.events.emplace_back(std::string(event), 1);
}

void PerfScriptCollapser::StartSample(const EventHead& head, std::string_view period,
                                      std::string_view rest) {
  std::string_view pid = head.first_number;
  std::string_view tid = head.second_number;
  if (tid.empty() || tid == "0") {  // Perl's "not $tid"
    tid = pid;
    pid = "?";
  }
  pname_.assign(head.comm);
  if (options_.include_tid) {
    pname_.push_back('-');
    pname_.append(pid);
    pname_.push_back('/');
    pname_.append(tid);
  } else if (options_.include_pid) {
    pname_.push_back('-');
    pname_.append(pid);
  }
  for (char& c : pname_) {
    if (c == ' ') c = '_';
  }
  frame_ctx_.java = pname_.compare(0, 4, "java") == 0;
  if (need_time_) {
    time_ns_ = ParseEventTime(rest);
    if (time_ns_) {
      if (stats_.first_time_ns < 0) stats_.first_time_ns = *time_ns_;
      stats_.last_time_ns = std::max(stats_.last_time_ns, *time_ns_);
    }
    uint64_t t = 0;
    for (char c : tid) t = c >= '0' && c <= '9' ? t * 10 + static_cast<uint64_t>(c - '0') : t;
    tid_ = static_cast<uint32_t>(t);
  }
  weight_ = options_.weigh_by_period ? PeriodWeight(period) : 1;
  in_sample_ = true;
}

void PerfScriptCollapser::AddFrames(const StackLine& frame) {
  group_.clear();
  if (AppendFrames(frame, frame_ctx_, &group_, &scratch_)) stack_.Prepend(group_);
}

bool PerfScriptCollapser::InTimeRange() const {
  if (!options_.from && !options_.to) return true;
  const int64_t t = *time_ns_;
  if (options_.from && t < BoundNs(*options_.from, stats_.first_time_ns)) return false;
  if (options_.to && t >= BoundNs(*options_.to, stats_.first_time_ns)) return false;
  return true;
}

void PerfScriptCollapser::EndSample() {
  if (!in_sample_) return;
  if (need_time_ && !time_ns_) {
    ++stats_.untimed_samples;
    if (options_.from || options_.to) {
      stack_.Clear();
      in_sample_ = false;
      return;
    }
  } else if (need_time_ && !InTimeRange()) {
    ++stats_.outside_samples;
    stack_.Clear();
    in_sample_ = false;
    return;
  }
  stack_.Prepend(pname_);
  if (shared_ != nullptr) {
    std::lock_guard<std::mutex> lock(*shared_mu_);
    shared_->Add(stack_.view(), weight_);
  } else {
    const size_t entry = profile_.Add(stack_.view(), weight_);
    if (options_.collect_timeline && time_ns_) {
      timeline_.samples.push_back(TimedSample{*time_ns_, tid_, static_cast<uint32_t>(entry)});
    }
  }
  ++stats_.samples;
  stack_.Clear();
  in_sample_ = false;
}

void PerfScriptCollapser::CountUnparsable(std::string_view line) {
  if (stats_.unparsable_lines++ == 0) {
    stats_.first_unparsable_line = stats_.lines;
    stats_.first_unparsable_text.assign(line.substr(0, PerfScriptStats::kMaxQuotedLine));
  }
}

std::optional<PerfScriptOptions::TimeBound> ParseTimeBound(std::string_view text) {
  PerfScriptOptions::TimeBound bound;
  if (!text.empty() && text[0] == '@') {
    bound.absolute = true;
    text.remove_prefix(1);
  }
  double seconds = 0;
  if (text.empty() || !absl::SimpleAtod(absl::string_view(text.data(), text.size()), &seconds) ||
      !(seconds >= 0) || seconds > 9e9) {
    return std::nullopt;
  }
  bound.ns = std::llround(seconds * 1e9);
  return bound;
}

Profile CollapsePerfScript(std::string_view text, const PerfScriptOptions& options,
                           PerfScriptStats* stats) {
  PerfScriptCollapser collapser(options);
  collapser.Feed(text);
  collapser.Finish();
  if (stats != nullptr) *stats = collapser.stats();
  return collapser.TakeProfile();
}

}  // namespace stackfire::collapse
