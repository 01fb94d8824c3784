// The significance of `stackfire diff` on synthetic draws from a real
// profile (testdata/render/input/example-perf-stacks.folded, 710 stacks of a
// real perf recording): what it calls significant when nothing changed
// (the false-positive rate, over many seeded pairs of multinomial draws), and
// whether it finds one function made 20 % slower while everything else
// stays white. The random numbers come from std::mt19937_64 (its sequence
// is fixed by the C++ standard) turned into uniforms by hand, so the draws
// are the same on every machine.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "collapse/folded.h"
#include "gtest/gtest.h"
#include "render/diff_report.h"
#include "render/significance.h"
#include "render/significant_diff.h"
#include "tests/render/svg_frames.h"

namespace stackfire::testing {
namespace {

using render::DiffRuns;
using render::SignificanceOptions;

struct Shape {
  std::vector<std::string> stacks;
  std::vector<double> weights;
};

const Shape& BaseProfile() {
  static Shape* s = [] {
    auto* s = new Shape;
    const char* d = std::getenv("STACKFIRE_TESTDATA");
    std::string text =
        ReadFile(std::string(d ? d : "testdata") + "/render/input/example-perf-stacks.folded");
    std::istringstream in(text);
    collapse::FoldedInput f;
    EXPECT_TRUE(collapse::ReadFolded(in, "base", &f, false).ok());
    for (const collapse::FoldedRecord& r : f.records) {
      s->stacks.emplace_back(r.stack);
      s->weights.push_back(r.count);
    }
    EXPECT_GT(s->stacks.size(), 500u);
    return s;
  }();
  return *s;
}

double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

// n samples drawn from the weights (multinomial), as a folded input.
std::unique_ptr<collapse::FoldedInput> Draw(const Shape& shape, const std::vector<double>& weights,
                                  uint64_t n, std::mt19937_64& rng) {
  std::vector<double> cdf(weights.size());
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) cdf[i] = sum += weights[i];
  std::vector<uint64_t> counts(weights.size(), 0);
  for (uint64_t k = 0; k < n; ++k) {
    const double u = Uniform(rng) * sum;
    size_t i = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
    ++counts[std::min(i, counts.size() - 1)];
  }
  std::string text;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) text += shape.stacks[i] + " " + std::to_string(counts[i]) + "\n";
  }
  auto out = std::make_unique<collapse::FoldedInput>();
  std::istringstream in(text);
  EXPECT_TRUE(collapse::ReadFolded(in, "draw", out.get(), false).ok());
  return out;
}

DiffRuns MakeRuns(const std::vector<const collapse::FoldedInput*>& before,
                  const std::vector<const collapse::FoldedInput*>& after, const SignificanceOptions& o) {
  absl::StatusOr<DiffRuns> runs = DiffRuns::Make(before, after, {}, o);
  EXPECT_TRUE(runs.ok()) << runs.status();
  return std::move(*runs);
}

std::vector<render::ItemChange> AllFrames(const render::FrameTests& t) {
  std::vector<render::ItemChange> out;
  for (size_t i = 0; i < t.size(); ++i) out.push_back(t.Get(i));
  return out;
}

struct Counts {
  size_t pairs_with_any = 0;  // pairs with at least one significant test
  size_t pairs_coloured = 0;  // ... self test (what colours a frame)
  size_t tests = 0, raw_rejections = 0;  // unadjusted p <= alpha
};

void Tally(const std::vector<render::ItemChange>& changes, double alpha, Counts* c, bool* any,
           bool* coloured = nullptr) {
  for (const render::ItemChange& ch : changes) {
    if (coloured != nullptr) *coloured = *coloured || ch.self.significant();
    for (const render::Change* x : {&ch.self, &ch.total}) {
      if (x->before == 0 && x->after == 0) continue;
      ++c->tests;
      c->raw_rejections += x->PValue() <= alpha;
      *any = *any || x->significant();
    }
  }
}

