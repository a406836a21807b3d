// Streaming quantiles with a relative-error guarantee: values fall in
// log-linear buckets (each power of two split into 2^7 equal parts, as in
// HdrHistogram), found from the bits of the double with no logarithm. A
// bucket spans at most 1/128 of its lower edge, so its midpoint is within
// 2^-8 = 0.39% of every value in it: a quantile estimate is within that
// relative error of a value whose rank is exact. Counts are integers, so
// sketches merge in any order to the same result. Buckets are stored only
// between the smallest and largest value seen (a few KB for one metric's
// spread; at most the clamped range 1e-9 .. 1e40, ~167 KB), independent of
// the number of samples. Non-negative values only; zeros are counted apart.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "estimator/model/lanes.hpp"

namespace clustercap::sweep {

class QuantileSketch {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr double kRelativeError = 1.0 / 256.0;  // 2^-(kSubBucketBits + 1)

  QuantileSketch() = default;
  void add(double x) {
    ++count_;
    if (x < min_) min_ = x;
    if (x > max_) max_ = x;
    count_bucket(x, 0);
  }
  // n values at once: the extremes first, then one bucket count each, the
  // i-th value into counter i % kWays of its bucket, so that runs of equal
  // values do not wait on one counter's previous increment.
  void add(const double* x, std::size_t n) {
    count_ += n;
    double lo = min_, hi = max_;
    std::size_t i = 0;
    if (n >= static_cast<std::size_t>(model::kLanes)) {
      model::Pack lows = model::load(x), highs = lows;
      for (; i + model::kLanes <= n; i += model::kLanes) {
        const model::Pack v = model::load(x + i);
        lows = v < lows ? v : lows;
        highs = v > highs ? v : highs;
      }
      for (int l = 0; l < model::kLanes; ++l) {
        lo = lows[l] < lo ? lows[l] : lo;
        hi = highs[l] > hi ? highs[l] : hi;
      }
    }
    for (; i < n; ++i) {
      lo = x[i] < lo ? x[i] : lo;
      hi = x[i] > hi ? x[i] : hi;
    }
    min_ = lo;
    max_ = hi;
    for (i = 0; i < n; ++i) count_bucket(x[i], i % kWays);
  }
  void merge(const QuantileSketch& other);
  // The whole sketch as words, appended to `out` (to move it between
  // processes), and back: from_words reads one at words[at] and advances
  // `at`; a short or inconsistent record throws std::runtime_error.
  void append_words(std::vector<std::uint64_t>& out) const;
  static QuantileSketch from_words(const std::vector<std::uint64_t>& words, std::size_t& at);
  std::uint64_t count() const { return count_; }
  // q in [0, 1]; exact min/max at the ends, and exact when all values agree.
  double quantile(double q) const;
  double min() const { return min_; }
  double max() const { return max_; }

 private:
  // Exponent and leading mantissa bits of a positive double: monotone in x.
  static std::uint64_t key(double x) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &x, sizeof bits);
    return bits >> (52 - kSubBucketBits);
  }
  double midpoint(std::size_t index) const;
  static constexpr std::size_t kWays = 4;  // counters per bucket, summed when read
  std::size_t span() const { return buckets_.size() / kWays; }
  void count_bucket(double x, std::size_t way) {
    if (!(x > 0)) {
      ++zeros_;
      return;
    }
    const std::int64_t k = static_cast<std::int64_t>(key(x)) - first_;
    if (k >= 0 && k < static_cast<std::int64_t>(span())) {
      ++buckets_[static_cast<std::size_t>(k) * kWays + way];
    } else {
      add_outside(x);
    }
  }
  std::uint64_t bucket(std::size_t index) const {
    std::uint64_t total = 0;
    for (std::size_t w = 0; w < kWays; ++w) total += buckets_[index * kWays + w];
    return total;
  }
  void add_outside(double x);                    // grows the stored range
  void cover(std::int64_t lo, std::int64_t hi);  // stored keys span [lo, hi]

  std::int64_t first_ = 0;
  std::vector<std::uint64_t> buckets_;
  std::uint64_t zeros_ = 0;
  std::uint64_t count_ = 0;
  double min_ = INFINITY;
  double max_ = -INFINITY;
};

}  // namespace clustercap::sweep
