#include "estimator/sweep/kernel.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "estimator/scenario/sampling.hpp"
#include "estimator/training/mfu_lookup.hpp"

// Runtime dispatch in a portable build (CLUSTERCAP_NATIVE off, baseline
// x86-64): the per-sample path -- the draws (draw(): sampling.hpp's
// draw_values) and evaluate(), with the MFU table's look-ups
// (training/mfu_lookup.hpp) -- is compiled three times, into *_avx512()
// (target x86-64-v4), *_avx2() and *_baseline(), each with everything it
// calls that this file can see inlined (`flatten`); the Kernel picks one when
// it is built (__builtin_cpu_supports). What is not inlined (Engine::apply,
// libm) is called in its one baseline copy, so no AVX code is reachable
// except through those versions (ctest `baseline_code_has_no_avx` checks the
// binary, and that no version calls out with a pack by value: AVX-512 code
// passes a 64-byte vector in a register, baseline code in memory). The AVX
// code moves packs with aligned instructions: every pack it reads or writes
// in memory is on its own stack or in a struct aligned to 64 bytes
// (model::kPackStorageAlign: rows, known limits, winners, draws; the
// sampled values go to Engine::apply only, by reference). With
// -ffp-contract=off (CMakeLists.txt) every lane rounds the same in all three
// (tested). A native build has one version.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__AVX2__) && \
    defined(__OPTIMIZE__)
#define CLUSTERCAP_KERNEL_VARIANTS 1
#else
#define CLUSTERCAP_KERNEL_VARIANTS 0
#endif

namespace clustercap::sweep {

namespace {

// The best version this CPU runs (CPUID, and the OS saving the registers).
KernelVersion best_version() {
#if CLUSTERCAP_KERNEL_VARIANTS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2")) {
    return KernelVersion::avx512;
  }
  if (__builtin_cpu_supports("avx2")) return KernelVersion::avx2;
#endif
  return KernelVersion::baseline;
}

KernelVersion pick(KernelChoice choice) {
  const KernelVersion best = best_version();
  switch (choice) {
    case KernelChoice::best:
      return best;
    case KernelChoice::avx2:
      return best == KernelVersion::baseline ? best : KernelVersion::avx2;
    case KernelChoice::baseline:
      break;
  }
  return KernelVersion::baseline;
}

}  // namespace

const char* kernel_variant(KernelChoice choice) {
#if CLUSTERCAP_KERNEL_VARIANTS
  switch (pick(choice)) {
    case KernelVersion::avx512:
      return "avx512";
    case KernelVersion::avx2:
      return "avx2";
    case KernelVersion::baseline:
      break;
  }
  return "baseline";
#else
  (void)choice;
#if defined(__AVX512F__)
  return "native avx512";
#elif defined(__AVX2__)
  return "native avx2";
#else
  return "baseline";
#endif
#endif
}

using model::Pack;
using model::RowT;
using model::splat;
using model::vmin;
using model::where;

namespace {

RowT<Pack> broadcast(const RowT<double>& r) {
  RowT<Pack> p;
  model::for_each_field(p, r, [](Pack& to, double from) { to = splat<Pack>(from); });
  return p;
}

// True when a sampled input can change limit k of candidate c. The power
// and network limits are the ones the engine can prove fixed (no sampled
// input sets a fabric's radix, tiers or planes); any other limit, including
// one added to the table, is recomputed for every sample.
bool limit_sampled(const Engine& engine, std::size_t c, model::Constraint k) {
  if (!engine.size_sampled(c)) return false;
  switch (k) {
    case model::Constraint::power:
      return engine.power_sampled(c);
    case model::Constraint::network:
      return false;
    default:
      return true;
  }
}

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

}  // namespace

Kernel::Kernel(const Engine& engine, KernelChoice choice)
    : engine_(engine), version_(pick(choice)) {
  const std::size_t C = engine.candidates();
  // Grid-fixed values hold for every sample and are in these rows.
  std::vector<RowT<double>> rows = engine.median_rows();
  failures_.resize(C);
  fixed_.resize(C);
  fixed_limits_.resize(C);
  median_limits_.resize(C);
  limits_.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    const model::SizedT<double> median = model::sizing_t(rows[c]);
    for (std::size_t k = 0; k < model::kLimitCount; ++k) {
      median_limits_[c].systems[k] = splat<Pack>(median.limits[k]);
      median_limits_[c].have[k] = true;
      fixed_limits_[c].systems[k] = median_limits_[c].systems[k];
      fixed_limits_[c].have[k] = !limit_sampled(engine, c, static_cast<model::Constraint>(k));
      limits_[c].have[k] = true;
    }
    failures_[c] = rows[c].interruptions_per_chip_day > 0 ? 1 : 0;
  }
  // Candidates no sampled input can resize keep one size for the whole
  // sweep: only the best of them needs comparing. The rest go in the order
  // of their size at the medians, largest first, so that the likely winner
  // sets the bar the others must clear.
  order_.resize(engine.actors());
  std::vector<double> median_flops(C, 0.0);
  for (std::size_t a = 0; a < engine.actors(); ++a) {
    int fixed_best = -1;
    for (int c : engine.actor_candidates()[a]) {
      const auto k = static_cast<std::size_t>(c);
      const Size<double> s = size_of<double>(rows, k, -1.0, false);
      median_flops[k] = s.flops;
      if (engine.size_sampled(k)) {
        order_[a].push_back(c);
        continue;
      }
      fixed_[k] = s;
      if (fixed_best < 0) {
        fixed_best = c;
      } else if (const Size<double>& best = fixed_[static_cast<std::size_t>(fixed_best)];
                 model::preferred_t(s.flops, s.chips, best.flops, best.chips)) {
        fixed_best = c;
      }
    }
    if (fixed_best >= 0) order_[a].push_back(fixed_best);
    std::stable_sort(order_[a].begin(), order_[a].end(), [&](int x, int y) {
      return median_flops[static_cast<std::size_t>(x)] > median_flops[static_cast<std::size_t>(y)];
    });
  }
  winners_.assign(engine.actors(), Winner{splat<Pack>(-1.0), splat<Pack>(0.0)});
  for (const auto& r : rows) rows_.push_back(broadcast(r));
  for (const auto& actor : engine.median_counts()) {
    std::vector<Pack> packs;
    for (double v : actor) packs.push_back(splat<Pack>(v));
    counts_.push_back(packs);
  }
}

