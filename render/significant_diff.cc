#include "render/significant_diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include "render/palette.h"
#include "render/svg_format.h"

namespace stackfire::render {
namespace {

constexpr double kXpad = 10;  // LayoutOptions::xpad, flamegraph.pl's

// flamegraph.pl: minwidth matches ^([0-9.]+)%?$ (ValidateOptions checked it).
double MinwidthTime(const RenderOptions& o, double timemax) {
  std::string text = o.minwidth;
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.pop_back();
  const double v = std::strtod(text.c_str(), nullptr);
  if (percent) return timemax * v / 100;
  const double wpt = (o.width - 2 * kXpad) / timemax;
  return v / wpt;
}

// What BuildLayout's pruning keeps of a full layout: frames at least
// minwidth wide, and vanished frames (no AFTER width) whose BEFORE weight
// is, as removed markers; a frame goes with its subtree. `kept` maps the
// pruned frames to the full layout's.
Layout Prune(const Layout& full, double minwidth_time, std::vector<uint32_t>* kept) {
  Layout out;
  out.total = full.total;
  out.before_total = full.before_total;
  out.max_delta = full.max_delta;
  out.differential = full.differential;
  std::vector<uint32_t> new_index(full.frames.size(), UINT32_MAX);
  for (size_t i = 0; i < full.frames.size(); ++i) {
    const Frame& f = full.frames[i];
    bool removed = false;
    if (i > 0) {
      if (new_index[f.parent] == UINT32_MAX) continue;
      if (!(f.width() >= minwidth_time)) {
        if (!(f.width() <= 0 && f.before > 0 && f.before >= minwidth_time)) continue;
        removed = true;
      }
    }
    new_index[i] = static_cast<uint32_t>(out.frames.size());
    Frame g = f;
    g.parent = i > 0 ? new_index[f.parent] : 0;
    g.removed = removed;
    out.frames.push_back(g);
    kept->push_back(static_cast<uint32_t>(i));
    out.max_depth = std::max(out.max_depth, g.depth);
  }
  return out;
}

const char* VerdictWord(Verdict v) {
  switch (v) {
    case Verdict::kGrew:
      return "grew";
    case Verdict::kShrank:
      return "shrank";
    case Verdict::kUnchanged:
      break;
  }
  return "no significant change";
}

std::string Pct(double v) { return Fixed(v, 2) + "%"; }
std::string SignedPct(double v) {
  if (v == 0) v = 0;  // no "-0.00"
  return (v > 0 ? "+" : "") + Pct(v);
}

class SignificanceAnnotator : public FrameAnnotator {
 public:
  SignificanceAnnotator(const Layout& layout, const FrameTests& tests,
                        const std::vector<uint32_t>& kept, const RenderOptions& o,
                        double sample_weight)
      : layout_(layout), tests_(tests), kept_(kept), o_(o), sample_weight_(sample_weight) {
    for (size_t i = 0; i < kept_.size(); ++i) {
      const ItemChange& c = tests_.changes[kept_[i]];
      if (c.self.significant()) max_delta_ = std::max(max_delta_, std::fabs(Delta(c.self)));
      if (layout_.frames[i].removed && c.total.significant()) {
        max_delta_ = std::max(max_delta_, std::fabs(Delta(c.total)));
      }
    }
  }

  std::string Fill(size_t i) const override {
    const ItemChange& c = tests_.changes[kept_[i]];
    const Change& ch = layout_.frames[i].removed ? c.total : c.self;
    if (!ch.significant()) return "#ffffff";
    return DiffColor(Delta(ch), max_delta_, o_.negate).Hex();
  }

  void AppendTip(size_t i, std::string* s) const override {
    const Frame& f = layout_.frames[i];
    const bool root = f.depth == 0;
    const double width = root ? layout_.total : f.width();
    *s += " (" + FormatCount(width * o_.factor) + " " + o_.countname + ", ";
    *s += root ? std::string("100%") : Pct(100 * std::nearbyint(width * o_.factor) /
                                          (layout_.total * o_.factor));
    *s += ")";
    const ItemChange& c = tests_.changes[kept_[i]];
    AppendChange("", c.total, s);
    if (!root && (c.self.before > 0 || c.self.after > 0)) AppendChange("self: ", c.self, s);
  }

 private:
  // In AFTER's units: after minus BEFORE scaled.
  static double Delta(const Change& c) { return c.after - c.expected; }