// Same profile on both sides: 40 pairs of 20,000-sample draws. Under "no
// change" every rejection is false, so BH's false-discovery rate is the
// chance of any rejection at all: at most alpha.
TEST(Significance, FalsePositivesOfOneRunPerSideAtMostAlpha) {
  const Shape& shape = BaseProfile();
  std::mt19937_64 rng(20261126);
  SignificanceOptions o;
  constexpr int kPairs = 40;
  Counts frames, functions;
  for (int i = 0; i < kPairs; ++i) {
    auto a = Draw(shape, shape.weights, 20000, rng);
    auto b = Draw(shape, shape.weights, 20000, rng);
    DiffRuns runs = MakeRuns({a.get()}, {b.get()}, o);
    absl::StatusOr<render::FrameTests> t = render::TestFrames(runs, {}, o);
    ASSERT_TRUE(t.ok());
    bool any = false, coloured = false;
    Tally(AllFrames(*t), o.alpha, &frames, &any, &coloured);
    frames.pairs_with_any += any;
    frames.pairs_coloured += coloured;
    std::vector<render::ItemChange> fc;
    for (const render::FunctionChange& f : render::TestFunctions(runs, o)) fc.push_back(f.change);
    any = false;
    Tally(fc, o.alpha, &functions, &any);
    functions.pairs_with_any += any;
  }
  const double coloured_rate = static_cast<double>(frames.pairs_coloured) / kPairs;
  const double frame_rate = static_cast<double>(frames.pairs_with_any) / kPairs;
  const double function_rate = static_cast<double>(functions.pairs_with_any) / kPairs;
  const double raw_rate = static_cast<double>(frames.raw_rejections) / frames.tests;
  std::printf("one run per side, %d pairs: pairs with a coloured frame %.3f, with any "
              "significant frame test (self or total) %.3f, with a significant function %.3f; "
              "unadjusted p <= alpha in %.4f of %zu frame tests\n",
              kPairs, coloured_rate, frame_rate, function_rate, raw_rate, frames.tests);
  // Each family (self, total) keeps its own rate at alpha.
  EXPECT_LE(coloured_rate, o.alpha);
  EXPECT_LE(frame_rate, 2 * o.alpha);
  EXPECT_LE(function_rate, 2 * o.alpha);
  // The exact test is conservative: each single test rejects at most alpha.
  EXPECT_LE(raw_rate, o.alpha);
  EXPECT_GT(frames.tests, 1000u * kPairs);
}

// Three runs per side, Welch's test on per-run shares.
TEST(Significance, FalsePositivesOfThreeRunsPerSideAtMostAlpha) {
  const Shape& shape = BaseProfile();
  std::mt19937_64 rng(7);
  SignificanceOptions o;
  constexpr int kSets = 24;
  Counts frames;
  for (int i = 0; i < kSets; ++i) {
    std::vector<std::unique_ptr<collapse::FoldedInput>> draws;
    std::vector<const collapse::FoldedInput*> before, after;
    for (int r = 0; r < 6; ++r) {
      draws.push_back(Draw(shape, shape.weights, 5000, rng));
      (r < 3 ? before : after).push_back(draws.back().get());
    }
    DiffRuns runs = MakeRuns(before, after, o);
    EXPECT_STREQ(render::TestName(runs), "welch");
    absl::StatusOr<render::FrameTests> t = render::TestFrames(runs, {}, o);
    ASSERT_TRUE(t.ok());
    bool any = false;
    Tally(AllFrames(*t), o.alpha, &frames, &any);
    frames.pairs_with_any += any;
  }
  const double rate = static_cast<double>(frames.pairs_with_any) / kSets;
  std::printf("three runs per side, %d sets: sets with a significant frame %.3f; unadjusted "
              "p <= alpha in %.4f of %zu tests\n",
              kSets, rate, static_cast<double>(frames.raw_rejections) / frames.tests,
              frames.tests);
  EXPECT_LE(rate, o.alpha);
}

// The function with the most self samples made 20 % slower: every stack
// that ends in it weighs 1.2 times as much. Both runs did the same work (one
// unit each), so AFTER has more samples and the other functions as many as
// before. The function is the leaf of some 40 different call paths (7 % of
// the samples together, 2.4 % on its heaviest path), so the graph needs
// many samples to show it frame by frame: 100,000 per side.
struct KnownChange {
  std::string function;
  std::unique_ptr<collapse::FoldedInput> before, after;
};

KnownChange MakeKnownChange(uint64_t seed) {
  const Shape& shape = BaseProfile();
  KnownChange k;
  std::map<std::string, double> self;
  for (size_t i = 0; i < shape.stacks.size(); ++i) {
    const std::string& st = shape.stacks[i];
    self[st.substr(st.rfind(';') + 1)] += shape.weights[i];
  }
  k.function = std::max_element(self.begin(), self.end(), [](const auto& a, const auto& b) {
                 return a.second < b.second;
               })->first;
  std::vector<double> changed = shape.weights;
  double sum = 0, sum_changed = 0;
  for (size_t i = 0; i < changed.size(); ++i) {
    sum += changed[i];
    const std::string& st = shape.stacks[i];
    if (st.size() > k.function.size() &&
        st.compare(st.size() - k.function.size() - 1, std::string::npos, ";" + k.function) == 0) {
      changed[i] *= 1.2;
    }
    sum_changed += changed[i];
  }
  std::mt19937_64 rng(seed);
  constexpr uint64_t kSamples = 100000;
  k.before = Draw(shape, shape.weights, kSamples, rng);
  k.after = Draw(shape, changed,
                 static_cast<uint64_t>(std::llround(kSamples * sum_changed / sum)), rng);
  return k;
}

