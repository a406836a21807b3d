#include "estimator/scenario/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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

namespace {

// Acklam's approximation for one draw or eight: the central rational
// function, or the tail one on min(u, 1 - u) mirrored (1 - u is exact for
// u >= 0.5, so no log1p is needed). Both branches are computed for a pack.
template <class T>
T normal_quantile_t(T u) {
  using model::splat;
  using model::vmax;
  using model::vmin;
  using model::where;
  u = vmin(vmax(u, splat<T>(1e-300)), splat<T>(1.0 - 1e-16));
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                          6.680131188771972e+01, -1.328068155288572e+01};
  constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                          -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                          3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  const T q = u - 0.5;
  const T r = q * q;
  const T central = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  const T upper = 1.0 - u;
  const T tail_u = vmin(u, upper);
  const auto in_tail = tail_u < kLow;
  if (!model::any(in_tail)) return central;
  const T t = model::vsqrt(-2.0 * model::vlog(tail_u));
  const T low_tail = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
                     ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
  return where(in_tail, where(u < 0.5, low_tail, -low_tail), central);
}

template <class T>
T quantile_t(const Distribution& dist, T u) {
  using model::splat;
  using model::where;
  const double lo = dist.lo, hi = dist.hi, a = dist.a, b = dist.b;
  switch (dist.kind) {
    case DistKind::uniform:
      return lo + u * (hi - lo);
    case DistKind::triangular: {
      const double split = (a - lo) / (hi - lo);
      return where(u < split, lo + model::vsqrt(u * (hi - lo) * (a - lo)),
                   hi - model::vsqrt((1.0 - u) * (hi - lo) * (hi - a)));
    }
    case DistKind::normal: {
      const T x = a + b * normal_quantile_t(dist.cdf_lo + u * (dist.cdf_hi - dist.cdf_lo));
      return model::vmin(model::vmax(x, splat<T>(lo)), splat<T>(hi));
    }
    case DistKind::lognormal:
      return model::vexp(a + b * normal_quantile_t(u));
    case DistKind::pert:
    case DistKind::mixture: {
      const double last = static_cast<double>(dist.table.size() - 1);
      const T pos = u * last;
      const T k = model::vmin(model::vfloor(pos), splat<T>(last - 1.0));
      const T f = pos - k;
      const T x0 = model::gather(dist.table.data(), k);
      return x0 + f * (model::gather(dist.table.data(), k + 1.0) - x0);
    }
    case DistKind::choice:
      break;  // a search, one lane at a time
  }
  T x = u;
  for (int l = 0; l < model::kWidth<T>; ++l) {
    const auto it =
        std::lower_bound(dist.cumulative.begin(), dist.cumulative.end(), model::lane(u, l));
    model::set_lane(x, l, dist.values[static_cast<std::size_t>(it - dist.cumulative.begin())]);
  }
  return x;
}

template <class T>
T at_normal_t(const Distribution& dist, T z) {
  if (dist.kind == DistKind::lognormal) return model::vexp(dist.a + dist.b * z);
  if (dist.kind == DistKind::normal && std::isinf(dist.lo) && std::isinf(dist.hi))
    return dist.a + dist.b * z;
  T u = z;
  for (int l = 0; l < model::kWidth<T>; ++l) {
    model::set_lane(u, l, std::min(std::max(normal_cdf(model::lane(z, l)), 1e-16), 1 - 1e-16));
  }
  return quantile_t(dist, u);
}

}  // namespace

double normal_quantile(double u) { return normal_quantile_t(u); }
model::Pack normal_quantile(model::Pack u) { return normal_quantile_t(u); }

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

double Distribution::quantile(double u) const { return quantile_t(*this, u); }
model::Pack Distribution::quantile(model::Pack u) const { return quantile_t(*this, u); }
double Distribution::at_normal(double z) const { return at_normal_t(*this, z); }
model::Pack Distribution::at_normal(model::Pack z) const { return at_normal_t(*this, z); }

}  // namespace clustercap::sweep
