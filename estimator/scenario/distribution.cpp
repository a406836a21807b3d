#include "estimator/scenario/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "estimator/scenario/sampling.hpp"

namespace clustercap::sweep {
namespace {

constexpr std::size_t kPertTable = 4097;

// Regularised incomplete beta via numerical integration of the density on
// a fine grid: only used once per PERT input to build its table.
std::vector<double> beta_cdf_grid(double alpha, double beta, std::size_t n) {
  std::vector<double> cdf(n, 0.0);
  const double h = 1.0 / static_cast<double>(n - 1);
  auto pdf = [&](double x) {
    if (x <= 0 || x >= 1) return 0.0;
    return std::exp((alpha - 1) * std::log(x) + (beta - 1) * std::log1p(-x));
  };
  // Midpoint sums per cell, robust to density singularities at the ends.
  constexpr int kSub = 16;
  for (std::size_t i = 1; i < n; ++i) {
    double area = 0;
    for (int s = 0; s < kSub; ++s) {
      const double x = (static_cast<double>(i - 1) + (s + 0.5) / kSub) * h;
      area += pdf(x);
    }
    cdf[i] = cdf[i - 1] + area * h / kSub;
  }
  for (auto& v : cdf) v /= cdf.back();
  return cdf;
}

}  // namespace

const char* to_string(DistKind kind) {
  switch (kind) {
    case DistKind::uniform:
      return "uniform";
    case DistKind::triangular:
      return "triangular";
    case DistKind::pert:
      return "pert";
    case DistKind::normal:
      return "normal";
    case DistKind::lognormal:
      return "lognormal";
    case DistKind::choice:
      return "choice";
    case DistKind::mixture:
      return "mixture";
  }
  return "";
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double u) { return sampling::normal_quantile(u); }
model::Pack normal_quantile(model::Pack u) { return sampling::normal_quantile(u); }

Distribution make_uniform(double min, double max) {
  Distribution d;
  d.kind = DistKind::uniform;
  d.lo = min;
  d.hi = max;
  return d;
}

Distribution make_triangular(double min, double mode, double max) {
  Distribution d;
  d.kind = DistKind::triangular;
  d.lo = min;
  d.hi = max;
  d.a = mode;
  return d;
}

Distribution make_pert(double min, double mode, double max, double lambda) {
  Distribution d;
  d.kind = DistKind::pert;
  d.lo = min;
  d.hi = max;
  d.a = mode;
  const double range = max - min;
  const double alpha = 1 + lambda * (mode - min) / range;
  const double beta = 1 + lambda * (max - mode) / range;
  // CDF on a fine grid, then invert onto an even grid in u.
  const std::size_t fine = 4 * kPertTable;
  const std::vector<double> cdf = beta_cdf_grid(alpha, beta, fine);
  d.table.resize(kPertTable);
  std::size_t j = 0;
  for (std::size_t k = 0; k < kPertTable; ++k) {
    const double u = static_cast<double>(k) / (kPertTable - 1);
    while (j + 1 < fine - 1 && cdf[j + 1] < u) ++j;
    const double span = cdf[j + 1] - cdf[j];
    const double t = span > 0 ? (u - cdf[j]) / span : 0.0;
    const double x = (static_cast<double>(j) + std::min(1.0, std::max(0.0, t))) / (fine - 1);
    d.table[k] = min + range * x;
  }
  d.table.front() = min;
  d.table.back() = max;
  return d;
}

Distribution make_normal(double mean, double sd, double min, double max) {
  Distribution d;
  d.kind = DistKind::normal;
  d.a = mean;
  d.b = sd;
  d.lo = min;
  d.hi = max;
  d.cdf_lo = std::isinf(min) ? 0.0 : normal_cdf((min - mean) / sd);
  d.cdf_hi = std::isinf(max) ? 1.0 : normal_cdf((max - mean) / sd);
  return d;
}

Distribution make_lognormal(double mu, double sigma) {
  Distribution d;
  d.kind = DistKind::lognormal;
  d.a = mu;
  d.b = sigma;
  d.lo = 0;
  d.hi = std::numeric_limits<double>::infinity();
  return d;
}

namespace {

// Shares of the largest weight, summing to 1 (dividing by the largest first:
// the sum of weights near the largest double overflows).
std::vector<double> cumulative_shares(const std::vector<double>& weights) {
  const double largest = *std::max_element(weights.begin(), weights.end());
  double total = 0;
  for (double w : weights) total += w / largest;
  std::vector<double> cumulative;
  double running = 0;
  for (double w : weights) {
    running += w / largest / total;
    cumulative.push_back(running);
  }
  cumulative.back() = 1.0;
  return cumulative;
}

// P(X <= x) for a distribution given by its inverse-CDF table.
double table_cdf(const std::vector<double>& table, double x) {
  if (x < table.front()) return 0.0;
  if (x >= table.back()) return 1.0;
  const auto hi = std::upper_bound(table.begin(), table.end(), x);
  const auto k = static_cast<std::size_t>(hi - table.begin()) - 1;
  const double span = table[k + 1] - table[k];
  const double f = span > 0 ? (x - table[k]) / span : 1.0;
  return (static_cast<double>(k) + f) / static_cast<double>(table.size() - 1);
}

}  // namespace

double Distribution::cdf(double x) const {
  switch (kind) {
    case DistKind::uniform:
      return std::min(1.0, std::max(0.0, (x - lo) / (hi - lo)));
    case DistKind::triangular:
      if (x <= lo) return 0.0;
      if (x >= hi) return 1.0;
      if (x <= a) return (x - lo) * (x - lo) / ((hi - lo) * (a - lo));
      return 1.0 - (hi - x) * (hi - x) / ((hi - lo) * (hi - a));
    case DistKind::normal:
      if (x < lo) return 0.0;
      if (x >= hi) return 1.0;
      return (normal_cdf((x - a) / b) - cdf_lo) / (cdf_hi - cdf_lo);
    case DistKind::lognormal:
      return x > 0 ? normal_cdf((std::log(x) - a) / b) : 0.0;
    case DistKind::pert:
    case DistKind::mixture:
      return table_cdf(table, x);
    case DistKind::choice: {
      double p = 0, previous = 0;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] <= x) p += cumulative[i] - previous;
        previous = cumulative[i];
      }
      return std::min(1.0, p);
    }
  }
  return 0.0;
}