// One draw, looked at closely. (BH allows some false colourings in
// proportion to the true ones: DetectionAndFalseDiscoveriesOverSeeds
// measures them over ten draws; on this one, none.)
TEST(Significance, TwentyPercentSlowerFunctionIsTheOnlyColouredFrame) {
  KnownChange k = MakeKnownChange(1);
  SignificanceOptions o;
  o.before_units = {1};
  o.after_units = {1};
  DiffRuns runs = MakeRuns({k.before.get()}, {k.after.get()}, o);
  std::ostringstream svg;
  ASSERT_TRUE(render::WriteSignificantDiffFlameGraph(runs, {}, o, svg).ok());
  SvgDoc doc = ParseStackfireSvg(svg.str());
  ASSERT_TRUE(doc.error.empty()) << doc.error;
  // The function's heaviest frame is red; every frame of another function
  // is white. (Its thinnest paths, a few hundred samples, may stay white:
  // 20 % of those is within noise.)
  size_t red = 0, white = 0;
  const SvgFrame* heaviest = nullptr;
  for (const SvgFrame& f : doc.frames) {
    if (f.name == k.function) {
      if (heaviest == nullptr || f.samples > heaviest->samples) heaviest = &f;
      if (f.fill != "#ffffff") {
        ++red;
        EXPECT_EQ(f.fill.substr(0, 3), "#ff") << f.title;  // red, not blue
        EXPECT_NE(f.title.find(": grew"), std::string::npos) << f.title;
      }
    } else {
      EXPECT_EQ(f.fill, "#ffffff") << f.title;
      white += f.fill == "#ffffff";
    }
  }
  ASSERT_NE(heaviest, nullptr);
  EXPECT_NE(heaviest->fill, "#ffffff") << heaviest->title;
  EXPECT_NE(heaviest->title.find("self: before"), std::string::npos) << heaviest->title;
  std::printf("known change in %s: %zu red frame(s), %zu white\n", k.function.c_str(), red,
              white);
  EXPECT_GE(red, 1u);
  EXPECT_GT(white, 100u);
  // The report: among its first rows (significant changes first: the
  // function and its callers, whose totals grew with it), the function's
  // self samples grew by about 20 %.
  render::DiffReportOptions ro;
  absl::StatusOr<render::DiffReport> report =
      render::BuildDiffReport(runs, render::TestFunctions(runs, o), ro);
  ASSERT_TRUE(report.ok());
  const render::FunctionChange* row = nullptr;
  for (const render::FunctionChange& f : report->rows) {
    if (f.name == k.function) row = &f;
  }
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->change.self.verdict, render::Verdict::kGrew);
  EXPECT_NEAR(row->change.self.after / row->change.self.expected, 1.2, 0.05);
  std::string text = render::FormatDiffReport(*report, ro);
  EXPECT_NE(text.find("grew"), std::string::npos) << text;
}

TEST(Significance, DetectionAndFalseDiscoveriesOverSeeds) {
  // Ten independent draws: the 20 % change is found in every one, and the
  // self changes called significant in other functions (false discoveries,
  // which BH allows in proportion to the true ones) stay rare.
  size_t true_found = 0, false_found = 0, coloured_other = 0, coloured_frames = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    KnownChange k = MakeKnownChange(seed);
    SignificanceOptions o;
    o.before_units = {1};
    o.after_units = {1};
    DiffRuns runs = MakeRuns({k.before.get()}, {k.after.get()}, o);
    bool found = false;
    for (const render::FunctionChange& f : render::TestFunctions(runs, o)) {
      if (f.name == k.function) {
        found = f.change.self.verdict == render::Verdict::kGrew;
      } else {
        false_found += f.change.self.significant();
      }
    }
    true_found += found;
    EXPECT_TRUE(found) << "seed " << seed;
    absl::StatusOr<render::FrameTests> t = render::TestFrames(runs, {}, o);
    ASSERT_TRUE(t.ok());
    for (size_t i = 0; i < t->size(); ++i) {
      if (!t->Get(i).self.significant()) continue;
      ++coloured_frames;
      coloured_other += t->layout().frames[i].name != k.function;
    }
  }
  std::printf("20 %% change, 10 draws: found %zu/10; other functions called changed: %zu; "
              "coloured frames %zu, of them another function's: %zu\n",
              true_found, false_found, coloured_frames, coloured_other);
  EXPECT_LE(static_cast<double>(coloured_other), 0.05 * coloured_frames + 1);
  EXPECT_LE(false_found, 2u);
}

