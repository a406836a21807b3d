// Lanes: eight scenarios evaluated by one instruction stream.
//
// The model's equations are written once, as templates over a value type T
// that is either `double` (one scenario: `estimate`) or `Pack` (eight
// scenarios side by side: the sweep kernel). Every helper below has both
// forms with the same IEEE operations in the same order, so a lane of a Pack
// computes bit for bit what the double form computes for that scenario --
// except vlog/vexp on packs, which use Eigen's vectorised logarithm and
// exponential (within a few ulp of libm); callers that need bit equality
// with `estimate` do not use them.
//
// Pack is a GCC/Clang vector (64 bytes): one AVX-512 register, two AVX2
// registers or four SSE2 ones, as the build's -march allows. GCC aligns it
// to the widest register of the build's instruction set: 16 bytes in a
// baseline x86-64 build. The sweep kernel's AVX2 version (runtime dispatch,
// kernel.cpp) moves packs with 32-byte-aligned loads and stores, so structs
// that hold packs in memory it reads are aligned to kPackStorageAlign
// (an aligned attribute on the typedef itself would be dropped wherever Pack
// is a template argument, std::vector<Pack> included).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace clustercap::model {

inline constexpr int kLanes = 8;
typedef double Pack __attribute__((vector_size(64)));
typedef std::int64_t Mask __attribute__((vector_size(64)));  // lanes are 0 or -1
typedef std::uint64_t PackU64 __attribute__((vector_size(64)));

// Alignment for a struct of T fields kept in memory: 64 bytes for packs
// (whatever the instruction set), T's own for double.
template <class T>
inline constexpr std::size_t kPackStorageAlign = sizeof(T) == sizeof(Pack) ? 64 : alignof(T);

template <class T>
T splat(double x) {
  return T{} + x;
}

// Scenarios per value: 1 for double, kLanes for Pack.
template <class T>
inline constexpr int kWidth = static_cast<int>(sizeof(T) / sizeof(double));

// --- one scenario -----------------------------------------------------------
inline double where(bool m, double a, double b) { return m ? a : b; }
inline double vmin(double a, double b) { return b < a ? b : a; }  // std::min
inline double vmax(double a, double b) { return a < b ? b : a; }  // std::max
inline double vfloor(double x) { return std::floor(x); }
inline double vceil(double x) { return std::ceil(x); }
inline double vround(double x) { return std::round(x); }
inline double vsqrt(double x) { return std::sqrt(x); }
inline double vlog(double x) { return std::log(x); }
inline double vexp(double x) { return std::exp(x); }
inline bool any(bool m) { return m; }
inline bool all(bool m) { return m; }
inline double lane(double x, int) { return x; }
inline void set_lane(double& x, int, double v) { x = v; }

// --- eight scenarios ----------------------------------------------------------
inline Pack where(Mask m, Pack a, Pack b) { return m ? a : b; }
inline Pack vmin(Pack a, Pack b) { return b < a ? b : a; }
inline Pack vmax(Pack a, Pack b) { return a < b ? b : a; }
#if defined(__AVX512F__)
inline __mmask8 bits(Mask m) {
  const __m512i v = reinterpret_cast<__m512i>(m);
  return _mm512_test_epi64_mask(v, v);
}
inline bool any(Mask m) { return bits(m) != 0; }
inline bool all(Mask m) { return bits(m) == 0xFF; }
#else
inline bool any(Mask m) {
  std::int64_t acc = 0;
  for (int l = 0; l < kLanes; ++l) acc |= m[l];
  return acc != 0;
}
inline bool all(Mask m) {
  std::int64_t acc = -1;
  for (int l = 0; l < kLanes; ++l) acc &= m[l];
  return acc != 0;
}
#endif
inline double lane(Pack x, int l) { return x[l]; }
inline void set_lane(Pack& x, int l, double v) { x[l] = v; }

