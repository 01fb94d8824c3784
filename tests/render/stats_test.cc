// The statistics of `stackfire diff` against values with a known source:
// probabilities worked out by hand (small binomials, written as fractions),
// closed forms (Student's t with 1, 2 and 4 degrees of freedom), R's
// documented example of binom.test(), and exact sums in long double for
// everything the closed forms do not reach. Nothing here is compared with
// the code's own earlier output.
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "render/stats.h"

namespace stackfire::stats {
namespace {

// sum_{i in [lo, hi]} C(n, i) p^i (1 - p)^(n - i), term by term in long double.
long double DirectSum(uint64_t lo, uint64_t hi, uint64_t n, long double p) {
  long double sum = 0;
  for (uint64_t i = lo; i <= hi && i <= n; ++i) {
    long double log_term = std::lgamma(static_cast<long double>(n) + 1) -
                           std::lgamma(static_cast<long double>(i) + 1) -
                           std::lgamma(static_cast<long double>(n - i) + 1) + i * std::log(p) +
                           (n - i) * std::log1p(-p);
    sum += std::exp(log_term);
  }
  return sum;
}

TEST(Binomial, PmfOfSmallCases) {
  // C(10, 3) / 2^10 = 120 / 1024.
  EXPECT_NEAR(std::exp(LogBinomialPmf(3, 10, 0.5)), 120.0 / 1024, 1e-15);
  // 5 trials at 0.2: P(X = 2) = 10 * 0.04 * 0.512 = 0.2048.
  EXPECT_NEAR(std::exp(LogBinomialPmf(2, 5, 0.2)), 0.2048, 1e-15);
  EXPECT_EQ(LogBinomialPmf(6, 5, 0.2), -INFINITY);
  EXPECT_EQ(LogBinomialPmf(0, 5, 0.0), 0);
  EXPECT_EQ(LogBinomialPmf(1, 5, 0.0), -INFINITY);
}

TEST(Binomial, TailsMatchDirectSums) {
  for (uint64_t n : {1u, 7u, 50u, 333u}) {
    for (double p : {0.01, 0.3, 0.5, 0.77}) {
      for (uint64_t k = 0; k <= n; k += (n > 60 ? 7 : 1)) {
        const double cdf = static_cast<double>(DirectSum(0, k, n, p));
        const double sf = static_cast<double>(DirectSum(k, n, n, p));
        EXPECT_NEAR(BinomialCdf(k, n, p), cdf, 1e-12 + 1e-10 * cdf) << n << " " << p << " " << k;
        EXPECT_NEAR(BinomialSf(k, n, p), sf, 1e-12 + 1e-10 * sf) << n << " " << p << " " << k;
      }
    }
  }
  // Small tails keep their relative accuracy: P(X >= 60) for Binomial(100,
  // 1/2) is sum C(100, i) / 2^100 over i >= 60 = 0.028443966820490395 (exact
  // rational arithmetic), and far tails stay positive.
  EXPECT_NEAR(BinomialSf(60, 100, 0.5), 0.028443966820490395, 1e-14);
  const double far = static_cast<double>(DirectSum(900, 1000, 1000, 0.5));
  EXPECT_GT(far, 0);
  EXPECT_NEAR(BinomialSf(900, 1000, 0.5) / far, 1, 1e-9);
}

TEST(Binomial, TwoSidedTestByHand) {
  // Binomial(10, 1/2): P(X = 0) = P(X = 10) = 1/1024, the two-sided p of 0.
  EXPECT_NEAR(BinomialTestTwoSided(0, 10, 0.5), 2.0 / 1024, 1e-15);
  // k = 2: P(X <= 2) + P(X >= 8) = (1 + 10 + 45) * 2 / 1024.
  EXPECT_NEAR(BinomialTestTwoSided(2, 10, 0.5), 112.0 / 1024, 1e-15);
  EXPECT_NEAR(BinomialTestTwoSided(8, 10, 0.5), 112.0 / 1024, 1e-15);
  EXPECT_EQ(BinomialTestTwoSided(5, 10, 0.5), 1);
  // Binomial(5, 0.2), asymmetric. pmf: .32768 .4096 .2048 .0512 .0064 .00032.
  // k = 3 (above the mean 1): nothing below the mean is as unlikely as .0512,
  // so p = P(X >= 3) = .0512 + .0064 + .00032.
  EXPECT_NEAR(BinomialTestTwoSided(3, 5, 0.2), 0.05792, 1e-14);
  // k = 0 (below the mean): outcomes 2..5 are no more likely than .32768,
  // so p = .32768 + .2048 + .0512 + .0064 + .00032.
  EXPECT_NEAR(BinomialTestTwoSided(0, 5, 0.2), 0.5904, 1e-14);
  EXPECT_EQ(BinomialTestTwoSided(1, 5, 0.2), 1);  // the mean itself
  EXPECT_EQ(BinomialTestTwoSided(0, 0, 0.3), 1);
}

TEST(Binomial, TwoSidedTestMatchesRDocumentation) {
  // R's ?binom.test example (Mendel's peas, 682 of 925 against 3/4) prints
  // p-value = 0.3825; exact rational arithmetic gives 0.38249155957485.
  EXPECT_NEAR(BinomialTestTwoSided(682, 925, 0.75), 0.38249155957485, 1e-11);
}

TEST(Binomial, TwoSidedTestMatchesDirectDefinition) {
  // The definition summed term by term, for n up to a few hundred.
  for (uint64_t n : {3u, 20u, 101u, 400u}) {
    for (double p : {0.05, 0.4, 0.5, 0.9}) {
      for (uint64_t k = 0; k <= n; k += (n > 100 ? 13 : 1)) {
        const long double d = std::exp(static_cast<long double>(LogBinomialPmf(k, n, p)));
        long double sum = 0;
        for (uint64_t i = 0; i <= n; ++i) {
          const long double di = std::exp(static_cast<long double>(LogBinomialPmf(i, n, p)));
          if (di <= d * (1 + 1e-7L)) sum += di;
        }
        const double want = std::min(1.0, static_cast<double>(sum));
        EXPECT_NEAR(BinomialTestTwoSided(k, n, p), want, 1e-11 + 1e-9 * want)
            << n << " " << p << " " << k;
      }
    }
  }
}

TEST(Binomial, HugeCountsUseTheNormalApproximationSeamlessly) {
  // Just below the limit the test is exact; just above it, the normal
  // approximation with continuity correction: the two agree closely.
  const uint64_t n = 1'000'000'000;
  const double sd = std::sqrt(n * 0.25);
  for (double z : {0.5, 2.0, 4.0}) {
    const uint64_t k = static_cast<uint64_t>(n * 0.5 + z * sd);
    const double exact = BinomialTestTwoSided(k, n, 0.5);
    const double approx = BinomialTestTwoSided(k + 1, n + 2, 0.5);
    EXPECT_NEAR(approx / exact, 1, 0.01) << z;
    EXPECT_NEAR(exact, std::erfc(z / std::sqrt(2.0)), 0.01 * exact) << z;
  }
}

TEST(StudentT, ClosedForms) {
  for (double t : {0.0, 0.3, 1.0, 2.5, 12.0, 1e4}) {
    // df = 1 is the Cauchy distribution: 1 - 2 atan(t) / pi.
    EXPECT_NEAR(StudentTTwoSided(t, 1), 1 - 2 * std::atan(t) / M_PI, 1e-13) << t;
    // df = 2: 1 - t / sqrt(t^2 + 2).
    EXPECT_NEAR(StudentTTwoSided(t, 2), 1 - t / std::sqrt(t * t + 2), 1e-13) << t;
    // df = 4: F(t) = 1/2 + 3/8 u (1 - u^2 / 12), u = t / sqrt(1 + t^2 / 4).
    const double u = t / std::sqrt(1 + t * t / 4);
    EXPECT_NEAR(StudentTTwoSided(t, 4), 1 - 2 * (3.0 / 8) * u * (1 - u * u / 12), 1e-13) << t;
  }
  EXPECT_NEAR(StudentTTwoSided(-2.5, 2), StudentTTwoSided(2.5, 2), 1e-15);
  EXPECT_EQ(StudentTTwoSided(INFINITY, 3), 0);
}

TEST(StudentT, TableValues) {
  // The 97.5 % quantiles of textbook t tables (3 decimals): two-sided 0.05.
  EXPECT_NEAR(StudentTTwoSided(2.228, 10), 0.05, 2e-4);
  EXPECT_NEAR(StudentTTwoSided(2.776, 4), 0.05, 2e-4);
  EXPECT_NEAR(StudentTTwoSided(12.706, 1), 0.05, 2e-4);
  // Large df is the normal distribution: erfc(1.96 / sqrt 2).
  EXPECT_NEAR(StudentTTwoSided(1.96, 1e9), std::erfc(1.96 / std::sqrt(2.0)), 1e-7);
}

TEST(Welch, HandExample) {
  // {1, 2, 3} against {4, 5, 6}: means 2 and 5, variances 1 and 1,
  // t = 3 / sqrt(2/3) = 3.674, df = (2/3)^2 / (2 (1/3)^2 / 2) = 4.
  WelchResult r = WelchTTest(2, 1, 3, 5, 1, 3);
  EXPECT_NEAR(r.t, 3 / std::sqrt(2.0 / 3), 1e-12);
  EXPECT_NEAR(r.df, 4, 1e-12);
  const double u = r.t / std::sqrt(1 + r.t * r.t / 4);
  EXPECT_NEAR(r.p, 1 - 2 * (3.0 / 8) * u * (1 - u * u / 12), 1e-12);  // 0.0213
  EXPECT_NEAR(r.p, 0.0213116411, 1e-9);
  // Unequal variances and sizes: var 4 over 5 runs, var 1 over 3 runs:
  // s1 = 0.8, s2 = 1/3, df = (0.8 + 1/3)^2 / (0.8^2 / 4 + (1/3)^2 / 2) = 6.0165.
  r = WelchTTest(10, 4, 5, 12, 1, 3);
  EXPECT_NEAR(r.df, (0.8 + 1.0 / 3) * (0.8 + 1.0 / 3) / (0.64 / 4 + 1.0 / 9 / 2), 1e-12);
  EXPECT_NEAR(r.t, 2 / std::sqrt(0.8 + 1.0 / 3), 1e-12);
  // Zero spread: equal means are not a change, different ones are.
  EXPECT_EQ(WelchTTest(3, 0, 2, 3, 0, 2).p, 1);
  EXPECT_EQ(WelchTTest(3, 0, 2, 4, 0, 2).p, 0);
}

TEST(BenjaminiHochberg, HandExample) {
  // Sorted: .005 .01 .03 .04, m = 4: raw p m / rank = .02 .02 .04 .04; the
  // running minimum from the largest keeps them. As R's p.adjust(, "BH").
  std::vector<double> q = BenjaminiHochberg({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(q.size(), 4u);
  EXPECT_NEAR(q[0], 0.02, 1e-15);
  EXPECT_NEAR(q[1], 0.04, 1e-15);
  EXPECT_NEAR(q[2], 0.04, 1e-15);
  EXPECT_NEAR(q[3], 0.02, 1e-15);
  // The running minimum: .01 .02 .5 with m = 3: .03 .03 .5.
  q = BenjaminiHochberg({0.5, 0.02, 0.01});
  EXPECT_NEAR(q[0], 0.5, 1e-15);
  EXPECT_NEAR(q[1], 0.03, 1e-15);
  EXPECT_NEAR(q[2], 0.03, 1e-15);
  // Tests not listed (m = 10) count as p = 1: .01 * 10 / 1.
  q = BenjaminiHochberg({0.01}, 10);
  EXPECT_NEAR(q[0], 0.1, 1e-15);
  EXPECT_EQ(BenjaminiHochberg({0.9, 0.8}, 2)[0], 0.9);
  EXPECT_LE(BenjaminiHochberg({0.7}, 100)[0], 1.0);
}

}  // namespace
}  // namespace stackfire::stats
