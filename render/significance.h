// Which changes between BEFORE and AFTER profiles are larger than sampling
// noise: the statistics of `stackfire diff` (pure code; the SVG, the report
// table and the CI gate are drawn from what this computes).
//
// The model. A profile is a set of samples; an item (a flame-graph frame, a
// call path, or a function name) has a count in each run. Its change is
// judged on normalised counts: the share of the run's samples (as -n scales
// BEFORE to AFTER's total), or, when units of work are given (requests,
// iterations), samples per unit.
//
//   - One run per side: the exact conditional binomial test. Given the
//     item's n = before + after samples, under "no change" the after count
//     is Binomial(n, A / (A + B)), A and B being the two totals (or units).
//     This is the exact test for comparing two Poisson rates (R's
//     poisson.test(c(after, before), c(A, B)), which calls binom.test). It
//     treats samples as independent, which they are not quite (a program's
//     phases last longer than one sample): a single pair of runs shows
//     sampling noise only, not the spread between runs.
//   - Several runs on at least one side: Welch's t-test on the per-run
//     normalised values, so the spread between runs is what a change must
//     exceed. Each side's variance is floored at the binomial (Poisson for
//     units) variance of its pooled value, so that a side whose runs happen
//     to agree exactly cannot make a tiny difference look certain. With one
//     run on one side, that side takes the other side's variance
//     (an equal-variance t-test with the other side's degrees of freedom).
//     With pool_runs, each side's runs are added together and judged by
//     the binomial test instead.
//
// Multiplicity: every item gives two tests (its self and its total counts),
// and a graph has thousands of items, so p-values are adjusted with
// Benjamini-Hochberg over the tests of one family: the self tests of all the
// frames of the graph, their total tests, the self tests of the report's
// functions, their total tests. (Self and total are kept apart because one
// real change moves the totals of all its callers: in one family those true
// discoveries would let BH admit more false self discoveries.) Binomial
// tests that could never be significant (too few samples) leave the family
// first, by Tarone's rule (Gilbert's Tarone-BH, see AdjustFamily). A change is
// significant when its q-value is <= alpha (default 0.05): on average at
// most 5 % of the changes called significant in a family are noise, and when
// nothing changed at all, the chance of any significant change is at most
// alpha.
//
// Counts must be sample counts. Weights (nanoseconds, periods) must be
// divided by one sample's weight (SignificanceOptions::sample_weight);
// counts that all are large multiples of one value are flagged
// (suspect_sample_weight) so that the caller can say so. Non-integral counts
// are rounded, and `rounded_weights` says so.
#ifndef STACKFIRE_RENDER_SIGNIFICANCE_H_
#define STACKFIRE_RENDER_SIGNIFICANCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collapse/folded.h"
#include "render/diff.h"

namespace stackfire::render {

struct SignificanceOptions {
  double alpha = 0.05;  // false-discovery rate (Benjamini-Hochberg q threshold)
  // Units of work per run (one value for every run of the side, or one per
  // run). Both empty: normalise by each run's total samples.
  std::vector<double> before_units;
  std::vector<double> after_units;
  // The weight of one sample in the inputs' counts; 0 means 1.
  double sample_weight = 0;
  // Add each side's runs together and use the one-run (binomial) test:
  // more power with two or three runs, but blind to run-to-run spread.
  bool pool_runs = false;
};

// Several runs of each side joined stack by stack. pooled() is what the
// graph draws (sums over the runs; BEFORE scaled as DiffOptions::normalize
// says); weight(i, r) is stack i's raw weight in run r, BEFORE runs first.
class DiffRuns {
 public:
  // Checks the options against the runs (unit counts, positive units).
  static absl::StatusOr<DiffRuns> Make(const std::vector<const collapse::FoldedInput*>& before,
                                       const std::vector<const collapse::FoldedInput*>& after,
                                       const DiffOptions& options,
                                       const SignificanceOptions& sig);
  DiffRuns(DiffRuns&&) = default;
  DiffRuns& operator=(DiffRuns&&) = default;

  const DiffProfile& pooled() const { return pooled_; }
  size_t before_runs() const { return before_runs_; }
  size_t after_runs() const { return after_runs_; }
  size_t runs() const { return before_runs_ + after_runs_; }
  // The files given per side (more than the runs when pooled).
  size_t files_before() const { return files_before_; }
  size_t files_after() const { return files_after_; }
  double weight(size_t stack, size_t run) const { return weights_[stack * runs() + run]; }
  // Per run: total samples (in sample units) and the normaliser (units of
  // work, or the total when no units are given).
  const std::vector<double>& run_samples() const { return run_samples_; }
  const std::vector<double>& run_norm() const { return run_norm_; }
  bool per_unit() const { return per_unit_; }
  double sample_weight() const { return sample_weight_; }
  bool rounded_weights() const { return rounded_; }
  // Nonzero when sample_weight was not given and every count is a multiple
  // of this value (>= 1000): the counts are probably weights.
  double suspect_sample_weight() const { return suspect_weight_; }

