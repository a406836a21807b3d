// The sweep's per-sample draw path -- counter-based uniforms, inverse CDFs,
// clamping, the Gaussian copula -- defined inline here so that the sweep
// kernel compiles it into each of its runtime-dispatched versions
// (Kernel::draw, estimator/sweep/kernel.cpp) and a portable build draws with
// the instruction set the CPU has. The out-of-line forms (Distribution::
// quantile, UncertainInput::sample, draw_values, ...) call these, so there is
// one definition. T: double (one draw) or model::Pack (eight).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "estimator/model/lanes.hpp"
#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/distribution.hpp"
#include "estimator/scenario/random.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/scenario/uncertain.hpp"

namespace clustercap::sweep::sampling {

// Acklam's approximation for one draw or eight: the central rational
// function, or the tail one on min(u, 1 - u) mirrored (1 - u is exact for
// u >= 0.5, so no log1p is needed). Both branches are computed for a pack.
template <class T>
T normal_quantile(T u) {
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
T quantile(const Distribution& dist, T u) {
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
      const T x = a + b * normal_quantile(dist.cdf_lo + u * (dist.cdf_hi - dist.cdf_lo));
      return model::vmin(model::vmax(x, splat<T>(lo)), splat<T>(hi));
    }
    case DistKind::lognormal:
      return model::vexp(a + b * normal_quantile(u));
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
T at_normal(const Distribution& dist, T z) {
  if (dist.kind == DistKind::lognormal) return model::vexp(dist.a + dist.b * z);
  if (dist.kind == DistKind::normal && std::isinf(dist.lo) && std::isinf(dist.hi))
    return dist.a + dist.b * z;
  T u = z;
  for (int l = 0; l < model::kWidth<T>; ++l) {
    model::set_lane(u, l, std::min(std::max(normal_cdf(model::lane(z, l)), 1e-16), 1 - 1e-16));
  }
  return quantile(dist, u);
}

// An input's value at the distribution's draw x: clamped to the key's range
// and rounded for counts.
template <class T>
T finish(const UncertainInput& in, T x) {
  x = model::vmin(model::vmax(x, model::splat<T>(in.lo)), model::splat<T>(in.hi));
  // Chips come whole, as `estimate` reads a count's median.
  return in.whole ? model::vround(x) : x;
}

// draw_values (copula.hpp), writing input i's eight values to value(i) and
// using scratch(j) for the copula's j-th deviate (each a model::Pack&).
template <class Value, class Scratch>
void draw_values(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                 std::uint64_t first, Value&& value, Scratch&& scratch) {
  const auto& inputs = scenario.sweep.inputs;
  const model::PackU64 keys = sample_keys(seed, first);
  const std::size_t k = copula.inputs.size();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (std::find(copula.inputs.begin(), copula.inputs.end(), static_cast<int>(i)) ==
        copula.inputs.end()) {
      value(i) = finish(inputs[i], quantile(inputs[i].dist, uniform_at(keys, i)));
    }
  }
  if (k == 0) return;
  for (std::size_t j = 0; j < k; ++j) {
    scratch(j) = normal_quantile(uniform_at(keys, static_cast<std::uint64_t>(copula.inputs[j])));
  }
  // y = L z with L lower-triangular.
  for (std::size_t j = 0; j < k; ++j) {
    model::Pack y = model::splat<model::Pack>(0.0);
    for (std::size_t m = 0; m <= j; ++m) {
      y += copula.lower(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(m)) * scratch(m);
    }
    const auto i = static_cast<std::size_t>(copula.inputs[j]);
    value(i) = finish(inputs[i], at_normal(inputs[i].dist, y));
  }
}

}  // namespace clustercap::sweep::sampling
