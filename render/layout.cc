#include "render/layout.h"

#include <algorithm>
#include <cmath>

namespace stackfire::render {
namespace {

// flamegraph.pl sorts whole lines, so when one stack is a prefix of another
// the byte after the shorter stack is its separator (usually ' ').
bool LineLess(const StackWeight& a, const StackWeight& b) {
  size_t n = std::min(a.stack.size(), b.stack.size());
  int c = a.stack.substr(0, n).compare(b.stack.substr(0, n));
  if (c != 0) return c < 0;
  if (a.stack.size() == b.stack.size()) return false;
  if (a.stack.size() < b.stack.size()) {
    return static_cast<unsigned char>(a.separator) < static_cast<unsigned char>(b.stack[n]);
  }
  return static_cast<unsigned char>(a.stack[n]) < static_cast<unsigned char>(b.separator);
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

std::vector<std::string_view> SplitFrames(std::string_view stack) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= stack.size()) {
    size_t p = stack.find(';', start);
    if (p == std::string_view::npos) p = stack.size();
    out.push_back(stack.substr(start, p - start));
    start = p + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
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
  if (!options.flamechart) std::sort(input.begin(), input.end(), LineLess);

  std::vector<Frame>& frames = layout.frames;
  frames.push_back(Frame{});  // the root
  std::vector<uint32_t> path = {0};
  double time = 0;
  for (const StackWeight& s : input) {
    if (options.differential) {
      layout.max_delta = std::max(layout.max_delta, std::fabs(s.after - s.before));
    }
    std::vector<std::string_view> parts = SplitFrames(s.stack);
    size_t same = 0;  // frames of `parts` already open
    while (same < parts.size() && same + 1 < path.size() &&
           frames[path[same + 1]].name == parts[same]) {
      ++same;
    }
    for (size_t d = path.size() - 1; d > same; --d) frames[path[d]].end = time;
    path.resize(same + 1);
    for (size_t d = same; d < parts.size(); ++d) {
      Frame f;
      f.name = parts[d];
      f.depth = static_cast<uint32_t>(d + 1);
      f.parent = path.back();
      f.start = time;
      path.push_back(static_cast<uint32_t>(frames.size()));
      frames.push_back(f);
    }
    frames[path.back()].self_delta += s.after - s.before;
    if (options.differential) {
      for (uint32_t i : path) frames[i].before += s.before;
    }
    layout.before_total += s.before;
    time += s.after;
  }
  for (size_t d = path.size(); d-- > 1;) frames[path[d]].end = time;

  if (!(time > 0)) {
    return absl::InvalidArgumentError("no stack counts found");
  }
  double timemax = time;
  if (options.total > time) timemax = options.total;
  layout.total = timemax;
  frames[0].end = timemax;

  double widthpertime = (options.image_width - 2 * options.xpad) / timemax;
  double minwidth_time = options.minwidth_percent ? timemax * options.minwidth / 100
                                                  : options.minwidth / widthpertime;

  // Prune in pre-order: a frame goes when it is too narrow or its parent went.
  std::vector<uint32_t> new_index(frames.size(), UINT32_MAX);
  std::vector<Frame> kept;
  kept.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    Frame f = frames[i];
    if (i != 0) {
      if (new_index[f.parent] == UINT32_MAX) continue;
      bool vanished = options.keep_removed && f.width() <= 0 && f.before > 0;
      if (vanished) {
        if (f.before < minwidth_time) continue;
        f.removed = true;
      } else if (f.width() < minwidth_time) {
        continue;
      }
      f.parent = new_index[f.parent];
    }
    new_index[i] = static_cast<uint32_t>(kept.size());
    layout.max_depth = std::max(layout.max_depth, f.depth);
    kept.push_back(f);
  }
  frames = std::move(kept);
  return layout;
}

}  // namespace stackfire::render
