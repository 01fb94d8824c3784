#include "collapse/parallel_collapse.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace stackfire::collapse {
namespace {

struct Segment {
  size_t index = 0;
  size_t begin = 0;  // offset in the input
  size_t end = 0;
  std::string_view text;
  std::string owned;  // the bytes, when the source is not in memory at once
  // No blank line for long: this and all the rest of the input must be read
  // in order by one collapser (see FeedTail).
  bool tail = false;
};

// Cuts the input into segments that end right after a blank line.
class Segmenter {
 public:
  Segmenter(const CollapseSource& source, size_t segment_bytes)
      : source_(source), segment_bytes_(std::max<size_t>(segment_bytes, 2)) {}

  // The next segment, or nullopt at the end.
  absl::StatusOr<std::optional<Segment>> Next() {
    Segment seg;
    seg.index = next_index_;
    seg.begin = offset_;
    const size_t limit = 4 * segment_bytes_;
    if (source_.whole) {
      std::string_view all = *source_.whole;
      if (offset_ >= all.size()) return std::optional<Segment>();
      const size_t from = offset_ + segment_bytes_;
      size_t end = Cut(all, from, offset_ + limit);
      if (end == std::string_view::npos) {
        seg.tail = true;
        end = all.size();
      }
      // Looking for the cut mapped the pages around it (the kernel maps up
      // to 64 KiB around each fault): they stay out of the resident set
      // until a worker gets there.
      if (source_.release && from < all.size()) {
        constexpr size_t kAround = 64 << 10;
        source_.release(from / kAround * kAround, std::min(all.size(), (end / kAround + 1) * kAround));
      }
      seg.text = all.substr(offset_, end - offset_);
    } else {
      size_t end = std::string_view::npos;
      while (true) {
        if (pending_.size() >= segment_bytes_) {
          end = Cut(pending_, std::max(segment_bytes_, searched_), limit);
          if (end == pending_.size() && !eof_) end = std::string_view::npos;  // more may come
          if (end != std::string_view::npos) break;
          searched_ = pending_.size();
          if (pending_.size() >= limit) {
            seg.tail = true;
            end = pending_.size();
            break;
          }
        }
        if (eof_) {
          end = pending_.size();
          break;
        }
        absl::StatusOr<std::string_view> piece = source_.next();
        if (!piece.ok()) return piece.status();
        if (piece->empty()) eof_ = true;
        pending_.append(*piece);
      }
      if (end == 0) return std::optional<Segment>();
      seg.owned = pending_.substr(0, end);
      pending_.erase(0, end);
      searched_ = 0;
      seg.text = seg.owned;
    }
    offset_ += seg.text.size();
    seg.end = offset_;
    ++next_index_;
    return std::optional<Segment>(std::move(seg));
  }

  bool eof() const { return eof_; }

 private:
  // Just past the first "\n\n" that starts at or after `from` - 1 and ends
  // before `limit`; the end of `text` when `text` ends first; npos when no
  // blank line comes before `limit`.
  static size_t Cut(std::string_view text, size_t from, size_t limit) {
    if (from >= text.size()) return text.size();
    const char* p = text.data() + from - 1;
    const char* end = text.data() + std::min(text.size(), limit);
    while (p < end) {
      const void* nl = std::memchr(p, '\n', end - p);
      if (nl == nullptr) break;
      p = static_cast<const char*>(nl) + 1;
      if (p < end && *p == '\n') return static_cast<size_t>(p + 1 - text.data());
    }
    return limit >= text.size() ? text.size() : std::string_view::npos;
  }

  const CollapseSource& source_;
  const size_t segment_bytes_;
  size_t next_index_ = 0;
  size_t offset_ = 0;
  std::string pending_;
  size_t searched_ = 0;  // pending_ has no blank line before this
  bool eof_ = false;
};

// Segments handed to the workers, at most `capacity` at a time.
class SegmentQueue {
 public:
  explicit SegmentQueue(size_t capacity) : capacity_(capacity) {}

  void Push(Segment seg) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(seg));
    not_empty_.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  std::optional<Segment> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    Segment seg = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return seg;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Segment> queue_;
  bool closed_ = false;
};

// Which segments are done, to release the input behind the first not done.
class Progress {
 public:
  explicit Progress(std::function<void(size_t, size_t)> release) : release_(std::move(release)) {}

