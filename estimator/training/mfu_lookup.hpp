// The MFU table's look-ups (MfuTable::cell, bound and at: declared in
// mfu_fixed_point.hpp), defined here so that a caller can compile them into
// its own code: the sweep kernel inlines them into each of its
// runtime-dispatched versions (estimator/sweep/kernel.cpp), so the per-sample
// look-up runs with the instruction set the CPU has. mfu_fixed_point.cpp
// instantiates them for double and model::Pack for every other caller.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "estimator/model/lanes.hpp"
#include "estimator/training/mfu_fixed_point.hpp"

namespace clustercap::training {

namespace lookup {

// Interior nodes <= x: the cell of x, clamped to the first and last. A
// count rather than a search, so eight look-ups run as one.
template <class T>
T cell_of(const std::vector<double>& nodes, T x) {
  T cell = model::splat<T>(0.0);
  for (std::size_t k = 1; k + 1 < nodes.size(); ++k) {
    cell += model::where(nodes[k] <= x, model::splat<T>(1.0), model::splat<T>(0.0));
  }
  return cell;
}

// Weight of x in [lo, hi] on a log scale: 0 at or below the first node,
// 1 at or beyond the last, and clamped, since x's cell was found on the
// values and its log may round past a node.
template <class T>
T log_weight(const std::vector<double>& log_nodes, T cell, T log_x) {
  using model::splat;
  using model::where;
  if (log_nodes.size() == 1) return splat<T>(0.0);
  const T lo = model::gather(log_nodes.data(), cell);
  const T hi = model::gather(log_nodes.data(), cell + 1.0);
  const T inside = model::vmin(model::vmax((log_x - lo) / (hi - lo), splat<T>(0.0)), splat<T>(1.0));
  const auto below = !(log_x > log_nodes.front());
  const auto above = log_x >= log_nodes.back();
  return where(below, splat<T>(0.0), where(above, splat<T>(1.0), inside));
}

// Exactly the node value when a weight is 0 or 1 (no 0 x inf or rounding drift).
template <class T>
T lerp(T a, T b, T w) {
  return model::where(w == 0.0, a, model::where(w == 1.0, b, a + w * (b - a)));
}

inline double clamped_log(double x) { return std::log(std::max(x, 1e-300)); }
inline model::Pack clamped_log(model::Pack x) {
  return model::vlog(model::vmax(x, model::splat<model::Pack>(1e-300)));
}

}  // namespace lookup

template <class T>
MfuTable::Cell<T> MfuTable::cell(T chips, T c1_flop) const {
  return {chips, c1_flop, lookup::cell_of(chips_, chips), lookup::cell_of(c1_, c1_flop)};
}

template <class T>
T MfuTable::bound(const Cell<T>& c) const {
  if (mfu_.empty()) return model::splat<T>(0.0);
  const double cols = static_cast<double>(std::max<std::size_t>(1, c1_.size() - 1));
  return model::gather(cell_max_.data(), c.row * cols + c.column);
}

template <class T>
T MfuTable::bound(T chips, T c1_flop) const {
  return bound(cell(chips, c1_flop));
}

template <class T>
T MfuTable::at(const Cell<T>& c) const {
  if (mfu_.empty()) return model::splat<T>(0.0);
  const T wx = lookup::log_weight(log_chips_, c.row, lookup::clamped_log(c.chips));
  const T wy = lookup::log_weight(log_c1_, c.column, lookup::clamped_log(c.c1));
  const double n = static_cast<double>(c1_.size());
  const T i1 = model::vmin(c.row + 1.0, model::splat<T>(static_cast<double>(chips_.size() - 1)));
  const T j1 = model::vmin(c.column + 1.0, model::splat<T>(n - 1.0));
  const double* m = mfu_.data();
  const T low =
      lookup::lerp(model::gather(m, c.row * n + c.column), model::gather(m, c.row * n + j1), wy);
  const T high =
      lookup::lerp(model::gather(m, i1 * n + c.column), model::gather(m, i1 * n + j1), wy);
  return lookup::lerp(low, high, wx);
}

}  // namespace clustercap::training
