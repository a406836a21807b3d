#include "estimator/sweep/sketch.hpp"

#include <algorithm>

namespace clustercap::sweep {

namespace {
constexpr double kMinValue = 1e-9;
constexpr double kMaxValue = 1e40;
}  // namespace

QuantileSketch::QuantileSketch()
    : log_gamma_(std::log((1 + kRelativeError) / (1 - kRelativeError))) {
  const int lo = static_cast<int>(std::ceil(std::log(kMinValue) / log_gamma_));
  const int hi = static_cast<int>(std::ceil(std::log(kMaxValue) / log_gamma_));
  offset_ = -lo;
  buckets_.assign(static_cast<std::size_t>(hi - lo + 1), 0);
}

int QuantileSketch::index(double x) const {
  const double clamped = std::min(std::max(x, kMinValue), kMaxValue);
  const int i = static_cast<int>(std::ceil(std::log(clamped) / log_gamma_)) + offset_;
  return std::min(std::max(i, 0), static_cast<int>(buckets_.size()) - 1);
}

double QuantileSketch::value_of(int i) const {
  const double gamma = std::exp(log_gamma_);
  return 2.0 * std::exp(static_cast<double>(i - offset_) * log_gamma_) / (gamma + 1.0);
}

void QuantileSketch::add(double x) {
  ++count_;
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
  if (!(x > 0)) {
    ++zeros_;
    return;
  }
  ++buckets_[static_cast<std::size_t>(index(x))];
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
    if (seen > rank) return std::min(std::max(value_of(static_cast<int>(i)), min_), max_);
  }
  return max_;
}

}  // namespace clustercap::sweep
