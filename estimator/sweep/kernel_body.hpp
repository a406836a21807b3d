// The kernel's per-sample code, private to the kernel: included by
// kernel.cpp (the baseline version, and the only one in a native build) and
// by kernel_avx2.cpp and kernel_avx512.cpp, which a portable build compiles
// for those instruction sets (estimator/CMakeLists.txt). Each of those files
// defines its entry points flattened (every call to a function defined here
// or in a header inlined), so that the helpers -- lanes.hpp's primitives,
// Eigen's vectorised logarithm and exponential, the MFU look-ups, the draws
// -- run in the form their own file's instruction set selects: an inline or
// template function left out of line would be emitted once per file and the
// linker would keep one copy (maybe another file's) for every caller.
// Functions defined here are inline members, templates or in an unnamed
// namespace; ctest `baseline_code_has_no_avx` checks the binary (no AVX code
// outside the dispatched versions, and no out-of-line call from them to one
// of these helpers).
#pragma once

#include <algorithm>
#include <type_traits>
#include <utility>

#include "estimator/scenario/sampling.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/sketch.hpp"
#include "estimator/training/mfu_lookup.hpp"

// A portable build with GCC on x86-64 (estimator/CMakeLists.txt defines
// CLUSTERCAP_KERNEL_ISA_FILES) has the three versions; an unoptimised one
// (the sanitizer build) and a native one have kernel.cpp's alone.
#if defined(CLUSTERCAP_KERNEL_ISA_FILES) && defined(__OPTIMIZE__)
#define CLUSTERCAP_KERNEL_VARIANTS 1
#else
#define CLUSTERCAP_KERNEL_VARIANTS 0
#endif

// The entry points of one version, each its *_body flattened into it.
#define CLUSTERCAP_KERNEL_ENTRIES(ISA)                                                             \
  __attribute__((flatten)) void Kernel::evaluate_##ISA(const std::vector<Pack>& values,            \
                                                       double* metrics, double* bindings,          \
                                                       std::size_t stride, std::size_t offset) {   \
    evaluate_body(values, metrics, bindings, stride, offset);                                      \
  }                                                                                                \
  __attribute__((flatten)) void Kernel::draw_##ISA(const Scenario& scenario, const Copula& copula, \
                                                   std::uint64_t seed, std::uint64_t first) {      \
    draw_body(scenario, copula, seed, first);                                                      \
  }                                                                                                \
  __attribute__((flatten)) void Kernel::summarise_##ISA(const BlockStatistics& block) {            \
    summarise_body(block);                                                                         \
  }