 private:
  DiffRuns() = default;
  DiffProfile pooled_;
  size_t before_runs_ = 0, after_runs_ = 0;
  size_t files_before_ = 0, files_after_ = 0;
  std::vector<double> weights_;  // stack-major, runs() per stack
  std::vector<double> run_samples_, run_norm_;
  bool per_unit_ = false;
  double sample_weight_ = 1;
  bool rounded_ = false;
  double suspect_weight_ = 0;
};

// Wall-clock profiles (`stackfire record --off-cpu`: stacks ending in
// "[off-cpu]", weights in microseconds) have no sample counts: on-CPU
// stacks weigh clock periods, off-CPU ones measured time. When every input
// is one, this returns the weight to count as one sample: the smallest
// on-CPU stack's weight (one clock period, 10101 us at 99 Hz), or 10000 us
// (10 ms) when there is none. The tests then judge wall time as a 1-in-a-
// period wall-clock sampler would, which errs on the side of caution for
// off-CPU time (measured, not sampled). 0 when any input is not a
// wall-clock profile.
double WallClockSampleWeight(const std::vector<const collapse::FoldedInput*>& inputs);

enum class Verdict { kUnchanged, kGrew, kShrank };

// A sample count as an integer: NaN and negatives are 0, and counts are
// capped at 2^53 (no real profile comes near; inputs whose counts are
// weights get a warning, see DiffRuns::suspect_sample_weight).
uint64_t SampleCount(double samples);

// One test: an item's counts before and after, pooled over the runs.
struct Change {
  double before = 0;    // samples, pooled
  double after = 0;
  double expected = 0;  // BEFORE scaled to AFTER's total (or units): "no change"
  double before_pct = 0;  // normalised value, % of the side's total samples
  double after_pct = 0;   // (per unit: expected as a % of AFTER's total)
  double delta_pct = 0;   // 100 (after - expected) / AFTER's total
  // NaN until computed: the exact binomial p-values are computed (by
  // AdjustFamily) only for the tests that take part in the correction;
  // PValue() gives any other on demand.
  double p = 1;
  double null_p = 0;  // binomial tests: P(a sample is AFTER's) under no change
  // The smallest p-value the test could give with these counts (exact
  // binomial test: the most extreme split of before + after); 0 when unknown
  // (Welch's test). A test whose p_min cannot pass the correction is left
  // out of it (Tarone), so thin frames do not dilute the thick ones.
  double p_min = 0;
  double q = 1;           // Benjamini-Hochberg adjusted (1 when left out)
  Verdict verdict = Verdict::kUnchanged;  // grew/shrank only when q <= alpha
  bool significant() const { return verdict != Verdict::kUnchanged; }
  // False when the test left the correction (p_min too large, Tarone): too
  // few samples to ever be significant among this many tests.
  bool tested = true;
  // p, computed now if it was not.
  double PValue() const;
};

struct ItemChange {
  Change self, total;
};

// "binomial" or "welch": the test used for these runs.
const char* TestName(const DiffRuns& runs);

// Turns one item's counts into a Change, before the correction: counts,
// shares and, for Welch's test, p; for the binomial test p_min (p is left
// NaN for AdjustFamily). Keeps small caches; `runs` must outlive it.
class ChangeMaker {
 public:
  explicit ChangeMaker(const DiffRuns& runs);
  // The item's raw weight in each run (runs.runs() values, BEFORE first).
  Change Make(const double* counts);
  // One run per side: the item's raw BEFORE and AFTER weights.
  Change MakeSingle(double before, double after);
  // The smallest two-sided binomial p-value with n samples.
  double PMin(uint64_t n);
  // The binomial p-value of `after` samples against `before` (cached).
  double P(uint64_t before, uint64_t after);
  double sample_weight() const { return unit_; }

 private:
  Change Counted(double before_samples, double after_samples) const;
  const DiffRuns& runs_;
  double norm_b_ = 0, norm_a_ = 0, samples_b_ = 0, samples_a_ = 0;
  double scale_ = 0, p0_ = 0.5, unit_ = 1;
  std::vector<double> min_table_;  // p_min by small n, -1 = not yet
  absl::flat_hash_map<uint64_t, double> min_cache_;
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, double> p_cache_;
  std::vector<double> c_;
};

// Tests items. counts[i * runs.runs() + r] is item i's self (or total) count
// in run r, raw weights as in DiffRuns::weight. Fills (*items)[i].*member
// (items is resized to the item count), except q and the verdict.
void TestItems(const DiffRuns& runs, const std::vector<double>& counts,
               std::vector<ItemChange>* items, Change ItemChange::*member);

// Benjamini-Hochberg over the self tests of `items`, and over their total
// tests; sets q and verdict. With discrete tests (p_min > 0) it is Gilbert's
// Tarone-BH procedure (Gilbert 2005, "A modified false discovery rate
// multiple-comparisons procedure for discrete data"): K is the smallest
// number with at most K tests whose p_min <= alpha / K; only those tests
// take part, and BH runs over them as if there were K. Tests that could
// never be significant then cost nothing, which is most frames of a graph
// (a frame with 3 samples cannot reach p = 0.05 / 1000).
void AdjustFamily(double alpha, std::vector<ItemChange>* items);

// The pieces of AdjustFamily, for callers that keep their tests elsewhere:
// Tarone's K from (p_min, how many tests have it) pairs, then the tests
// that take part (p_min <= alpha / K): p computed where NaN, q and verdict.
size_t TaroneK(double alpha, const std::vector<std::pair<double, size_t>>& pmin_counts);
void AdjustTested(double alpha, size_t k, const std::vector<Change*>& tested);
// Sets q and the verdict (grew/shrank when q <= alpha).
void Judge(double alpha, double q, Change* c);

// A function (frame name) of the report: self = samples where it is the
// leaf, total = samples with it anywhere on the stack (once per stack).
struct FunctionChange {
  std::string name;
  ItemChange change;
};

// Every function of the pooled profile, tested and adjusted as one family.
std::vector<FunctionChange> TestFunctions(const DiffRuns& runs, const SignificanceOptions& o);
// Only the functions whose name matches `grep` (RE2), which then are the
// whole family: naming the few functions a gate is about, before looking,
// needs much smaller p-values than testing them all. kInvalidArgument for a
// bad regex.
absl::StatusOr<std::vector<FunctionChange>> TestFunctions(const DiffRuns& runs,
                                                          const SignificanceOptions& o,
                                                          const std::string& grep);

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_SIGNIFICANCE_H_