// Candidate c's cluster size and FLOP/s. Its limits come from the model's
// sizing path; those no sample changes are passed in as known. Where a
// sample sets the site's power, the power search runs in every lane
// (checking first whether power binds costs a fabric sizing and saves
// little: it binds in most packs) and the limits found are kept for the
// winners. With `prune`, a candidate whose FLOP/s stay below `beat` in every
// lane even at its best MFU is not evaluated further.
template <class T>
Kernel::Size<T> Kernel::size_of(std::vector<RowT<T>>& rows, std::size_t c, T beat, bool prune) {
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

void Kernel::evaluate(const std::vector<Pack>& values, double* metrics, double* bindings,
                      std::size_t stride, std::size_t offset) {
#if CLUSTERCAP_KERNEL_VARIANTS
  if (version_ == KernelVersion::avx512) {
    evaluate_avx512(values, metrics, bindings, stride, offset);
  } else if (version_ == KernelVersion::avx2) {
    evaluate_avx2(values, metrics, bindings, stride, offset);
  } else {
    evaluate_baseline(values, metrics, bindings, stride, offset);
  }
#else
  evaluate_body(values, metrics, bindings, stride, offset);
#endif
}

void Kernel::draw(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                  std::uint64_t first, std::vector<Pack>& values) {
  draws_.resize(scenario.sweep.inputs.size());
  draw_scratch_.resize(copula.inputs.size());
#if CLUSTERCAP_KERNEL_VARIANTS
  if (version_ == KernelVersion::avx512) {
    draw_avx512(scenario, copula, seed, first);
  } else if (version_ == KernelVersion::avx2) {
    draw_avx2(scenario, copula, seed, first);
  } else {
    draw_baseline(scenario, copula, seed, first);
  }
#else
  draw_body(scenario, copula, seed, first);
#endif
  values.resize(draws_.size());
  for (std::size_t i = 0; i < draws_.size(); ++i) values[i] = draws_[i].value;
}

inline void Kernel::draw_body(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                              std::uint64_t first) {
  sampling::draw_values(
      scenario, copula, seed, first, [&](std::size_t i) -> Pack& { return draws_[i].value; },
      [&](std::size_t j) -> Pack& { return draw_scratch_[j].value; });
}

#if CLUSTERCAP_KERNEL_VARIANTS
__attribute__((target("arch=x86-64-v4"), flatten)) void Kernel::draw_avx512(
    const Scenario& scenario, const Copula& copula, std::uint64_t seed, std::uint64_t first) {
  draw_body(scenario, copula, seed, first);
}

__attribute__((target("avx2"), flatten)) void Kernel::draw_avx2(const Scenario& scenario,
                                                                const Copula& copula,
                                                                std::uint64_t seed,
                                                                std::uint64_t first) {
  draw_body(scenario, copula, seed, first);
}

__attribute__((flatten)) void Kernel::draw_baseline(const Scenario& scenario, const Copula& copula,
                                                    std::uint64_t seed, std::uint64_t first) {
  draw_body(scenario, copula, seed, first);
}

__attribute__((target("arch=x86-64-v4"), flatten)) void Kernel::evaluate_avx512(
    const std::vector<Pack>& values, double* metrics, double* bindings, std::size_t stride,
    std::size_t offset) {
  evaluate_body(values, metrics, bindings, stride, offset);
}

__attribute__((target("avx2"), flatten)) void Kernel::evaluate_avx2(const std::vector<Pack>& values,
                                                                    double* metrics,
                                                                    double* bindings,
                                                                    std::size_t stride,
                                                                    std::size_t offset) {
  evaluate_body(values, metrics, bindings, stride, offset);
}

__attribute__((flatten)) void Kernel::evaluate_baseline(const std::vector<Pack>& values,
                                                        double* metrics, double* bindings,
                                                        std::size_t stride, std::size_t offset) {
  evaluate_body(values, metrics, bindings, stride, offset);
}
#endif

// Inline, so that -fPIC (semantic interposition) does not keep it out of
// the two versions above; likewise gather_winners.
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

int Kernel::winner(std::size_t actor, int lane) const {
  return static_cast<int>(winners_[actor].index[lane]);
}

double Kernel::winner_mfu(std::size_t actor, int lane) const { return winners_[actor].mfu[lane]; }

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

}  // namespace clustercap::sweep
