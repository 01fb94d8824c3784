#include "render/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace stackfire::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint64_t kExactLimit = 1'000'000'000;  // BinomialTestTwoSided: exact up to here

double LogBeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// The continued fraction of I_x(a, b) (modified Lentz), good where
// x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double x, double a, double b) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  // Near the switch point the fraction needs O(sqrt(a + b)) steps; capped,
  // so that absurd counts cost milliseconds, not minutes (BinomialTest
  // switches to the normal approximation long before the cap matters).
  const int max_iter = static_cast<int>(std::min(1000 + 20 * std::sqrt(a + b), 1e6));
  double c = 1;
  double d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= max_iter; ++m) {
    const double m2 = 2.0 * m;
    // Even step: m (b - m) x / ((a + 2m - 1)(a + 2m)).
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    // Odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return h;
}

// I_x(a, b) by the continued fraction, valid when x is below the switch point.
double BetaDirect(double x, double a, double b) {
  if (x <= 0) return 0;
  const double log_front = a * std::log(x) + b * std::log1p(-x) - LogBeta(a, b) - std::log(a);
  return std::exp(log_front) * BetaContinuedFraction(x, a, b);
}

}  // namespace

double LogBinomialPmf(uint64_t k, uint64_t n, double p) {
  if (k > n) return -kInf;
  if (p <= 0) return k == 0 ? 0 : -kInf;
  if (p >= 1) return k == n ? 0 : -kInf;
  const double kd = static_cast<double>(k), nd = static_cast<double>(n);
  const double log_choose = std::lgamma(nd + 1) - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1);
  return log_choose + kd * std::log(p) + (nd - kd) * std::log1p(-p);
}

double RegularizedBeta(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x < (a + 1) / (a + b + 2)) return BetaDirect(x, a, b);
  return 1 - BetaDirect(1 - x, b, a);
}

double BinomialSf(uint64_t k, uint64_t n, double p) {
  if (k == 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // P(X >= k) = I_p(k, n - k + 1); the small side is computed directly.
  const double a = static_cast<double>(k), b = static_cast<double>(n - k + 1);
  if (p < (a + 1) / (a + b + 2)) return BetaDirect(p, a, b);
  return 1 - BetaDirect(1 - p, b, a);
}

double BinomialCdf(uint64_t k, uint64_t n, double p) {
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  // P(X <= k) = I_{1-p}(n - k, k + 1).
  const double a = static_cast<double>(n - k), b = static_cast<double>(k + 1);
  const double q = 1 - p;
  if (q < (a + 1) / (a + b + 2)) return BetaDirect(q, a, b);
  return 1 - BetaDirect(p, b, a);
}

double BinomialTestTwoSided(uint64_t k, uint64_t n, double p) {
  if (n == 0 || k > n) return 1;
  if (p <= 0) return k == 0 ? 1 : 0;
  if (p >= 1) return k == n ? 1 : 0;
  const double mean = static_cast<double>(n) * p;
  const double kd = static_cast<double>(k);
  if (kd == mean) return 1;
  if (n > kExactLimit) {
    // Far past any real profile: the normal approximation with continuity
    // correction (its error is ~1 / sqrt(n p (1 - p)) of the tail).
    const double sd = std::sqrt(mean * (1 - p));
    const double z = std::max(0.0, std::fabs(kd - mean) - 0.5) / sd;
    return std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  }
  // Outcomes at most (1 + 1e-7) times as likely as the observed one.
  const double threshold = LogBinomialPmf(k, n, p) + std::log1p(1e-7);
  double pval;
  if (kd < mean) {
    // The pmf falls on [ceil(mean), n]: find the first i there at or below
    // the threshold.
    uint64_t lo = static_cast<uint64_t>(std::ceil(mean)), hi = n + 1;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (LogBinomialPmf(mid, n, p) <= threshold) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    pval = BinomialCdf(k, n, p) + (lo <= n ? BinomialSf(lo, n, p) : 0);
  } else {
    // The pmf rises on [0, floor(mean)]: find the last i there at or below
    // the threshold (count = how many there are).
    uint64_t lo = 0, hi = static_cast<uint64_t>(std::floor(mean)) + 1;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (LogBinomialPmf(mid, n, p) <= threshold) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    pval = (lo > 0 ? BinomialCdf(lo - 1, n, p) : 0) + BinomialSf(k, n, p);
  }
  return std::min(1.0, pval);
}

double StudentTTwoSided(double t, double df) {
  if (std::isnan(t) || !(df > 0)) return 1;
  if (std::isinf(t)) return 0;
  // P(|T| >= t) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  const double x = df / (df + t * t);
  return RegularizedBeta(x, df / 2, 0.5);
}

WelchResult WelchTTest(double mean1, double var1, double n1, double mean2, double var2,
                       double n2) {
  WelchResult r;
  const double s1 = var1 / n1, s2 = var2 / n2;
  const double se2 = s1 + s2;
  if (!(se2 > 0)) {
    r.p = mean1 == mean2 ? 1 : 0;
    r.t = mean1 == mean2 ? 0 : (mean2 > mean1 ? kInf : -kInf);
    r.df = n1 + n2 - 2;
    return r;
  }
  r.t = (mean2 - mean1) / std::sqrt(se2);
  r.df = se2 * se2 / (s1 * s1 / (n1 - 1) + s2 * s2 / (n2 - 1));
  r.p = StudentTTwoSided(r.t, r.df);
  return r;
}

std::vector<double> BenjaminiHochberg(const std::vector<double>& p, size_t m) {
  const size_t n = p.size();
  if (m < n) m = n;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&p](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> q(n);
  double running = 1;
  for (size_t r = n; r-- > 0;) {
    const size_t i = order[r];
    running = std::min(running, p[i] * static_cast<double>(m) / static_cast<double>(r + 1));
    q[i] = std::min(1.0, running);
  }
  return q;
}

}  // namespace stackfire::stats
