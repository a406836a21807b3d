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

void QuantileSketch::cover(std::int64_t lo, std::int64_t hi) {
  if (buckets_.empty()) {
    first_ = lo;
    buckets_.assign(static_cast<std::size_t>(hi - lo + 1) * kWays, 0);
    return;
  }
  const std::int64_t last = first_ + static_cast<std::int64_t>(span()) - 1;
  if (lo >= first_ && hi <= last) return;
  const std::int64_t new_first = std::min(lo, first_);
  const std::int64_t new_last = std::max(hi, last);
  std::vector<std::uint64_t> grown(static_cast<std::size_t>(new_last - new_first + 1) * kWays, 0);
  std::copy(buckets_.begin(), buckets_.end(),
            grown.begin() +
                static_cast<std::ptrdiff_t>(static_cast<std::size_t>(first_ - new_first) * kWays));
  buckets_.swap(grown);
  first_ = new_first;
}

void QuantileSketch::add_outside(double x) {
  // Values beyond the supported range share its end buckets.
  static const auto lowest = static_cast<std::int64_t>(key(kMinValue));
  static const auto highest = static_cast<std::int64_t>(key(kMaxValue));
  const std::int64_t k = std::min(std::max(static_cast<std::int64_t>(key(x)), lowest), highest);
  // Grow by at least an octave's buckets at a time, so a drifting range
  // reallocates rarely.
  constexpr std::int64_t kSlack = std::int64_t{1} << kSubBucketBits;
  if (buckets_.empty()) {
    cover(k, k);
  } else if (k < first_) {
    cover(std::max(lowest, std::min(k, first_ - kSlack)), first_);
  } else {
    const std::int64_t last = first_ + static_cast<std::int64_t>(span()) - 1;
    cover(first_, std::min(highest, std::max(k, last + kSlack)));
  }
  ++buckets_[static_cast<std::size_t>(k - first_) * kWays];
}

double QuantileSketch::midpoint(std::size_t index) const {
  const auto k = static_cast<std::uint64_t>(first_) + index;
  return 0.5 * (from_key(k) + from_key(k + 1));
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (!other.buckets_.empty()) {
    cover(other.first_, other.first_ + static_cast<std::int64_t>(other.span()) - 1);
    const auto offset = static_cast<std::size_t>(other.first_ - first_) * kWays;
    for (std::size_t i = 0; i < other.buckets_.size(); ++i)
      buckets_[offset + i] += other.buckets_[i];
  }
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
  for (std::size_t i = 0; i < span(); ++i) {
    seen += bucket(i);
    if (seen > rank) return std::min(std::max(midpoint(i), min_), max_);
  }
  return max_;
}

}  // namespace clustercap::sweep