Distribution make_choice(std::vector<double> values, const std::vector<double>& weights) {
  Distribution d;
  d.kind = DistKind::choice;
  d.values = std::move(values);
  d.cumulative = cumulative_shares(weights);
  d.lo = *std::min_element(d.values.begin(), d.values.end());
  d.hi = *std::max_element(d.values.begin(), d.values.end());
  return d;
}

Distribution make_point(double value) { return make_choice({value}, {1.0}); }

Distribution make_mixture(const std::vector<Distribution>& parts,
                          const std::vector<double>& weights) {
  const std::vector<double> cumulative = cumulative_shares(weights);
  std::vector<double> share(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    share[i] = cumulative[i] - (i == 0 ? 0.0 : cumulative[i - 1]);
  }
  auto mixed_cdf = [&](double x) {
    double p = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) p += share[i] * parts[i].cdf(x);
    return p;
  };
  constexpr double kTail = 1e-4;  // the table spans the 0.01st to 99.99th percentile
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Distribution& part : parts) {
    lo = std::min(lo, part.quantile(kTail));
    hi = std::max(hi, part.quantile(1 - kTail));
  }
  Distribution d;
  d.kind = DistKind::mixture;
  d.table.resize(kPertTable);
  const double tolerance = 1e-12 * std::max(hi - lo, std::max(std::abs(lo), std::abs(hi)));
  std::vector<double> points;  // values a component puts mass on (point estimates)
  for (const Distribution& part : parts) {
    if (part.kind == DistKind::choice)
      points.insert(points.end(), part.values.begin(), part.values.end());
  }
  for (std::size_t k = 0; k < kPertTable; ++k) {
    const double u =
        std::min(1 - kTail, std::max(kTail, static_cast<double>(k) / (kPertTable - 1)));
    // The smallest x with F(x) >= u (the usual generalised inverse: with two
    // point estimates weighted equally, the median is the lower one), by
    // bisection; a point estimate the bracket holds is returned exactly.
    double a = lo, b = hi;
    if (mixed_cdf(lo) >= u) b = lo;
    for (int it = 0; it < 200 && b - a > tolerance; ++it) {
      const double mid = 0.5 * (a + b);
      if (mixed_cdf(mid) >= u) {
        b = mid;
      } else {
        a = mid;
      }
    }
    for (double v : points) {
      if (v >= a - tolerance && v <= b + tolerance && mixed_cdf(v) >= u) b = v;
    }
    d.table[k] = b;
  }
  d.lo = d.table.front();
  d.hi = d.table.back();
  return d;
}

double Distribution::quantile(double u) const { return sampling::quantile(*this, u); }
model::Pack Distribution::quantile(model::Pack u) const { return sampling::quantile(*this, u); }
double Distribution::at_normal(double z) const { return sampling::at_normal(*this, z); }
model::Pack Distribution::at_normal(model::Pack z) const { return sampling::at_normal(*this, z); }

}  // namespace clustercap::sweep