  void Started(const Segment& seg) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ends_.size() <= seg.index) {
      ends_.resize(seg.index + 1, 0);
      done_.resize(seg.index + 1, false);
    }
    ends_[seg.index] = seg.end;
  }
  void Done(size_t index) {
    std::lock_guard<std::mutex> lock(mu_);
    done_[index] = true;
    size_t upto = released_upto_;
    while (first_pending_ < done_.size() && done_[first_pending_]) {
      upto = ends_[first_pending_];
      ++first_pending_;
    }
    if (upto > released_upto_ && release_) {
      release_(released_upto_, upto);
      released_upto_ = upto;
    }
  }

 private:
  std::function<void(size_t, size_t)> release_;
  std::mutex mu_;
  std::vector<size_t> ends_;
  std::vector<bool> done_;
  size_t first_pending_ = 0;
  size_t released_upto_ = 0;
};

}  // namespace

void MergeStats(const PerfScriptStats& segment, PerfScriptStats* total) {
  if (segment.unparsable_lines > 0 && total->unparsable_lines == 0) {
    total->first_unparsable_line = total->lines + segment.first_unparsable_line;
    total->first_unparsable_text = segment.first_unparsable_text;
  }
  total->unparsable_lines += segment.unparsable_lines;
  total->lines += segment.lines;
  total->samples += segment.samples;
  total->single_line_samples += segment.single_line_samples;
  total->filtered_samples += segment.filtered_samples;
  if (total->event.empty()) {
    total->event = segment.event;
    total->event_defaulted = segment.event_defaulted;
  }
  // No structured binding here: clang before 16 cannot capture one in a lambda.
  for (const auto& event : segment.events) {
    auto it = std::find_if(total->events.begin(), total->events.end(),
                           [&](const auto& e) { return e.first == event.first; });
    if (it == total->events.end()) {
      total->events.push_back(event);
    } else {
      it->second += event.second;
    }
  }
}

namespace {

void MergeInto(Profile part, Profile* total) {
  if (total->empty()) {
    *total = std::move(part);
  } else if (part.size() > total->size()) {
    part.Merge(*total);
    *total = std::move(part);
  } else {
    total->Merge(part);
  }
}

// Bytes of a mapped input read between two releases of what was read. Each
// thread keeps about this much of the input resident: 64 KiB instead of 256
// KiB takes peak RSS from ~8.7 MB to ~8.35 MB (two threads, 100 MB input) for
// a few hundred more madvise calls.
constexpr size_t kSlice = 64 << 10;

// Feeds a segment's text to `c` in slices, releasing each slice of a mapped
// input once read, so that only a few pages per thread stay resident.
void FeedSlices(const CollapseSource& source, const Segment& seg, PerfScriptCollapser& c) {
  for (size_t at = 0; at < seg.text.size(); at += kSlice) {
    std::string_view slice = seg.text.substr(at, kSlice);
    c.Feed(slice);
    if (source.whole && source.release) source.release(seg.begin, seg.begin + at + slice.size());
  }
}

// Feeds the stream's pieces that the segmenter has not read to `c`, up to
// its end.
absl::Status FeedRestOfStream(const CollapseSource& source, PerfScriptCollapser& c) {
  while (true) {
    absl::StatusOr<std::string_view> piece = source.next();
    if (!piece.ok()) return piece.status();
    if (piece->empty()) return absl::OkStatus();
    c.Feed(*piece);
  }
}

void FeedSegment(const CollapseSource& source, const Segment& seg, PerfScriptCollapser& c) {
  FeedSlices(source, seg, c);
  c.Finish();
}

// Feeds `tail` and everything after it to `c`, in order.
absl::Status FeedTail(const CollapseSource& source, Segment& tail, PerfScriptCollapser& c) {
  FeedSlices(source, tail, c);
  if (!source.whole) {
    tail.owned.clear();
    tail.owned.shrink_to_fit();
    if (absl::Status s = FeedRestOfStream(source, c); !s.ok()) return s;
  }
  c.Finish();
  return absl::OkStatus();
}

}  // namespace

