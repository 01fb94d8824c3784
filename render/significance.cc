#include "render/significance.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "re2/re2.h"
#include "render/stats.h"

namespace stackfire::render {
namespace {

constexpr double kMaxExact = 9007199254740992.0;  // 2^53

// s/0x[0-9a-fA-F]+/0x.../g, as difffolded.pl -s.
std::string StripHexCopy(std::string_view s) {
  auto hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '0' && i + 2 < s.size() && s[i + 1] == 'x' && hex(s[i + 2])) {
      size_t j = i + 2;
      while (j < s.size() && hex(s[j])) ++j;
      out.append("0x...");
      i = j;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

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

absl::StatusOr<DiffRuns> DiffRuns::Make(const std::vector<const FoldedInput*>& before,
                                        const std::vector<const FoldedInput*>& after,
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
  d.before_runs_ = before.size();
  d.after_runs_ = after.size();
  const size_t runs = d.runs();
  std::vector<double> raw_totals(runs, 0);
  for (size_t r = 0; r < runs; ++r) {
    const bool is_before = r < d.before_runs_;
    const FoldedInput& in = is_before ? *before[r] : *after[r - d.before_runs_];
    for (const FoldedRecord& rec : in.records) {
      const double b = is_before ? rec.count : 0, a = is_before ? 0 : rec.count;
      size_t i = options.strip_hex ? d.pooled_.AddCopy(StripHexCopy(rec.stack), b, a)
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
    g = std::gcd(g, static_cast<uint64_t>(w));
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
      d.run_norm_.push_back(r < d.before_runs_
                                ? UnitOf(sig.before_units, r)
                                : UnitOf(sig.after_units, r - d.before_runs_));
    } else {
      d.run_norm_.push_back(d.run_samples_.back());
    }
  }
  return d;
}

const char* TestName(const DiffRuns& runs) {
  return runs.runs() == 2 ? "binomial" : "welch";
}

void TestItems(const DiffRuns& runs, const std::vector<double>& counts,
               std::vector<Change>* out) {
  const size_t nr = runs.runs(), nb = runs.before_runs();
  const size_t items = nr == 0 ? 0 : counts.size() / nr;
  out->assign(items, Change{});
  const std::vector<double>& norm = runs.run_norm();
  const std::vector<double>& samples = runs.run_samples();
  double norm_b = 0, norm_a = 0, samples_b = 0, samples_a = 0;
  for (size_t r = 0; r < nr; ++r) {
    (r < nb ? norm_b : norm_a) += norm[r];
    (r < nb ? samples_b : samples_a) += samples[r];
  }
  const double scale = norm_b > 0 ? norm_a / norm_b : 0;
  const double unit = runs.sample_weight();
  // Single runs: the p-value depends on (after, before) only, and small
  // pairs repeat across thousands of frames.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, double> cache;
  absl::flat_hash_map<uint64_t, double> min_cache;  // n -> smallest p-value
  const double p0 = norm_a + norm_b > 0 ? norm_a / (norm_a + norm_b) : 0.5;
  std::vector<double> c(nr);
  for (size_t i = 0; i < items; ++i) {
    Change& ch = (*out)[i];
    double b = 0, a = 0;
    for (size_t r = 0; r < nr; ++r) {
      c[r] = std::nearbyint(counts[i * nr + r] / unit);
      (r < nb ? b : a) += c[r];
    }
    ch.before = b;
    ch.after = a;
    ch.expected = b * scale;
    ch.before_pct = samples_b > 0 ? 100 * b / samples_b : 0;
    ch.after_pct = samples_a > 0 ? 100 * a / samples_a : 0;
    ch.delta_pct = samples_a > 0 ? 100 * (a - ch.expected) / samples_a : 0;
    if (a == 0 && b == 0) continue;
    if (nr == 2) {
      const uint64_t ai = static_cast<uint64_t>(a), bi = static_cast<uint64_t>(b);
      auto [it, inserted] = cache.try_emplace(std::make_pair(ai, bi), 1.0);
      if (inserted) it->second = stats::BinomialTestTwoSided(ai, ai + bi, p0);
      ch.p = it->second;
      const uint64_t n = ai + bi;
      auto [mit, min_inserted] = min_cache.try_emplace(n, 1.0);
      if (min_inserted) {
        mit->second = std::min(stats::BinomialTestTwoSided(0, n, p0),
                               stats::BinomialTestTwoSided(n, n, p0));
      }
      ch.p_min = std::max(mit->second, 1e-320);
      continue;
    }
    // Per-run values: shares of the run's samples, or samples per unit.
    SideStats side[2];
    for (int s = 0; s < 2; ++s) {
      const size_t lo = s == 0 ? 0 : nb, hi = s == 0 ? nb : nr;
      SideStats& st = side[s];
      st.n = static_cast<double>(hi - lo);
      double sum_c = 0, sum_norm = 0, sum_samples = 0;
      for (size_t r = lo; r < hi; ++r) {
        st.mean += norm[r] > 0 ? c[r] / norm[r] : 0;
        sum_c += c[r];
        sum_norm += norm[r];
        sum_samples += samples[r];
      }
      st.mean /= st.n;
      for (size_t r = lo; r < hi; ++r) {
        const double v = norm[r] > 0 ? c[r] / norm[r] : 0;
        st.var += (v - st.mean) * (v - st.mean);
      }
      st.var = st.n > 1 ? st.var / (st.n - 1) : 0;
      // Sampling noise alone: Binomial (shares) or Poisson (per unit).
      const double pooled = sum_norm > 0 ? sum_c / sum_norm : 0;
      const double mean_norm = sum_norm / st.n, mean_samples = sum_samples / st.n;
      st.floor = runs.per_unit()
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
  }
}

void AdjustFamily(double alpha, std::vector<ItemChange>* items) {
  auto judge = [alpha](Change& c, double qv) {
    c.q = qv;
    c.verdict = qv <= alpha && c.after != c.expected
                    ? (c.after > c.expected ? Verdict::kGrew : Verdict::kShrank)
                    : Verdict::kUnchanged;
  };
  // Self and total are two families: a change deep in the tree changes the
  // total of every caller above it (true discoveries by the dozen), and one
  // family would let those buy false self discoveries.
  for (Change ItemChange::*member : {&ItemChange::self, &ItemChange::total}) {
    // Tarone: the smallest K with M(K) = #{p_min <= alpha / K} <= K. M is
    // non-increasing in K, so the first K that works is found by walking
    // up from 1 over the sorted p_min.
    std::vector<double> pmin;
    pmin.reserve(items->size());
    for (const ItemChange& it : *items) {
      const Change& c = it.*member;
      if (c.before == 0 && c.after == 0) continue;  // not a test
      pmin.push_back(c.p_min);
    }
    std::sort(pmin.begin(), pmin.end());
    size_t k = 1;
    for (; k <= pmin.size(); ++k) {
      const size_t m = std::upper_bound(pmin.begin(), pmin.end(), alpha / k) - pmin.begin();
      if (m <= k) break;
    }
    const double limit = alpha / static_cast<double>(k);
    std::vector<double> p;
    std::vector<size_t> which;
    for (size_t i = 0; i < items->size(); ++i) {
      Change& c = (*items)[i].*member;
      if ((c.before == 0 && c.after == 0) || c.p_min > limit) {
        judge(c, 1);
        continue;
      }
      p.push_back(c.p);
      which.push_back(i);
    }
    std::vector<double> q = stats::BenjaminiHochberg(p, std::max(k, p.size()));
    for (size_t j = 0; j < which.size(); ++j) judge((*items)[which[j]].*member, q[j]);
  }
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
  std::vector<Change> self_changes, total_changes;
  TestItems(runs, self, &self_changes);
  TestItems(runs, total, &total_changes);
  std::vector<ItemChange> items(names.size());
  for (size_t i = 0; i < names.size(); ++i) items[i] = {self_changes[i], total_changes[i]};
  AdjustFamily(o.alpha, &items);
  std::vector<FunctionChange> out(names.size());
  for (size_t i = 0; i < names.size(); ++i) out[i] = {std::move(names[i]), items[i]};
  return out;
}

}  // namespace stackfire::render
