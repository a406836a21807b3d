// Streaming quantiles with a relative-error guarantee (DDSketch, Masson,
// Rim & Lee 2019): values fall in log-spaced buckets of ratio
// gamma = (1 + a) / (1 - a); a quantile estimate is within relative error
// `a` of some value whose rank is exact. Counts are integers, so sketches
// merge in any order to the same result. Memory is fixed by the value range
// (1e-9 .. 1e40 here), independent of the number of samples. Non-negative
// values only; zeros are counted apart.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace clustercap::sweep {

class QuantileSketch {
 public:
  static constexpr double kRelativeError = 0.005;

  QuantileSketch();
  void add(double x);
  void merge(const QuantileSketch& other);
  std::uint64_t count() const { return count_; }
  // q in [0, 1]; exact min/max at the ends, and exact when all values agree.
  double quantile(double q) const;
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  int index(double x) const;
  double value_of(int index) const;

  double log_gamma_;
  int offset_;
  std::vector<std::uint64_t> buckets_;
  std::uint64_t zeros_ = 0;
  std::uint64_t count_ = 0;
  double min_ = INFINITY;
  double max_ = -INFINITY;
};

}  // namespace clustercap::sweep