#if defined(__AVX512F__)
// Masked forms with an explicit source throughout: GCC 12 flags the unmasked
// intrinsics' internal undefined source as uninitialised.
inline Pack vfloor(Pack x) {
  const __m512d v = reinterpret_cast<__m512d>(x);
  return reinterpret_cast<Pack>(
      _mm512_mask_roundscale_pd(v, 0xFF, v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
}
inline Pack vceil(Pack x) {
  const __m512d v = reinterpret_cast<__m512d>(x);
  return reinterpret_cast<Pack>(
      _mm512_mask_roundscale_pd(v, 0xFF, v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC));
}
inline Pack vsqrt(Pack x) {
  const __m512d v = reinterpret_cast<__m512d>(x);
  return reinterpret_cast<Pack>(_mm512_mask_sqrt_pd(v, 0xFF, v));
}
#else
// floor and ceil without a libm call per lane (a baseline x86-64 has no
// rounding instruction before SSE4.1): adding and subtracting 2^52 rounds a
// magnitude below 2^52 to the nearest whole number (round-to-nearest, the
// only mode the program runs in); one step corrects it to floor or ceil, and
// the sign of x goes back on, so -0.0, floor(-0.5) = -1 and ceil(-0.5) = -0.0
// come out as std::floor and std::ceil give them. Magnitudes from 2^52 up are
// whole already; NaN and infinities pass through (the comparison is false).
inline constexpr double kTwo52 = 4503599627370496.0;
inline Pack copysign_lanes(Pack magnitude, Pack sign_of) {
  const PackU64 sign = reinterpret_cast<PackU64>(sign_of) & (PackU64{} + 0x8000000000000000ULL);
  return reinterpret_cast<Pack>((reinterpret_cast<PackU64>(magnitude) & ~sign) | sign);
}
inline Pack abs_lanes(Pack x) {
  return reinterpret_cast<Pack>(reinterpret_cast<PackU64>(x) & (PackU64{} + 0x7FFFFFFFFFFFFFFFULL));
}
inline Pack vfloor(Pack x) {
  const Pack a = abs_lanes(x);
  const Pack nearest = copysign_lanes((a + kTwo52) - kTwo52, x);
  const Pack down = nearest > x ? nearest - 1.0 : nearest;
  return a < kTwo52 ? copysign_lanes(abs_lanes(down), x) : x;
}
inline Pack vceil(Pack x) {
  const Pack a = abs_lanes(x);
  const Pack nearest = copysign_lanes((a + kTwo52) - kTwo52, x);
  const Pack up = nearest < x ? nearest + 1.0 : nearest;
  return a < kTwo52 ? copysign_lanes(abs_lanes(up), x) : x;
}
inline Pack vsqrt(Pack x) {
  for (int l = 0; l < kLanes; ++l) x[l] = std::sqrt(x[l]);
  return x;
}
#endif
// Halves away from zero, as std::round.
inline Pack vround(Pack x) {
  const Pack magnitude = x < 0.0 ? -x : x;
  const Pack t = vfloor(magnitude);
  const Pack a = where(magnitude - t >= 0.5, t + 1.0, t);
  return where(x < 0.0, -a, a);
}

using EigenPack = Eigen::Array<double, kLanes, 1>;
inline Pack vlog(Pack x) {
  Pack r;
  Eigen::Map<EigenPack>(reinterpret_cast<double*>(&r)) =
      Eigen::Map<const EigenPack>(reinterpret_cast<const double*>(&x)).log();
  return r;
}
inline Pack vexp(Pack x) {
  Pack r;
  Eigen::Map<EigenPack>(reinterpret_cast<double*>(&r)) =
      Eigen::Map<const EigenPack>(reinterpret_cast<const double*>(&x)).exp();
  return r;
}

// base[index] per lane (index: a whole number held in a double).
inline double gather(const double* base, double index) {
  return base[static_cast<std::size_t>(index)];
}
inline Pack gather(const double* base, Pack index) {
#if defined(__AVX512F__) && defined(__AVX512DQ__)
  return reinterpret_cast<Pack>(_mm512_mask_i64gather_pd(
      _mm512_setzero_pd(), 0xFF, _mm512_cvttpd_epi64(reinterpret_cast<__m512d>(index)), base,
      sizeof(double)));
#else
  Pack r;
  for (int l = 0; l < kLanes; ++l) r[l] = base[static_cast<std::size_t>(index[l])];
  return r;
#endif
}

// Lanes from/to memory (8 consecutive doubles, any alignment).
inline Pack load(const double* p) {
  Pack r;
  for (int l = 0; l < kLanes; ++l) r[l] = p[l];
  return r;
}
inline void store(Pack x, double* p) {
  for (int l = 0; l < kLanes; ++l) p[l] = x[l];
}

}  // namespace clustercap::model