TEST(Significance, SameProfileTwiceIsUnchangedWithPOne) {
  const Shape& shape = BaseProfile();
  std::mt19937_64 rng(3);
  auto a = Draw(shape, shape.weights, 5000, rng);
  DiffRuns runs = MakeRuns({a.get()}, {a.get()}, {});
  absl::StatusOr<render::FrameTests> t = render::TestFrames(runs, {}, {});
  ASSERT_TRUE(t.ok());
  for (const render::ItemChange& c : AllFrames(*t)) {
    EXPECT_EQ(c.self.PValue(), 1);
    EXPECT_EQ(c.total.PValue(), 1);
    EXPECT_FALSE(c.self.significant() || c.total.significant());
  }
}

std::unique_ptr<collapse::FoldedInput> Parse(const std::string& text) {
  auto f = std::make_unique<collapse::FoldedInput>();
  std::istringstream in(text);
  EXPECT_TRUE(collapse::ReadFolded(in, "t", f.get(), false).ok());
  return f;
}

TEST(DiffRuns, SampleWeightDividesCounts) {
  // Go's cpu/nanoseconds: every count a multiple of the 10 ms period.
  auto a = Parse("main;a 20000000\nmain;b 10000000\n");
  auto b = Parse("main;a 30000000\nmain;b 10000000\n");
  DiffRuns guessed = MakeRuns({a.get()}, {b.get()}, {});
  EXPECT_EQ(guessed.sample_weight(), 1);
  EXPECT_EQ(guessed.suspect_sample_weight(), 10000000);
  SignificanceOptions o;
  o.sample_weight = 1e7;
  DiffRuns runs = MakeRuns({a.get()}, {b.get()}, o);
  EXPECT_EQ(runs.run_samples()[0], 3);
  EXPECT_EQ(runs.run_samples()[1], 4);
  EXPECT_FALSE(runs.rounded_weights());
  EXPECT_EQ(runs.suspect_sample_weight(), 0);
  // Small counts with a common divisor are counts.
  auto c = Parse("main;a 100\nmain;b 300\n");
  EXPECT_EQ(MakeRuns({c.get()}, {c.get()}, {}).suspect_sample_weight(), 0);
  auto d = Parse("main;a 2.5\n");
  EXPECT_TRUE(MakeRuns({d.get()}, {a.get()}, {}).rounded_weights());
}

TEST(DiffRuns, UnitsAreChecked) {
  auto a = Parse("main;a 2\n");
  SignificanceOptions o;
  o.before_units = {10};
  EXPECT_FALSE(DiffRuns::Make({a.get()}, {a.get()}, {}, o).ok());  // AFTER's missing
  o.after_units = {0};
  EXPECT_FALSE(DiffRuns::Make({a.get()}, {a.get()}, {}, o).ok());  // not positive
  o.after_units = {1, 2};
  EXPECT_FALSE(DiffRuns::Make({a.get()}, {a.get()}, {}, o).ok());  // two values, one run
  o.after_units = {5};
  absl::StatusOr<DiffRuns> r = DiffRuns::Make({a.get()}, {a.get()}, {}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->per_unit());
}

TEST(DiffRuns, PerUnitScalesTheExpectation) {
  // 100 samples for 10 requests before, 300 for 20 after: 10 vs 15 per
  // request, +50 %; expected after = 100 * 20 / 10 = 200.
  auto a = Parse("main;work 100\n");
  auto b = Parse("main;work 300\n");
  SignificanceOptions o;
  o.before_units = {10};
  o.after_units = {20};
  DiffRuns runs = MakeRuns({a.get()}, {b.get()}, o);
  std::vector<render::FunctionChange> f = render::TestFunctions(runs, o);
  ASSERT_EQ(f.size(), 2u);
  for (const render::FunctionChange& x : f) {
    EXPECT_EQ(x.change.total.expected, 200);
    EXPECT_EQ(x.change.total.after, 300);
    EXPECT_NEAR(x.change.total.delta_pct, 100.0 * 100 / 300, 1e-9);
    EXPECT_EQ(x.change.total.verdict, render::Verdict::kGrew);
  }
}

}  // namespace
}  // namespace stackfire::testing
