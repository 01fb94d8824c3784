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
  return "within noise";
}

std::string Pct(double v) { return Fixed(v, 2) + "%"; }
std::string SignedPct(double v) {
  std::string s = Pct(v);
  if (s == "-0.00%") return "0.00%";
  return (v > 0 && s != "0.00%" ? "+" : "") + s;
}

class SignificanceAnnotator : public FrameAnnotator {
 public:
  SignificanceAnnotator(const Layout& layout, const FrameTests& tests,
                        const std::vector<uint32_t>& kept, const RenderOptions& o,
                        double sample_weight)
      : layout_(layout), o_(o), sample_weight_(sample_weight) {
    changes_.reserve(kept.size());
    for (size_t i = 0; i < kept.size(); ++i) {
      changes_.push_back(tests.Get(kept[i]));
      const ItemChange& c = changes_.back();
      if (c.self.significant()) max_delta_ = std::max(max_delta_, std::fabs(Delta(c.self)));
      if (layout_.frames[i].removed && c.total.significant()) {
        max_delta_ = std::max(max_delta_, std::fabs(Delta(c.total)));
      }
    }
  }

  std::string Fill(size_t i) const override {
    const ItemChange& c = changes_[i];
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
    const ItemChange& c = changes_[i];
    AppendChange("", c.total, s);
    // A frame only BEFORE has is drawn as a thin mark: say why.
    if (f.removed) *s += " (removed: not in AFTER)";
    // A leaf's self samples are its total: one line says both.
    const bool same = c.self.before == c.total.before && c.self.after == c.total.after;
    if (!root && !same && (c.self.before > 0 || c.self.after > 0)) {
      AppendChange("self: ", c.self, s);
    }
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
          SignedPct(c.delta_pct) + " of total, " + FormatP("p", c.PValue());
    if (c.tested) {
      *s += ", " + FormatP("q", c.q) + ": " + VerdictWord(c.verdict);
    } else {
      *s += ": too few samples to tell";
    }
  }

  const Layout& layout_;
  const RenderOptions& o_;
  double sample_weight_;
  std::vector<ItemChange> changes_;  // of the drawn frames
  double max_delta_ = 1;
};