absl::Status CollapsePerfScriptParallel(const CollapseSource& source,
                                        const PerfScriptOptions& options,
                                        const ParallelOptions& parallel, Profile* profile,
                                        PerfScriptStats* stats) {
  int threads = parallel.threads;
  if (threads <= 0) {
    // A stream is read on one thread by default: cutting it into segments
    // means copying every byte once more, and holding the copies in flight.
    threads = source.whole ? static_cast<int>(std::min(8u, std::thread::hardware_concurrency())) : 1;
  }
  threads = std::max(threads, 1);
  if (threads == 1 && !source.whole) {
    // Straight through: one buffer of the reader's, nothing copied.
    PerfScriptCollapser c(options);
    if (absl::Status s = FeedRestOfStream(source, c); !s.ok()) return s;
    c.Finish();
    *stats = c.TakeStats();
    MergeInto(c.TakeProfile(), profile);
    return absl::OkStatus();
  }
  // Streamed segments are copies: smaller ones keep less in flight.
  Segmenter segmenter(source, source.whole ? parallel.segment_bytes
                                           : std::min<size_t>(parallel.segment_bytes, 256 << 10));
  Progress progress(source.release);
  *stats = PerfScriptStats();
  stats->event = options.event_filter;

  // In order on this thread until the event to keep is known.
  auto first = std::make_unique<PerfScriptCollapser>(options);
  bool filter_known = !options.event_filter.empty();
  std::optional<Segment> pending;
  while (true) {
    absl::StatusOr<std::optional<Segment>> seg = segmenter.Next();
    if (!seg.ok()) return seg.status();
    if (!seg->has_value()) break;
    if ((*seg)->tail) {
      absl::Status s = FeedTail(source, **seg, *first);
      if (!s.ok()) return s;
      MergeStats(first->TakeStats(), stats);
      break;
    }
    if (filter_known && threads > 1) {
      pending = std::move(**seg);
      break;
    }
    progress.Started(**seg);
    FeedSegment(source, **seg, *first);
    MergeStats(first->TakeStats(), stats);
    progress.Done((*seg)->index);
    filter_known = filter_known || !stats->event.empty();
  }
  if (!pending) {
    MergeInto(first->TakeProfile(), profile);
    return absl::OkStatus();
  }

  // The rest on the workers, which all add to *profile: one copy of each
  // distinct stack between them, and nothing to merge at the end. (Samples
  // end a few thousand times per second per thread: the lock is rarely
  // contended.)
  PerfScriptOptions worker_options = options;
  worker_options.event_filter = stats->event;
  MergeInto(first->TakeProfile(), profile);
  std::mutex profile_mu;
  first->ShareProfile(profile, &profile_mu);
  // Queued segments of a mapped input are only views; streamed ones are copies.
  SegmentQueue queue((source.whole ? 2 : 1) * static_cast<size_t>(threads));
  std::mutex results_mu;
  std::vector<std::pair<size_t, PerfScriptStats>> results;
  std::vector<std::unique_ptr<PerfScriptCollapser>> collapsers;
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    // The first worker goes on with the collapser that chose the event (its
    // state is clean at a segment's end): one profile less to hold and merge.
    collapsers.push_back(i == 0 ? std::move(first)
                                : std::make_unique<PerfScriptCollapser>(worker_options));
    collapsers.back()->ShareProfile(profile, &profile_mu);
    workers.emplace_back([&, c = collapsers.back().get()] {
      while (std::optional<Segment> seg = queue.Pop()) {
        FeedSegment(source, *seg, *c);
        PerfScriptStats s = c->TakeStats();
        {
          std::lock_guard<std::mutex> lock(results_mu);
          results.emplace_back(seg->index, std::move(s));
        }
        progress.Done(seg->index);
      }
    });
  }
  absl::Status status = absl::OkStatus();
  PerfScriptCollapser tail_collapser(worker_options);
  tail_collapser.ShareProfile(profile, &profile_mu);
  bool had_tail = false;
  while (pending) {
    if (pending->tail) {
      had_tail = true;
      status = FeedTail(source, *pending, tail_collapser);
      break;
    }
    progress.Started(*pending);
    queue.Push(std::move(*pending));
    pending.reset();
    absl::StatusOr<std::optional<Segment>> seg = segmenter.Next();
    if (!seg.ok()) {
      status = seg.status();
      break;
    }
    pending = std::move(*seg);
  }
  queue.Close();
  for (std::thread& t : workers) t.join();
  if (!status.ok()) return status;

  std::sort(results.begin(), results.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [index, s] : results) MergeStats(s, stats);
  if (had_tail) MergeStats(tail_collapser.TakeStats(), stats);
  return absl::OkStatus();
}

}  // namespace stackfire::collapse
