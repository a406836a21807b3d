#include "estimator/sweep/sketch.hpp"

#include <algorithm>
#include <stdexcept>

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

namespace {
std::uint64_t word_of(double x) {
  std::uint64_t w = 0;
  std::memcpy(&w, &x, sizeof w);
  return w;
}
double double_of(std::uint64_t w) {
  double x = 0;
  std::memcpy(&x, &w, sizeof x);
  return x;
}
}  // namespace

void QuantileSketch::append_words(std::vector<std::uint64_t>& out) const {
  out.push_back(static_cast<std::uint64_t>(first_));
  out.push_back(zeros_);
  out.push_back(count_);
  out.push_back(word_of(min_));
  out.push_back(word_of(max_));
  out.push_back(buckets_.size());
  out.insert(out.end(), buckets_.begin(), buckets_.end());
}

QuantileSketch QuantileSketch::from_words(const std::vector<std::uint64_t>& words,
                                          std::size_t& at) {
  constexpr std::size_t kHeader = 6;
  if (words.size() < at + kHeader || (words[at + 5] % kWays) != 0 ||
      words[at + 5] > words.size() - at - kHeader) {
    throw std::runtime_error("quantile sketch: truncated or malformed record");
  }
  QuantileSketch s;
  s.first_ = static_cast<std::int64_t>(words[at]);
  s.zeros_ = words[at + 1];
  s.count_ = words[at + 2];
  s.min_ = double_of(words[at + 3]);
  s.max_ = double_of(words[at + 4]);
  const auto n = static_cast<std::size_t>(words[at + 5]);
  const auto begin = words.begin() + static_cast<std::ptrdiff_t>(at + kHeader);
  s.buckets_.assign(begin, begin + static_cast<std::ptrdiff_t>(n));
  at += kHeader + n;
  return s;
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