namespace clustercap::sweep {

using model::Pack;
using model::RowT;
using model::splat;
using model::where;

namespace {

// Writes metrics table entry K with put(m, value) if the sweep summarises
// it, m counting the swept entries. One instantiation per entry, so its
// expression is called directly (and inlined), not through the pointer.
template <std::size_t K, class Put>
void put_metric(const MetricInputs<Pack>& in, std::size_t& m, Put& put) {
  constexpr Metric metric = kMetrics[K];
  if constexpr (metric.swept) put(m++, metric.lanes(in));
}

template <class Put, std::size_t... K>
void put_metrics(const MetricInputs<Pack>& in, Put& put, std::index_sequence<K...>) {
  std::size_t m = 0;
  (put_metric<K>(in, m, put), ...);
}

// The moments of x[0, count): two passes, eight running sums each, summed
// in a fixed order, so the result depends neither on the thread count nor on
// the instruction set.
Moments moments_of(const double* x, std::uint64_t count) {
  Moments m;
  if (count == 0) return m;
  m.n = static_cast<double>(count);
  const std::uint64_t whole = count / model::kLanes * model::kLanes;
  Pack sums{};
  for (std::uint64_t i = 0; i < whole; i += model::kLanes) sums += model::load(x + i);
  double sum = 0;
  for (int l = 0; l < model::kLanes; ++l) sum += sums[l];
  for (std::uint64_t i = whole; i < count; ++i) sum += x[i];
  m.mean = sum / m.n;
  Pack squares{};
  for (std::uint64_t i = 0; i < whole; i += model::kLanes) {
    const Pack d = model::load(x + i) - m.mean;
    squares += d * d;
  }
  for (int l = 0; l < model::kLanes; ++l) m.m2 += squares[l];
  for (std::uint64_t i = whole; i < count; ++i) m.m2 += (x[i] - m.mean) * (x[i] - m.mean);
  return m;
}

// How many of x[0..n) satisfy `test`, eight at a time: test takes a Pack
// (giving a Mask) or a double (giving a bool).
template <class Test>
std::uint64_t count_where(const double* x, std::uint64_t n, Test test) {
  const std::uint64_t whole = n / model::kLanes * model::kLanes;
  Pack hits{};
  for (std::uint64_t i = 0; i < whole; i += model::kLanes) {
    hits += where(test(model::load(x + i)), splat<Pack>(1.0), splat<Pack>(0.0));
  }
  double total = 0;
  for (int l = 0; l < model::kLanes; ++l) total += hits[l];
  for (std::uint64_t i = whole; i < n; ++i) total += test(x[i]) ? 1.0 : 0.0;
  return static_cast<std::uint64_t>(total);
}

}  // namespace

// Candidate c's cluster size and FLOP/s. Its limits come from the model's
// sizing path; those no sample changes are passed in as known. Where a
// sample sets the site's power, the power search runs in every lane
// (checking first whether power binds costs a fabric sizing and saves
// little: it binds in most packs) and the limits found are kept for the
// winners. With `prune`, a candidate whose FLOP/s stay below `beat` in every
// lane even at its best MFU is not evaluated further.
template <class T>
inline Kernel::Size<T> Kernel::size_of(std::vector<RowT<T>>& rows, std::size_t c, T beat,
                                       bool prune) {
  RowT<T>& r = rows[c];
  const training::MfuTable* table = engine_.mfu_table(c);
  // (1 + 1e-12): interpolation may round a hair above the largest node.
  const auto cannot_win = [&](T chips, T mfu, T goodput) {
    return prune &&
           model::all(model::sustained_flops_t(chips, r.peak_flops_per_chip, mfu, goodput) *
                          (1 + 1e-12) <
                      beat);
  };
  const T best_mfu = table != nullptr ? splat<T>(engine_.mfu_max(c)) : r.mfu;
  const model::KnownLimitsT<T>* known = nullptr;
  if constexpr (std::is_same_v<T, Pack>) known = &fixed_limits_[c];
  // Without a failure model goodput does not fall as the cluster grows, so
  // the size before the costly limits bounds the FLOP/s.
  const model::SizedT<T> sized = model::sizing_t(r, known, [&](const T& bound) {
    return failures_[c] == 0 && cannot_win(bound * r.chips_per_system, best_mfu, r.goodput);
  });
  if (sized.stopped) return {splat<T>(0.0), splat<T>(-1.0)};
  if constexpr (std::is_same_v<T, Pack>) {
    for (std::size_t k = 0; k < model::kLimitCount; ++k) limits_[c].systems[k] = sized.limits[k];
  }
  const T chips = sized.systems * r.chips_per_system;
  const T goodput = model::goodput_at_t(r, chips);
  if (table != nullptr) {
    const T c1 = model::compute_per_unit_mfu_t(chips, r.peak_flops_per_chip, goodput, r.duration_s);
    if (cannot_win(chips, best_mfu, goodput)) return {chips, splat<T>(-1.0)};
    const training::MfuTable::Cell<T> cell = table->cell(chips, c1);
    if (cannot_win(chips, table->bound(cell), goodput)) return {chips, splat<T>(-1.0)};
    r.mfu = table->at(cell);
  }
  return {chips, model::sustained_flops_t(chips, r.peak_flops_per_chip, r.mfu, goodput)};
}

inline void Kernel::evaluate_body(const std::vector<Pack>& values, double* metrics,
                                  double* bindings, std::size_t stride, std::size_t offset) {
  engine_.apply(rows_, values, counts_);
  const std::size_t A = engine_.actors();
  const std::size_t R = engine_.references().size();
  const std::size_t M = kBaseMetrics + R;
  auto put = [&](std::size_t a, std::size_t m, Pack v) {
    model::store(v, metrics + (a * M + m) * stride + offset);
  };
  for (std::size_t a = 0; a < A; ++a) {
    if (order_[a].empty()) {
      for (std::size_t m = 0; m < M; ++m) put(a, m, splat<Pack>(0.0));
      model::store(splat<Pack>(0.0), bindings + a * stride + offset);
      winners_[a].index = splat<Pack>(-1.0);
      continue;
    }
    Pack best_flops{}, best_chips{}, best_index{};
    bool first = true;
    for (int c : order_[a]) {
      const auto k = static_cast<std::size_t>(c);
      const Size<Pack> s = engine_.size_sampled(k) ? size_of<Pack>(rows_, k, best_flops, !first)
                                                   : Size<Pack>{splat<Pack>(fixed_[k].chips),
                                                                splat<Pack>(fixed_[k].flops)};
      const Pack index = splat<Pack>(c);
      if (first) {
        best_flops = s.flops;
        best_chips = s.chips;
        best_index = index;
        first = false;
        continue;
      }
      // Candidates run out of index order here, so a full tie goes to the
      // lower index explicitly.
      const auto better = model::preferred_t(s.flops, s.chips, best_flops, best_chips) ||
                          (s.flops == best_flops && s.chips == best_chips && index < best_index);
      best_flops = where(better, s.flops, best_flops);
      best_chips = where(better, s.chips, best_chips);
      best_index = where(better, index, best_index);
    }
    // Each lane's winner through the whole model.
    model::KnownLimitsT<Pack> limits;
    const RowT<Pack>& w = gather_winners(a, best_index, blend_, limits);
    const model::AssembledT<Pack> cluster = model::assemble_t(w, &limits);
    const model::OutcomeT<Pack> outcome = model::outcome_t(w, cluster.chips);
    auto put_actor = [&](std::size_t m, Pack v) { put(a, m, v); };
    put_metrics({w, cluster, outcome}, put_actor, std::make_index_sequence<kMetricCount>{});
    for (std::size_t k = 0; k < R; ++k) {
      const Pack ref = engine_.ref_per_goodput()[k] * w.goodput;
      put(a, kBaseMetrics + k, where(ref > 0.0, outcome.sustained_flops / ref, splat<Pack>(0.0)));
    }
    model::store(cluster.binding, bindings + a * stride + offset);
    winners_[a] = Winner{best_index, w.mfu};
  }
}

inline const RowT<Pack>& Kernel::gather_winners(std::size_t actor, Pack winner, RowT<Pack>& blend,
                                                model::KnownLimitsT<Pack>& limits) {
  for (std::size_t k = 0; k < model::kLimitCount; ++k) {
    limits.systems[k] = Pack{};
    limits.have[k] = true;
  }
  const RowT<Pack>* only = nullptr;
  bool first = true;
  for (int c : order_[actor]) {
    const auto k = static_cast<std::size_t>(c);
    const model::Mask lanes = winner == static_cast<double>(c);
    if (!model::any(lanes)) continue;
    const RowT<Pack>& r = rows_[k];
    if (first) {
      // Most packs have one winner in every lane: its row serves as is.
      if (model::all(lanes))
        only = &r;
      else
        blend = r;
      first = false;
    } else {
      model::for_each_field(blend, r,
                            [&](Pack& to, const Pack& from) { to = where(lanes, from, to); });
    }
    // A candidate wins only past its costly limits (the first is never
    // pruned; the others are pruned before them or not at all), so sizing
    // has every winner's limits; candidates no sample resizes keep theirs
    // at the medians.
    const model::KnownLimitsT<Pack>& found =
        engine_.size_sampled(k) ? limits_[k] : median_limits_[k];
    for (std::size_t l = 0; l < model::kLimitCount; ++l) {
      limits.systems[l] = where(lanes, found.systems[l], limits.systems[l]);
    }
  }
  return only != nullptr ? *only : blend;
}

inline void Kernel::draw_body(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                              std::uint64_t first) {
  sampling::draw_values(
      scenario, copula, seed, first, [&](std::size_t i) -> Pack& { return draws_[i].value; },
      [&](std::size_t j) -> Pack& { return draw_scratch_[j].value; });
}

inline void Kernel::summarise_body(const BlockStatistics& block) {
  const std::size_t A = engine_.actors();
  const std::size_t R = engine_.references().size();
  const std::size_t M = kBaseMetrics + R;
  const std::size_t L = model::kLimitCount;
  for (std::size_t a = 0; a < A; ++a) {
    for (std::size_t k = 0; k < L; ++k) {
      const auto constraint = static_cast<double>(k);
      block.binding_counts[a * L + k] +=
          count_where(block.bindings + a * block.stride, block.n,
                      [constraint](auto v) { return v == constraint; });
    }
    for (std::size_t r = 0; r < R; ++r) {
      block.exceed_counts[a * R + r] +=
          count_where(block.metrics + (a * M + kBaseMetrics + r) * block.stride, block.n,
                      [](auto ratio) { return ratio >= 1.0; });
    }
  }
  for (std::size_t k = 0; k < A * M; ++k) {
    if (block.derived[k] != 0) continue;
    const double* x = block.metrics + k * block.stride;
    block.sketches[k].add(x, block.n);
    block.moments[k] = moments_of(x, block.n);
  }
}

}  // namespace clustercap::sweep
