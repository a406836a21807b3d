// Counter-based random numbers: the uniform for (seed, sample, input) is a
// pure function of those three, so any thread evaluates any sample with
// the same draws and results do not depend on the thread count.
#pragma once

#include <cstdint>

namespace clustercap::sweep {

// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in (0, 1), never 0 or 1.
inline double uniform(std::uint64_t seed, std::uint64_t sample, std::uint64_t input) {
  const std::uint64_t h = mix64(mix64(seed ^ mix64(sample)) + 0x632be59bd9b4e019ULL * (input + 1));
  return (static_cast<double>(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace clustercap::sweep
