// Counter-based random numbers: the uniform for (seed, sample, input) is a
// pure function of those three, so any thread evaluates any sample with
// the same draws and results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "estimator/model/lanes.hpp"

namespace clustercap::sweep {

// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix,
// for one 64-bit word or eight.
template <class U>
U mix64(U x) {
  x += std::uint64_t{0x9e3779b97f4a7c15};
  x = (x ^ (x >> 30)) * std::uint64_t{0xbf58476d1ce4e5b9};
  x = (x ^ (x >> 27)) * std::uint64_t{0x94d049bb133111eb};
  return x ^ (x >> 31);
}

// The part of a draw shared by every input of one sample.
inline std::uint64_t sample_key(std::uint64_t seed, std::uint64_t sample) {
  return mix64(seed ^ mix64(sample));
}

// Uniform in (0, 1) for one input of the sample with key `key`: 52 random
// bits on the grid (k + 0.5) / 2^52, so never 0 or 1.
inline double uniform_at(std::uint64_t key, std::uint64_t input) {
  const std::uint64_t h = mix64(key + std::uint64_t{0x632be59bd9b4e019} * (input + 1));
  return (static_cast<double>(h >> 12) + 0.5) * (1.0 / 4503599627370496.0);
}

// The same for eight consecutive samples first, first + 1, ..., first + 7.
inline model::PackU64 sample_keys(std::uint64_t seed, std::uint64_t first) {
  const model::PackU64 index = model::PackU64{0, 1, 2, 3, 4, 5, 6, 7} + first;
  return mix64(seed ^ mix64(index));
}
inline model::Pack uniform_at(model::PackU64 keys, std::uint64_t input) {
  const model::PackU64 h = mix64(keys + std::uint64_t{0x632be59bd9b4e019} * (input + 1));
  return (__builtin_convertvector(h >> 12, model::Pack) + 0.5) * (1.0 / 4503599627370496.0);
}

inline double uniform(std::uint64_t seed, std::uint64_t sample, std::uint64_t input) {
  return uniform_at(sample_key(seed, sample), input);
}

}  // namespace clustercap::sweep
