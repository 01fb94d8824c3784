#include "render/significance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "re2/re2.h"
#include "render/stats.h"
#include "stackfire/profile.h"

namespace stackfire::render {
namespace {

constexpr double kMaxExact = 9007199254740992.0;  // 2^53

absl::Status CheckUnits(const std::vector<double>& units, size_t runs, const char* flag) {
  if (units.size() != 1 && units.size() != runs) {
    return absl::InvalidArgumentError(std::string(flag) + " takes one value, or one per run (" +
                                      std::to_string(runs) + " runs), not " +
                                      std::to_string(units.size()));
  }
  for (double u : units) {
    if (!(u > 0) || !std::isfinite(u)) {
      return absl::InvalidArgumentError(std::string(flag) + " values must be positive numbers");
    }
  }
  return absl::OkStatus();
}

double UnitOf(const std::vector<double>& units, size_t i) {
  return units.size() == 1 ? units[0] : units[i];
}

struct SideStats {
  double mean = 0, var = 0, n = 0, floor = 0;
};

}  // namespace

double WallClockSampleWeight(const std::vector<const collapse::FoldedInput*>& inputs) {
  if (inputs.empty()) return 0;
  double min_on = 0;
  for (const collapse::FoldedInput* in : inputs) {
    bool off = false;
    for (const collapse::FoldedRecord& rec : in->records) {
      if (IsOffCpuStack(rec.stack)) {
        off = true;
      } else if (rec.count >= 1 && (min_on == 0 || rec.count < min_on)) {
        min_on = rec.count;
      }
    }
    if (!off) return 0;
  }
  return min_on > 0 ? min_on : 10000;
}

absl::StatusOr<DiffRuns> DiffRuns::Make(const std::vector<const collapse::FoldedInput*>& before,
                                        const std::vector<const collapse::FoldedInput*>& after,
                                        const DiffOptions& options,
                                        const SignificanceOptions& sig) {
  if (before.empty() || after.empty()) {
    return absl::InvalidArgumentError("give at least one BEFORE and one AFTER profile");
  }
  const bool units = !sig.before_units.empty() || !sig.after_units.empty();
  if (units) {
    if (sig.before_units.empty() || sig.after_units.empty()) {
      return absl::InvalidArgumentError("--before-units and --after-units go together");
    }
    if (absl::Status s = CheckUnits(sig.before_units, before.size(), "--before-units"); !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckUnits(sig.after_units, after.size(), "--after-units"); !s.ok()) {
      return s;
    }
  }
  if (!(sig.sample_weight >= 0) || !std::isfinite(sig.sample_weight)) {
    return absl::InvalidArgumentError("--sample-weight must be a positive number");
  }
  DiffRuns d;
  d.files_before_ = before.size();
  d.files_after_ = after.size();
  // --pool: every side is one run (its files added together).
  d.before_runs_ = sig.pool_runs ? 1 : before.size();
  d.after_runs_ = sig.pool_runs ? 1 : after.size();
  const size_t runs = d.runs();
  std::vector<double> raw_totals(runs, 0);
  std::vector<double> units_b(d.before_runs_, 0), units_a(d.after_runs_, 0);
  for (size_t f = 0; f < before.size() + after.size(); ++f) {
    const bool is_before = f < before.size();
    const size_t side_index = is_before ? f : f - before.size();
    const collapse::FoldedInput& in = is_before ? *before[side_index] : *after[side_index];
    const size_t r = sig.pool_runs ? (is_before ? 0 : 1)
                                   : (is_before ? side_index : d.before_runs_ + side_index);
    if (units) {
      (is_before ? units_b : units_a)[r - (is_before ? 0 : d.before_runs_)] +=
          UnitOf(is_before ? sig.before_units : sig.after_units, side_index);
    }
    for (const collapse::FoldedRecord& rec : in.records) {
      const double b = is_before ? rec.count : 0, a = is_before ? 0 : rec.count;
      size_t i = options.strip_hex ? d.pooled_.AddCopy(StripHex(rec.stack), b, a)
                                   : d.pooled_.Add(rec.stack, b, a);
      if (i * runs >= d.weights_.size()) d.weights_.resize((i + 1) * runs, 0);
      d.weights_[i * runs + r] += rec.count;
      raw_totals[r] += rec.count;
    }
  }
  double total_b = 0, total_a = 0;
  for (size_t r = 0; r < runs; ++r) (r < d.before_runs_ ? total_b : total_a) += raw_totals[r];
  if (options.normalize && total_b != total_a && total_b != 0) {
    for (DiffProfile::Entry& e : d.pooled_.mutable_entries()) {
      e.before = std::trunc(e.before * total_a / total_b);
    }
  }

  // The weight of one sample: 1 unless given. Counts that are all large
  // multiples of one value are probably weights (periods, nanoseconds):
  // say so, as the tests would then be far too sure.
  double unit = sig.sample_weight > 0 ? sig.sample_weight : 1;
  uint64_t g = 0;
  double min_w = kMaxExact;
  for (double w : d.weights_) {
    if (w == 0) continue;
    min_w = std::min(min_w, w);
    if (w != std::floor(w) || w < 0 || w > kMaxExact) {
      g = 0;
      if (unit == 1) d.rounded_ = true;
      break;
    }
    if (g != 1) g = std::gcd(g, static_cast<uint64_t>(w));
  }
  if (sig.sample_weight == 0 && g > 1 && min_w >= 1000) d.suspect_weight_ = static_cast<double>(g);
  if (sig.sample_weight > 0) {
    for (double w : d.weights_) {
      const double c = w / unit;
      if (std::fabs(c - std::nearbyint(c)) > 1e-9 * std::max(1.0, c)) d.rounded_ = true;
    }
  }
  d.sample_weight_ = unit;
  d.per_unit_ = units;
  for (size_t r = 0; r < runs; ++r) {
    d.run_samples_.push_back(std::nearbyint(raw_totals[r] / unit));
    if (units) {
      d.run_norm_.push_back(r < d.before_runs_ ? units_b[r] : units_a[r - d.before_runs_]);
    } else {
      d.run_norm_.push_back(d.run_samples_.back());
    }
  }
  return d;
}

const char* TestName(const DiffRuns& runs) {
  return runs.runs() == 2 ? "binomial" : "welch";
}

ChangeMaker::ChangeMaker(const DiffRuns& runs) : runs_(runs) {
  const size_t nr = runs.runs(), nb = runs.before_runs();
  for (size_t r = 0; r < nr; ++r) {
    (r < nb ? norm_b_ : norm_a_) += runs.run_norm()[r];
    (r < nb ? samples_b_ : samples_a_) += runs.run_samples()[r];
  }
  scale_ = norm_b_ > 0 ? norm_a_ / norm_b_ : 0;
  p0_ = norm_a_ + norm_b_ > 0 ? norm_a_ / (norm_a_ + norm_b_) : 0.5;
  unit_ = runs.sample_weight();
  if (nr == 2) min_table_.assign(4096, -1);
  c_.resize(nr);
}

double ChangeMaker::PMin(uint64_t n) {
  double* slot;
  if (n < min_table_.size()) {
    slot = &min_table_[n];
  } else {
    slot = &min_cache_.try_emplace(n, -1.0).first->second;
  }
  if (*slot < 0) {
    *slot = std::max(std::min(stats::BinomialTestTwoSided(0, n, p0_),
                              stats::BinomialTestTwoSided(n, n, p0_)),
                     1e-320);
  }
  return *slot;
}

double ChangeMaker::P(uint64_t before, uint64_t after) {
  auto [it, inserted] = p_cache_.try_emplace(std::make_pair(after, before), 1.0);
  if (inserted) it->second = stats::BinomialTestTwoSided(after, after + before, p0_);
  return it->second;
}

uint64_t SampleCount(double samples) {
  if (!(samples > 0)) return 0;
  return samples < kMaxExact ? static_cast<uint64_t>(samples) : static_cast<uint64_t>(kMaxExact);
}

// Rounds a non-negative weight / unit to whole samples, without a libm call.
inline double Samples(double w, double unit) {
  const double x = unit == 1 ? w : w / unit;
  return static_cast<double>(SampleCount(x + 0.5));
}

Change ChangeMaker::Counted(double b, double a) const {
  Change ch;
  ch.before = b;
  ch.after = a;
  ch.expected = b * scale_;
  ch.before_pct = samples_b_ > 0 ? 100 * b / samples_b_ : 0;
  ch.after_pct = samples_a_ > 0 ? 100 * a / samples_a_ : 0;
  ch.delta_pct = samples_a_ > 0 ? 100 * (a - ch.expected) / samples_a_ : 0;
  ch.null_p = p0_;
  return ch;
}

Change ChangeMaker::MakeSingle(double before, double after) {
  const double b = Samples(before, unit_), a = Samples(after, unit_);
  Change ch = Counted(b, a);
  if (a == 0 && b == 0) return ch;
  ch.p = std::numeric_limits<double>::quiet_NaN();  // AdjustFamily computes it
  ch.p_min = PMin(SampleCount(a + b));
  return ch;
}

Change ChangeMaker::Make(const double* counts) {
  const size_t nr = runs_.runs(), nb = runs_.before_runs();
  if (nr == 2) return MakeSingle(counts[0], counts[1]);
  const std::vector<double>& norm = runs_.run_norm();
  const std::vector<double>& samples = runs_.run_samples();
  double b = 0, a = 0;
  for (size_t r = 0; r < nr; ++r) {
    c_[r] = std::nearbyint(counts[r] / unit_);
    (r < nb ? b : a) += c_[r];
  }
  Change ch = Counted(b, a);
  if (a == 0 && b == 0) return ch;
  // Per-run values: shares of the run's samples, or samples per unit.
  SideStats side[2];
  for (int s = 0; s < 2; ++s) {
    const size_t lo = s == 0 ? 0 : nb, hi = s == 0 ? nb : nr;
    SideStats& st = side[s];
    st.n = static_cast<double>(hi - lo);
    double sum_c = 0, sum_norm = 0, sum_samples = 0;
    for (size_t r = lo; r < hi; ++r) {
      st.mean += norm[r] > 0 ? c_[r] / norm[r] : 0;
      sum_c += c_[r];
      sum_norm += norm[r];
      sum_samples += samples[r];
    }
    st.mean /= st.n;
    for (size_t r = lo; r < hi; ++r) {
      const double v = norm[r] > 0 ? c_[r] / norm[r] : 0;
      st.var += (v - st.mean) * (v - st.mean);
    }
    st.var = st.n > 1 ? st.var / (st.n - 1) : 0;
    // Sampling noise alone: Binomial (shares) or Poisson (per unit).
    const double pooled = sum_norm > 0 ? sum_c / sum_norm : 0;
    const double mean_norm = sum_norm / st.n, mean_samples = sum_samples / st.n;
    st.floor = runs_.per_unit()
                   ? (mean_norm > 0 ? pooled / mean_norm : 0)
                   : (mean_samples > 0 ? pooled * (1 - pooled) / mean_samples : 0);
    // At least one sample's worth of noise, so that two sides of zeros
    // against ones are not certain.
    if (st.floor <= 0 && mean_norm > 0) st.floor = 1 / (mean_norm * mean_norm);
  }
  if (side[0].n >= 2 && side[1].n >= 2) {
    ch.p = stats::WelchTTest(side[0].mean, std::max(side[0].var, side[0].floor), side[0].n,
                             side[1].mean, std::max(side[1].var, side[1].floor), side[1].n)
               .p;
  } else {
    // One run on one side: it takes the other side's spread.
    const SideStats& many = side[0].n >= 2 ? side[0] : side[1];
    const double var = std::max({many.var, side[0].floor, side[1].floor});
    const double se = std::sqrt(var * (1 / side[0].n + 1 / side[1].n));
    const double t = se > 0 ? (side[1].mean - side[0].mean) / se : 0;
    ch.p = se > 0 ? stats::StudentTTwoSided(t, many.n - 1)
                  : (side[1].mean == side[0].mean ? 1 : 0);
  }
  return ch;
}

void TestItems(const DiffRuns& runs, const std::vector<double>& counts,
               std::vector<ItemChange>* out_items, Change ItemChange::*member) {
  const size_t nr = runs.runs();
  const size_t items = nr == 0 ? 0 : counts.size() / nr;
  out_items->resize(items);
  ChangeMaker maker(runs);
  for (size_t i = 0; i < items; ++i) (*out_items)[i].*member = maker.Make(&counts[i * nr]);
}

void Judge(double alpha, double q, Change* c) {
  c->q = q;
  c->verdict = q <= alpha && c->after != c->expected
                   ? (c->after > c->expected ? Verdict::kGrew : Verdict::kShrank)
                   : Verdict::kUnchanged;
}

size_t TaroneK(double alpha, const std::vector<std::pair<double, size_t>>& pmin_counts) {
  // The smallest K with M(K) = #{p_min <= alpha / K} <= K. M is
  // non-increasing in K, so the first K that works is found by walking up
  // from 1.
  std::vector<std::pair<double, size_t>> pmin = pmin_counts;
  std::sort(pmin.begin(), pmin.end());
  std::vector<size_t> cumulative(pmin.size());
  size_t total = 0;
  for (size_t i = 0; i < pmin.size(); ++i) cumulative[i] = total += pmin[i].second;
  size_t k = 1;
  for (; k <= total; ++k) {
    const double limit = alpha / static_cast<double>(k);
    const size_t idx =
        std::upper_bound(pmin.begin(), pmin.end(), std::make_pair(limit, SIZE_MAX)) -
        pmin.begin();
    if ((idx == 0 ? 0 : cumulative[idx - 1]) <= k) break;
  }
  return k;
}

void AdjustTested(double alpha, size_t k, const std::vector<Change*>& tested) {
  // Small pairs repeat across thousands of frames.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, double> cache;
  std::vector<double> p(tested.size());
  for (size_t j = 0; j < tested.size(); ++j) {
    Change& c = *tested[j];
    if (std::isnan(c.p)) {
      const uint64_t a = SampleCount(c.after), b = SampleCount(c.before);
      auto [it, inserted] = cache.try_emplace(std::make_pair(a, b), 1.0);
      if (inserted) it->second = c.PValue();
      c.p = it->second;
    }
    p[j] = c.p;
  }
  std::vector<double> q = stats::BenjaminiHochberg(p, std::max(k, p.size()));
  for (size_t j = 0; j < tested.size(); ++j) Judge(alpha, q[j], tested[j]);
}

void AdjustFamily(double alpha, std::vector<ItemChange>* items) {
  // Self and total are two families: a change deep in the tree changes the
  // total of every caller above it (true discoveries by the dozen), and one
  // family would let those buy false self discoveries.
  for (Change ItemChange::*member : {&ItemChange::self, &ItemChange::total}) {
    absl::flat_hash_map<double, size_t> pmin_count;
    for (const ItemChange& it : *items) {
      const Change& c = it.*member;
      if (c.before == 0 && c.after == 0) continue;  // not a test
      ++pmin_count[c.p_min];
    }
    const size_t k = TaroneK(alpha, {pmin_count.begin(), pmin_count.end()});
    const double limit = alpha / static_cast<double>(k);
    std::vector<Change*> tested;
    for (ItemChange& it : *items) {
      Change& c = it.*member;
      if ((c.before == 0 && c.after == 0) || c.p_min > limit) {
        c.tested = false;
        Judge(alpha, 1, &c);
      } else {
        tested.push_back(&c);
      }
    }
    AdjustTested(alpha, k, tested);
  }
}

double Change::PValue() const {
  if (!std::isnan(p)) return p;
  const uint64_t a = SampleCount(after), b = SampleCount(before);
  return stats::BinomialTestTwoSided(a, a + b, null_p);
}

std::vector<FunctionChange> TestFunctions(const DiffRuns& runs, const SignificanceOptions& o) {
  return *TestFunctions(runs, o, "");
}

absl::StatusOr<std::vector<FunctionChange>> TestFunctions(const DiffRuns& runs,
                                                          const SignificanceOptions& o,
                                                          const std::string& grep) {
  std::unique_ptr<RE2> pattern;
  if (!grep.empty()) {
    pattern = std::make_unique<RE2>(grep, RE2::Quiet);
    if (!pattern->ok()) {
      return absl::InvalidArgumentError("--grep: '" + grep +
                                        "' is not a valid regular expression (" +
                                        pattern->error() + ")");
    }
  }
  const size_t nr = runs.runs();
  absl::flat_hash_map<std::string, size_t> ids;
  std::vector<std::string> names;
  std::vector<double> self, total;
  std::vector<size_t> last_stack;  // 1-based stack that last added to total
  const auto& entries = runs.pooled().entries();
  for (size_t s = 0; s < entries.size(); ++s) {
    std::string_view stack = entries[s].stack;
    size_t leaf = SIZE_MAX, begin = 0;
    while (begin <= stack.size()) {
      size_t end = stack.find(';', begin);
      if (end == std::string_view::npos) end = stack.size();
      std::string_view frame = stack.substr(begin, end - begin);
      begin = end + 1;
      if (frame.empty()) continue;
      if (pattern != nullptr &&
          !RE2::PartialMatch(re2::StringPiece(frame.data(), frame.size()), *pattern)) {
        leaf = SIZE_MAX;  // the leaf, so far, is a function outside the family
        continue;
      }
      auto [it, inserted] = ids.try_emplace(std::string(frame), names.size());
      if (inserted) {
        names.emplace_back(frame);
        self.resize(self.size() + nr, 0);
        total.resize(total.size() + nr, 0);
        last_stack.push_back(0);
      }
      const size_t id = it->second;
      if (last_stack[id] != s + 1) {
        last_stack[id] = s + 1;
        for (size_t r = 0; r < nr; ++r) total[id * nr + r] += runs.weight(s, r);
      }
      leaf = id;
    }
    if (leaf != SIZE_MAX) {
      for (size_t r = 0; r < nr; ++r) self[leaf * nr + r] += runs.weight(s, r);
    }
  }
  std::vector<ItemChange> items;
  TestItems(runs, self, &items, &ItemChange::self);
  TestItems(runs, total, &items, &ItemChange::total);
  AdjustFamily(o.alpha, &items);
  std::vector<FunctionChange> out(names.size());
  for (size_t i = 0; i < names.size(); ++i) out[i] = {std::move(names[i]), items[i]};
  return out;
}

}  // namespace stackfire::render