// One family of frame tests with one run per side: Tarone's K from the
// frames' sample counts, then the frames that take part, tested.
// before(i) and after(i) give frame i's raw weights.
template <typename Before, typename After>
size_t TestFamily(size_t frames, Before before, After after, double alpha, ChangeMaker* maker,
                  absl::flat_hash_map<uint32_t, Change>* out) {
  const double unit = maker->sample_weight();
  auto samples = [&](size_t i) {
    const double b = before(i) / unit + 0.5, a = after(i) / unit + 0.5;
    return SampleCount(b) + SampleCount(a);
  };
  // How many frames have n samples: small n counted in a table.
  std::vector<size_t> small(1024, 0);
  absl::flat_hash_map<uint64_t, size_t> n_count;
  for (size_t i = 0; i < frames; ++i) {
    const uint64_t n = samples(i);
    if (n < small.size()) {
      ++small[n];
    } else {
      ++n_count[n];
    }
  }
  for (uint64_t n = 1; n < small.size(); ++n) {
    if (small[n] > 0) n_count[n] = small[n];
  }
  std::vector<std::pair<double, size_t>> pmin;
  pmin.reserve(n_count.size());
  for (const auto& [value, count] : n_count) pmin.emplace_back(maker->PMin(value), count);
  const size_t k = TaroneK(alpha, pmin);
  const double limit = alpha / static_cast<double>(k);
  // p_min falls as n grows: the frames that take part have n >= n_min.
  uint64_t n_min = UINT64_MAX;
  for (const auto& [value, count] : n_count) {
    if (maker->PMin(value) <= limit) n_min = std::min(n_min, value);
  }
  for (size_t i = 0; i < frames; ++i) {
    const uint64_t n = samples(i);
    if (n == 0 || n < n_min || maker->PMin(n) > limit) continue;
    (*out)[static_cast<uint32_t>(i)] = maker->MakeSingle(before(i), after(i));
  }
  std::vector<Change*> tested;
  tested.reserve(out->size());
  for (auto& [frame, change] : *out) tested.push_back(&change);
  AdjustTested(alpha, k, tested);
  size_t significant = 0;
  for (const Change* c : tested) significant += c->significant();
  return significant;
}

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
  // The tree of the raw weights (a BEFORE scaled by -n is for display only).
  const auto& entries = runs.pooled().entries();
  const size_t nr = runs.runs(), nb = runs.before_runs();
  std::vector<StackWeight> stacks;
  stacks.reserve(entries.size());
  double after_total = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    double before = 0, after = 0;
    for (size_t r = 0; r < nr; ++r) (r < nb ? before : after) += runs.weight(i, r);
    StackWeight s{entries[i].stack, after, before, ' '};
    s.id = static_cast<uint32_t>(i);
    stacks.push_back(s);
    after_total += after;
  }
  const bool single = nr == 2;
  std::vector<uint32_t> leaf_of(single ? 0 : entries.size(), 0);
  LayoutOptions lo;
  lo.reverse = o.reverse;
  lo.flamechart = o.flamechart;
  lo.minwidth = 0;
  lo.image_width = o.width;
  lo.total = o.total;
  lo.differential = true;
  lo.keep_removed = true;
  lo.chain = o.colors == "chain";
  lo.leaf_of = single ? nullptr : &leaf_of;
  // A guess (graphs of real profiles have 2 to 5 frames per distinct
  // stack); past it the vector grows as usual.
  lo.reserve_frames = 4 * entries.size() + 16;
  absl::StatusOr<Layout> layout = BuildLayout(std::move(stacks), lo);
  if (!layout.ok()) return layout.status();

  FrameTests t;
  t.layout_ = std::move(*layout);
  t.after_total_ = after_total;
  const std::vector<Frame>& frames = t.layout_.frames;
  const size_t nf = frames.size();
  if (single) {
    // Self AFTER = the frame's width less its children's (nothing pruned).
    auto after = [&](size_t f) { return f == 0 ? after_total : frames[f].width(); };
    auto before = [&](size_t f) { return frames[f].before; };
    t.self_after_.resize(nf);
    for (size_t f = 0; f < nf; ++f) t.self_after_[f] = after(f);
    for (size_t f = 1; f < nf; ++f) t.self_after_[frames[f].parent] -= after(f);
    t.maker_ = std::make_unique<ChangeMaker>(runs);
    t.significant_total_ =
        TestFamily(nf, before, after, sig.alpha, t.maker_.get(), &t.total_tested_);
    const std::vector<double>& self_after = t.self_after_;
    t.significant_self_ = TestFamily(
        nf, [&](size_t f) { return self_after[f] - frames[f].self_delta; },
        [&](size_t f) { return self_after[f]; }, sig.alpha, t.maker_.get(), &t.self_tested_);
    return t;
  }
  std::vector<double> self(nf * nr, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t f = leaf_of[i];
    for (size_t r = 0; r < nr; ++r) self[f * nr + r] += runs.weight(i, r);
  }
  std::vector<double> total = self;
  for (size_t f = nf; f-- > 1;) {
    const size_t parent = frames[f].parent;
    for (size_t r = 0; r < nr; ++r) total[parent * nr + r] += total[f * nr + r];
  }
  TestItems(runs, self, &t.all_, &ItemChange::self);
  TestItems(runs, total, &t.all_, &ItemChange::total);
  AdjustFamily(sig.alpha, &t.all_);
  for (const ItemChange& c : t.all_) {
    t.significant_self_ += c.self.significant();
    t.significant_total_ += c.total.significant();
  }
  return t;
}

ItemChange FrameTests::Get(size_t i) const {
  if (!all_.empty()) return all_[i];
  ChangeMaker& maker = *maker_;
  const Frame& f = layout_.frames[i];
  ItemChange c;
  auto fill = [&](double before, double after,
                  const absl::flat_hash_map<uint32_t, Change>& tested, Change* out) {
    auto it = tested.find(static_cast<uint32_t>(i));
    if (it != tested.end()) {
      *out = it->second;
      return;
    }
    *out = maker.MakeSingle(before, after);
    out->tested = false;
    if (std::isnan(out->p)) {
      out->p = maker.P(SampleCount(out->before), SampleCount(out->after));
    }
  };
  fill(f.before, i == 0 ? after_total_ : f.width(), total_tested_, &c.total);
  fill(self_after_[i] - f.self_delta, self_after_[i], self_tested_, &c.self);
  return c;
}

absl::Status WriteSignificantDiffFlameGraph(const DiffRuns& runs, RenderOptions options,
                                            const SignificanceOptions& sig, std::ostream& out,
                                            std::optional<FrameTests>* tests_out) {
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
  Layout drawn = Prune(tests->layout(), MinwidthTime(options, tests->layout().total), &kept);
  SignificanceAnnotator annotator(drawn, *tests, kept, options, runs.sample_weight());
  options.annotator = &annotator;
  absl::Status s = WriteSvg(drawn, options, out);
  if (tests_out != nullptr) *tests_out = std::move(*tests);
  return s;
}

}  // namespace stackfire::render
