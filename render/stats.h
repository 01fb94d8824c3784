// The statistics behind `stackfire diff`'s significance: the exact binomial
// test, Student's t distribution (for Welch's test over repeated runs) and
// Benjamini-Hochberg's false-discovery-rate control. Pure functions, no
// state, safe to call from any thread except that std::lgamma may write
// glibc's `signgam` (all arguments here are positive, so its value never
// matters).
//
// Accuracy: probabilities are computed in log space and through the
// regularized incomplete beta function (a continued fraction, relative
// error ~1e-13), so tail probabilities far below 1e-300 come out as 0 and
// everything above that keeps about 12 significant digits; no term-by-term
// summation whose cost grows with n. Cost: O(log n) pmf evaluations plus two
// continued fractions, each converging in O(sqrt(min(k, n-k))) steps at
// worst (a few dozen for typical profile counts).
#ifndef STACKFIRE_RENDER_STATS_H_
#define STACKFIRE_RENDER_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stackfire::stats {

// log P(X = k) for X ~ Binomial(n, p); -inf when k > n or the probability is
// 0 (p = 0 and k > 0, p = 1 and k < n).
double LogBinomialPmf(uint64_t k, uint64_t n, double p);

// The regularized incomplete beta function I_x(a, b), a > 0, b > 0,
// 0 <= x <= 1.
double RegularizedBeta(double x, double a, double b);

// P(X <= k) and P(X >= k) for X ~ Binomial(n, p), each computed directly (not
// as 1 - the other), so small tails keep their relative accuracy.
double BinomialCdf(uint64_t k, uint64_t n, double p);
double BinomialSf(uint64_t k, uint64_t n, double p);  // P(X >= k)

// The two-sided exact binomial test of k successes in n trials against
// success probability p, with R's binom.test() definition: the probability
// of every outcome no more likely than the one observed, P(X = i) <=
// P(X = k) * (1 + 1e-7). Not mid-p: the test is conservative, so its
// false-positive rate never exceeds the level it is used at. Returns 1 when
// n == 0. Above n = 10^9 (more samples in one frame than 11 days of
// sampling at 1 kHz: counts that are weights, not samples) it uses the
// normal approximation with continuity correction instead, to stay fast.
double BinomialTestTwoSided(uint64_t k, uint64_t n, double p);

// P(|T| >= |t|) for T ~ Student's t with df > 0 degrees of freedom (df need
// not be an integer: Welch's test gives fractional ones). t = +-inf gives 0.
double StudentTTwoSided(double t, double df);

struct WelchResult {
  double t = 0;
  double df = 0;
  double p = 1;  // two-sided
};

// Welch's unequal-variance t-test of mean2 - mean1 from two groups' sample
// means, variances (n - 1 denominators) and sizes (each >= 2). When both
// variances are 0, p is 1 if the means are equal and 0 otherwise.
WelchResult WelchTTest(double mean1, double var1, double n1, double mean2, double var2,
                       double n2);

// The Benjamini-Hochberg adjusted p-values (q-values) of `p`, in the same
// order, as R's p.adjust(p, "BH"): q_(i) = min over j >= i of p_(j) m / j,
// capped at 1. Rejecting every hypothesis with q <= alpha controls the
// false-discovery rate at alpha for independent or positively dependent
// tests. `m` is the number of tests the correction is for; 0 means p.size()
// (a larger m accounts for tests whose p-values were not computed because
// they cannot be small, see significance.h).
std::vector<double> BenjaminiHochberg(const std::vector<double>& p, size_t m = 0);

}  // namespace stackfire::stats

#endif  // STACKFIRE_RENDER_STATS_H_
