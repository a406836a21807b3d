// Probability distributions for uncertain scenario inputs, sampled by inverse
// CDF so that a uniform (or a Gaussian-copula) draw maps to a value. Every
// distribution is immutable after construction; quantile() is pure and
// thread-safe.
//
//   uniform     min, max
//   triangular  min, mode, max
//   pert        min, mode, max, lambda (4): Beta on [min, max] with mean
//               (min + lambda mode + max) / (lambda + 2) (docs/methodology.md R34); its inverse
//               CDF is tabulated once at 4,097 points (|error| < 1e-4 of the range)
//   normal      mean, sd, optional min/max truncation
//   lognormal   p5 & p95, or p10 & p90, or median & sigma (of ln x)
//   choice      values, weights
//   mixture     components and weights (one distribution per source of a
//               sourced value): its inverse CDF is tabulated once at 4,097
//               points by bisection on the weighted sum of the components'
//               CDFs, from the 0.01st to the 99.99th percentile
#pragma once

#include <string>
#include <vector>

#include "estimator/model/lanes.hpp"

namespace clustercap::sweep {

enum class DistKind { uniform, triangular, pert, normal, lognormal, choice, mixture };
const char* to_string(DistKind kind);

struct Distribution {
  DistKind kind = DistKind::uniform;
  double a = 0, b = 0, c = 0;              // kind-specific parameters (see quantile())
  double lo = 0, hi = 0;                   // support bounds (normal: truncation, may be +-inf)
  std::vector<double> values, cumulative;  // choice
  std::vector<double> table;               // pert, mixture: inverse CDF at u = k / (n - 1)
  double cdf_lo = 0, cdf_hi = 1;           // normal: Phi at the truncation bounds

  // Inverse CDF at u in (0, 1), for one draw or eight.
  double quantile(double u) const;
  model::Pack quantile(model::Pack u) const;
  // The value at a standard normal deviate z, i.e. quantile(Phi(z)): direct
  // for normal and lognormal (no round trip through Phi), used by the copula.
  double at_normal(double z) const;
  model::Pack at_normal(model::Pack z) const;
  double median() const { return quantile(0.5); }
  // P(X <= x): the exact CDF (pert and mixture: of their tables).
  double cdf(double x) const;
};

Distribution make_uniform(double min, double max);
Distribution make_triangular(double min, double mode, double max);
Distribution make_pert(double min, double mode, double max, double lambda);
Distribution make_normal(double mean, double sd, double min, double max);
// mu and sigma of ln x
Distribution make_lognormal(double mu, double sigma);
// Weights: finite, >= 0, at least one > 0 (the loader checks); any scale.
Distribution make_choice(std::vector<double> values, const std::vector<double>& weights);
// A single value (a source's point estimate): a choice of one.
Distribution make_point(double value);
// The weighted mixture of `parts` (same rules for weights as a choice).
Distribution make_mixture(const std::vector<Distribution>& parts,
                          const std::vector<double>& weights);

// Standard normal CDF and its inverse (Acklam's rational approximation,
// relative error below 1.15e-9: far below any input's uncertainty).
double normal_cdf(double x);
double normal_quantile(double u);
model::Pack normal_quantile(model::Pack u);

}  // namespace clustercap::sweep
