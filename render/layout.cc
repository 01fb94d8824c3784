#include "render/layout.h"

#include "stackfire/profile.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace stackfire::render {
namespace {

size_t CommonPrefix(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i + 8 <= n) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) break;
    i += 8;
  }
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// flamegraph.pl sorts whole lines, so when one stack is a prefix of another
// the byte after the shorter stack is its separator (usually ' '). Equal
// stacks compare equal whatever their counts (they merge anyway).
std::string Line(const StackWeight& s) {
  std::string line(s.stack);
  line += s.separator;
  if (s.tail.empty()) {
    line += FormatWeight(s.after);
  } else {
    line.append(s.tail);
  }
  return line;
}

bool LineLess(const StackWeight& a, const StackWeight& b) {
  size_t n = std::min(a.stack.size(), b.stack.size());
  int c = std::memcmp(a.stack.data(), b.stack.data(), n);
  if (c != 0) return c < 0;
  if (a.stack.size() == b.stack.size()) return false;
  unsigned char x = a.stack.size() > n ? a.stack[n] : a.separator;
  unsigned char y = b.stack.size() > n ? b.stack[n] : b.separator;
  if (x != y) return x < y;
  // Rare: "f 12" against "f x 3": the counts' text decides.
  return Line(a) < Line(b);
}

std::string Reversed(std::string_view stack) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t p = stack.find(';', start);
    if (p == std::string_view::npos) {
      parts.push_back(stack.substr(start));
      break;
    }
    parts.push_back(stack.substr(start, p - start));
    start = p + 1;
  }
  // perl's split drops trailing empty fields before the reverse.
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  std::string out;
  out.reserve(stack.size());
  for (size_t i = parts.size(); i-- > 0;) {
    out.append(parts[i]);
    if (i != 0) out.push_back(';');
  }
  return out;
}

// flamegraph.pl --colors chain: the frames after each ";--;" separator are
// wakers, annotated "_[w]". Unlike perl, a stack without a separator is left
// alone (perl appends a spurious "--" frame to it).
std::string ChainAnnotated(std::string_view stack) {
  constexpr std::string_view kSep = ";--;";
  size_t p = stack.find(kSep);
  std::string out(stack.substr(0, p));
  while (p != std::string_view::npos) {
    out.append(kSep);
    size_t start = p + kSep.size();
    p = stack.find(kSep, start);
    std::string_view part = stack.substr(start, p == std::string_view::npos ? p : p - start);
    for (char c : part) {
      if (c == ';') out.append("_[w]");
      out.push_back(c);
    }
    out.append("_[w]");
  }
  return out;
}


}  // namespace

void SplitFramesInto(std::string_view stack, std::vector<std::string_view>* out) {
  out->clear();
  size_t start = 0;
  while (start <= stack.size()) {
    size_t p = stack.find(';', start);
    if (p == std::string_view::npos) p = stack.size();
    out->push_back(stack.substr(start, p - start));
    start = p + 1;
  }
  while (!out->empty() && out->back().empty()) out->pop_back();
}

std::vector<std::string_view> SplitFrames(std::string_view stack) {
  std::vector<std::string_view> out;
  SplitFramesInto(stack, &out);
  return out;
}

absl::StatusOr<Layout> BuildLayout(std::vector<StackWeight> input, const LayoutOptions& options) {
  Layout layout;
  layout.differential = options.differential;
  if (options.reverse || options.chain) {
    for (StackWeight& s : input) {
      std::string rewritten(s.stack);
      if (options.reverse) {
        rewritten = Reversed(rewritten);
        s.separator = ' ';
      }
      if (options.chain && rewritten.find(";--;") != std::string::npos) {
        rewritten = ChainAnnotated(rewritten);
      }
      s.stack = layout.storage.emplace_back(std::move(rewritten));
    }
  }
  // Folded files from collapse tools are sorted already; check before sorting.
  if (!options.flamechart && !std::is_sorted(input.begin(), input.end(), LineLess)) {
    std::sort(input.begin(), input.end(), LineLess);
  }

  // The total is needed up front: frames are pruned as soon as they close.
  double sum = 0;
  for (const StackWeight& s : input) sum += s.after;
  if (!(sum > 0)) return absl::InvalidArgumentError("no stack counts found");
  const double timemax = options.total > sum ? options.total : sum;
  const double widthpertime = (options.image_width - 2 * options.xpad) / timemax;
  const double minwidth_time = options.minwidth_percent ? timemax * options.minwidth / 100
                                                        : options.minwidth / widthpertime;

  std::vector<Frame>& frames = layout.frames;
  frames.reserve(options.reserve_frames);
  frames.push_back(Frame{});  // the root
  // Closing frame i: narrow frames go, with their subtree, which is exactly
  // frames[i..] (pre-order, and everything after i is closed already).
  auto close = [&](uint32_t i, double end) {
    Frame& f = frames[i];
    f.end = end;
    if (f.width() >= minwidth_time) return;
    if (options.keep_removed && f.width() <= 0 && f.before > 0 && f.before >= minwidth_time) {
      f.removed = true;
      return;
    }
    frames.resize(i);
  };
  // The open frames, root first, and where each ends in the previous stack.
  std::vector<uint32_t> path = {0};
  std::vector<size_t> path_end = {0};
  std::string_view prev;
  double time = 0;
  for (const StackWeight& s : input) {
    if (options.differential) {
      layout.max_delta = std::max(layout.max_delta, std::fabs(s.after - s.before));
    }
    // perl's split(";") drops trailing empty fields.
    std::string_view cur = s.stack;
    while (!cur.empty() && cur.back() == ';') cur.remove_suffix(1);
    // Frames shared with the previous stack: compare bytes once, then count
    // the open frames that end inside the common prefix.
    size_t same = 0;
    if (!cur.empty()) {
      size_t lcp = CommonPrefix(cur, prev);
      while (same + 1 < path.size()) {
        size_t end = path_end[same + 1];
        bool equal = end < lcp || (end == lcp && (cur.size() == lcp || cur[lcp] == ';'));
        if (!equal) break;
        ++same;
      }
    }
    for (size_t d = path.size() - 1; d > same; --d) close(path[d], time);
    path.resize(same + 1);
    path_end.resize(same + 1);
    if (!cur.empty() && (same == 0 || path_end[same] < cur.size())) {
      size_t start = same == 0 ? 0 : path_end[same] + 1;
      uint32_t depth = static_cast<uint32_t>(same);
      while (true) {
        size_t p = cur.find(';', start);
        if (p == std::string_view::npos) p = cur.size();
        Frame f;
        f.name = cur.substr(start, p - start);
        f.depth = ++depth;
        f.parent = path.back();
        f.start = time;
        path.push_back(static_cast<uint32_t>(frames.size()));
        path_end.push_back(p);
        frames.push_back(f);
        if (p == cur.size()) break;
        start = p + 1;
      }
    }
    prev = cur;
    frames[path.back()].self_delta += s.after - s.before;
    if (options.leaf_of != nullptr) (*options.leaf_of)[s.id] = path.back();
    if (options.differential) {
      for (uint32_t i : path) frames[i].before += s.before;
    }
    layout.before_total += s.before;
    time += s.after;
  }
  for (size_t d = path.size(); d-- > 1;) close(path[d], time);
  layout.total = timemax;
  frames[0].end = timemax;
  for (const Frame& f : frames) layout.max_depth = std::max(layout.max_depth, f.depth);
  return layout;
}

}  // namespace stackfire::render
