#include "estimator/sweep/sketch.hpp"

#include <algorithm>

namespace clustercap::sweep {

namespace {
constexpr double kMinValue = 1e-9;
constexpr double kMaxValue = 1e40;

double from_key(std::uint64_t key) {
  const std::uint64_t bits = key << (52 - QuantileSketch::kSubBucketBits);
  double x = 0;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}
}  // namespace

QuantileSketch::QuantileSketch() {
  first_ = static_cast<std::int64_t>(key(kMinValue));
  const auto last = static_cast<std::int64_t>(key(kMaxValue));
  buckets_.assign(static_cast<std::size_t>(last - first_ + 1), 0);
}

double QuantileSketch::midpoint(std::size_t index) const {
  const auto k = static_cast<std::uint64_t>(first_) + index;
  return 0.5 * (from_key(k) + from_key(k + 1));
}

void QuantileSketch::merge(const QuantileSketch& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  zeros_ += other.zeros_;
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0) return 0.0;
  if (min_ == max_) return min_;
  if (q <= 0) return min_;
  if (q >= 1) return max_;
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
  if (rank < zeros_) return 0.0;
  std::uint64_t seen = zeros_;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen > rank) return std::min(std::max(midpoint(i), min_), max_);
  }
  return max_;
}

}  // namespace clustercap::sweep