  void AppendChange(const char* label, const Change& c, std::string* s) const {
    const double w = sample_weight_ * o_.factor;
    *s += "\n";
    *s += label;
    *s += "before " + FormatCount(c.before * w) + " (" + Pct(c.before_pct) + "), after " +
          FormatCount(c.after * w) + " (" + Pct(c.after_pct) + "), delta " +
          SignedPct(c.delta_pct) + " of total, " + FormatP("p", c.p) + ", " +
          FormatP("q", c.q) + ": " + VerdictWord(c.verdict);
  }

  const Layout& layout_;
  const FrameTests& tests_;
  const std::vector<uint32_t>& kept_;
  const RenderOptions& o_;
  double sample_weight_;
  double max_delta_ = 1;
};

}  // namespace

std::string FormatP(const char* name, double p) {
  char buf[48];
  if (p <= 0) {
    std::snprintf(buf, sizeof buf, "%s < 1e-300", name);
  } else if (p < 0.001) {
    std::snprintf(buf, sizeof buf, "%s = %.1e", name, p);
  } else {
    std::snprintf(buf, sizeof buf, "%s = %.3f", name, p);
  }
  return buf;
}

absl::StatusOr<FrameTests> TestFrames(const DiffRuns& runs, const RenderOptions& o,
                                      const SignificanceOptions& sig) {
  const auto& entries = runs.pooled().entries();
  std::vector<StackWeight> stacks;
  stacks.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const DiffProfile::Entry& e = entries[i];
    StackWeight s{e.stack, e.after, e.before, ' '};
    s.id = static_cast<uint32_t>(i);
    stacks.push_back(s);
  }
  std::vector<uint32_t> leaf_of(entries.size(), 0);
  LayoutOptions lo;
  lo.reverse = o.reverse;
  lo.flamechart = o.flamechart;
  lo.minwidth = 0;
  lo.image_width = o.width;
  lo.total = o.total;
  lo.differential = true;
  lo.keep_removed = true;
  lo.chain = o.colors == "chain";
  lo.leaf_of = &leaf_of;
  absl::StatusOr<Layout> layout = BuildLayout(std::move(stacks), lo);
  if (!layout.ok()) return layout.status();

  FrameTests t;
  t.layout = std::move(*layout);
  const size_t nf = t.layout.frames.size(), nr = runs.runs();
  std::vector<double> self(nf * nr, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t f = leaf_of[i];
    for (size_t r = 0; r < nr; ++r) self[f * nr + r] += runs.weight(i, r);
  }
  std::vector<double> total = self;
  for (size_t f = nf; f-- > 1;) {
    const size_t parent = t.layout.frames[f].parent;
    for (size_t r = 0; r < nr; ++r) total[parent * nr + r] += total[f * nr + r];
  }
  std::vector<Change> self_changes, total_changes;
  TestItems(runs, self, &self_changes);
  TestItems(runs, total, &total_changes);
  t.changes.resize(nf);
  for (size_t f = 0; f < nf; ++f) t.changes[f] = {self_changes[f], total_changes[f]};
  AdjustFamily(sig.alpha, &t.changes);
  for (const ItemChange& c : t.changes) {
    t.significant_self += c.self.significant();
    t.significant_total += c.total.significant();
  }
  return t;
}

absl::Status WriteSignificantDiffFlameGraph(const DiffRuns& runs, RenderOptions options,
                                            const SignificanceOptions& sig, std::ostream& out,
                                            FrameTests* tests_out) {
  options.diff_details = true;
  if (options.title.empty()) {
    options.title = options.negate
                        ? "Differential Flame Graph (blue: grew, red: shrank, white: no "
                          "significant change)"
                        : "Differential Flame Graph (red: grew, blue: shrank, white: no "
                          "significant change)";
  }
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<FrameTests> tests = TestFrames(runs, options, sig);
  if (!tests.ok()) {
    WriteErrorSvg(options, "ERROR: No valid input provided to stackfire.", out);
    return tests.status();
  }
  std::vector<uint32_t> kept;
  Layout drawn = Prune(tests->layout, MinwidthTime(options, tests->layout.total), &kept);
  SignificanceAnnotator annotator(drawn, *tests, kept, options, runs.sample_weight());
  options.annotator = &annotator;
  absl::Status s = WriteSvg(drawn, options, out);
  if (tests_out != nullptr) *tests_out = std::move(*tests);
  return s;
}

}  // namespace stackfire::render
