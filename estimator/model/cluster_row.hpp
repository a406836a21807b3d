// The capacity model's equations (docs/methodology.md §5, E3-E8) for one candidate
// cluster, written once as templates over T = double (one scenario, as
// `estimate` runs them through cluster_batch.cpp) or T = Pack (eight
// scenarios at once, as the sweep kernel runs them). Same operations in the
// same order for both, so each lane equals the scalar result bit for bit.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/model/cost.hpp"
#include "estimator/model/fat_tree.hpp"
#include "estimator/model/goodput.hpp"
#include "estimator/model/lanes.hpp"
#include "power/facility.hpp"

namespace clustercap::model {

// One candidate's inputs (the ClusterBatch columns) as values of T.
template <class T>
struct alignas(kPackStorageAlign<T>) RowT {
#define CLUSTERCAP_ROW_FIELD(name) T name;
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_ROW_FIELD)
#undef CLUSTERCAP_ROW_FIELD
  FabricT<T> fabric;
};

// Calls f(to.x, from.x) for every field x of two rows (fabric included),
// e.g. to broadcast a one-scenario row into a pack or blend two packs.
template <class A, class B, class F>
void for_each_field(RowT<A>& to, const RowT<B>& from, F f) {
#define CLUSTERCAP_ROW_VISIT(name) f(to.name, from.name);
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_ROW_VISIT)
#undef CLUSTERCAP_ROW_VISIT
#define CLUSTERCAP_FABRIC_VISIT(name) f(to.fabric.name, from.fabric.name);
  CLUSTERCAP_FABRIC_FIELDS(CLUSTERCAP_FABRIC_VISIT)
#undef CLUSTERCAP_FABRIC_VISIT
}

template <class T>
RowT<T> row_values(const ClusterBatch& in, Index i) {
  RowT<T> r;
#define CLUSTERCAP_ROW_COPY(name) r.name = splat<T>(in.name[i]);
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_ROW_COPY)
#undef CLUSTERCAP_ROW_COPY
  r.fabric = fabric_values<T>(in.fabric[static_cast<std::size_t>(i)]);
  return r;
}

// --- step 2: each limit in whole systems --------------------------------------
template <class T>
T held_limit_t(const RowT<T>& r) {
  return vfloor(r.chips_held / r.chips_per_system);
}

// Deepest fabric allowed.
template <class T>
T network_limit_t(const RowT<T>& r) {
  const T max_endpoints =
      r.fabric.planes * clos_capacity_t(r.fabric.switch_radix, r.fabric.max_tiers);
  return vfloor(max_endpoints / r.endpoints_per_chip / r.chips_per_system);
}

// A row is one site: the WAN never limits it. Across sites (model/wan.hpp,
// estimate.cpp) the limit is the chips of the largest site set still worth
// linking, set when a larger set gave less sustained FLOP/s.
template <class T>
T wan_limit_t(const RowT<T>&) {
  return splat<T>(kNoLimit);
}

template <class T>
T it_budget_t(const RowT<T>& r) {
  return power::it_budget_w(r.site_power_w, r.pue);
}

// IT power of `systems` systems with a fabric drawing `fabric_w` (counted
// unless the systems' own power already covers it).
template <class T>
T it_power_with_t(const RowT<T>& r, T systems, T fabric_w) {
  return systems * r.system_it_power_w +
         where(r.system_includes_scaleout != 0.0, splat<T>(0.0), fabric_w);
}

// IT power of `systems` systems with the fabric they need.
template <class T>
T it_power_t(const RowT<T>& r, T systems) {
  return it_power_with_t(
      r, systems,
      size_fabric_t(systems * r.chips_per_system * r.endpoints_per_chip, r.fabric).power_w);
}

// Chips a fabric of `tiers` tiers connects.
template <class T>
T fabric_capacity_chips_t(const RowT<T>& r, int tiers) {
  return clos_capacity_t(r.fabric.switch_radix, tiers) * r.fabric.planes / r.endpoints_per_chip;
}

// Upper bound on the systems `budget_w` powers with a fabric of up to
// `tiers`: fractional switches and modules cost no more than whole ones.
template <class T>
T smooth_systems_t(const RowT<T>& r, T budget_w, int tiers) {
  const T capacity_systems = vfloor(fabric_capacity_chips_t(r, tiers) / r.chips_per_system);
  const T per_system_w =
      r.system_it_power_w + where(r.system_includes_scaleout != 0.0, splat<T>(0.0),
                                  r.chips_per_system * r.endpoints_per_chip *
                                      power_per_endpoint_t(static_cast<double>(tiers), r.fabric));
  return vmax(splat<T>(0.0), vmin(vfloor(budget_w / per_system_w), capacity_systems));
}

// --- the whole capex (cost.hpp) -------------------------------------------------
// Capex of `systems` systems with their fabric `fabric`: systems at their
// price, the fabric's switches and optics (none when the systems' own
// figures include their scale-out share, as for power), and the facility
// for their IT power.
template <class T>
CapexT<T> capex_with_t(const RowT<T>& r, T systems, const FabricSizeT<T>& fabric) {
  const auto includes = r.system_includes_scaleout != 0.0;
  CapexT<T> c;
  c.chips = systems * r.system_price_usd;
  c.network =
      where(includes, splat<T>(0.0), network_capex_usd_t(fabric, r.switch_usd, r.transceiver_usd));
  c.facility = it_power_with_t(r, systems, fabric.power_w) * r.facility_usd_per_w;
  return c;
}

template <class T>
T capex_usd_t(const RowT<T>& r, T systems) {
  return capex_with_t(r, systems,
                      size_fabric_t(systems * r.chips_per_system * r.endpoints_per_chip, r.fabric))
      .total();
}

// Upper bound on the systems `budget_usd` buys with a fabric of up to
// `tiers`: fractional switches and modules cost no more than whole ones.
template <class T>
T smooth_budget_systems_t(const RowT<T>& r, int tiers) {
  const T capacity_systems = vfloor(fabric_capacity_chips_t(r, tiers) / r.chips_per_system);
  const auto includes = r.system_includes_scaleout != 0.0;
  const T td = splat<T>(static_cast<double>(tiers));
  const T per_endpoint_usd =
      network_usd_per_endpoint_t(td, r.fabric, r.switch_usd, r.transceiver_usd) +
      power_per_endpoint_t(td, r.fabric) * r.facility_usd_per_w;
  const T per_system_usd =
      r.system_price_usd + r.system_it_power_w * r.facility_usd_per_w +
      where(includes, splat<T>(0.0), r.chips_per_system * r.endpoints_per_chip * per_endpoint_usd);
  // Without a fabric to price the fabric's capacity does not bound the count.
  const T cap = where(includes, splat<T>(kNoLimit), capacity_systems);
  return vmax(splat<T>(0.0), vmin(vfloor(r.budget_usd / per_system_usd), cap));
}

// Largest whole number of systems whose whole capex (systems, network,
// facility) fits the budget; kNoLimit without a budget. Capex rises with
// the count, so stepping down from the best smooth bound is exact (the
// same search as power_limit_t).
template <class T>
T budget_limit_t(const RowT<T>& r) {
  const auto none = r.budget_usd == kNoLimit;
  const auto includes = r.system_includes_scaleout != 0.0;
  T best = splat<T>(0.0);
  auto active = !none;
  for (int tiers = 1; tiers <= 64 && any(active); ++tiers) {
    best = where(active, vmax(best, smooth_budget_systems_t(r, tiers)), best);
    // Without a fabric to price, one tier's bound is exact up to rounding.
    active = active && !includes &&
             !(fabric_capacity_chips_t(r, tiers) >= (best + 1.0) * r.chips_per_system);
  }
  // Whole switches and modules cost at most a few systems more than the
  // smooth bound. The cap only matters past 2^53 systems (a budget of
  // systems priced near zero, with free network and facility), where a step
  // of one no longer changes the count and the bound is exact to rounding.
  auto over = !none && best > 0.0 && capex_usd_t(r, best) > r.budget_usd;
  for (int step = 0; step < 256 && any(over); ++step) {
    best = where(over, best - 1.0, best);
    over = !none && best > 0.0 && capex_usd_t(r, best) > r.budget_usd;
  }
  // Free network and facility: systems at their price alone, exactly (the
  // search above loses whole systems to rounding past 2^53).
  const auto price_only = r.facility_usd_per_w == 0.0 &&
                          (includes || (r.switch_usd == 0.0 && r.transceiver_usd == 0.0));
  best = where(price_only, vfloor(r.budget_usd / r.system_price_usd), best);
  return where(none, splat<T>(kNoLimit), best);
}

// Largest whole number of systems the site can power, the fabric growing as
// deep as it needs to (the network limit is reported apart). IT power rises
// with the count, so stepping down from the best smooth bound is exact.
template <class T>
T power_limit_t(const RowT<T>& r) {
  const T budget_w = it_budget_t(r);
  const auto includes = r.system_includes_scaleout != 0.0;
  // No fabric to size: the bound is exact up to the rounding checked below.
  const T without_fabric = vmax(splat<T>(0.0), vfloor(budget_w / r.system_it_power_w));
  T best = splat<T>(0.0);
  auto active = !includes;
  for (int tiers = 1; tiers <= 64 && any(active); ++tiers) {
    best = where(active, vmax(best, smooth_systems_t(r, budget_w, tiers)), best);
    // Once a fabric this deep holds all the power allows, deeper ones only
    // cost more per endpoint.
    active = active && !(fabric_capacity_chips_t(r, tiers) >= (best + 1.0) * r.chips_per_system);
  }
  best = where(includes, without_fabric, best);
  for (auto over = best > 0.0 && it_power_t(r, best) > budget_w; any(over);
       over = best > 0.0 && it_power_t(r, best) > budget_w) {
    best = where(over, best - 1.0, best);
  }
  return best;
}

// --- the limits table (cluster_batch.hpp) over T ----------------------------------
template <class T>
using LimitEquation = T (*)(const RowT<T>&);

template <class T>
inline constexpr LimitEquation<T> kLimitEquations[kLimitCount] = {
#define CLUSTERCAP_LIMIT_EQUATION(name, equation, cost, label) &equation<T>,
    CLUSTERCAP_LIMITS(CLUSTERCAP_LIMIT_EQUATION)
#undef CLUSTERCAP_LIMIT_EQUATION
};

// Limit K of the table for row r, in whole systems (a direct call).
template <std::size_t K, class T>
T limit_t(const RowT<T>& r) {
  constexpr LimitEquation<T> equation = kLimitEquations<T>[K];
  return equation(r);
}

// Calls f(std::integral_constant<std::size_t, K>) for every limit K in table order.
template <class F, std::size_t... K>
void for_each_limit_impl(F&& f, std::index_sequence<K...>) {
  (f(std::integral_constant<std::size_t, K>{}), ...);
}
template <class F>
void for_each_limit(F&& f) {
  for_each_limit_impl(f, std::make_index_sequence<kLimitCount>{});
}

// --- step 3: the smallest limit binds; ties go to the earlier constraint ---------
template <class T>
T binding_t(const T (&limits)[kLimitCount]) {
  T binding = splat<T>(0.0);
  T smallest = limits[0];
  for (std::size_t k = 1; k < kLimitCount; ++k) {
    const auto lower = limits[k] < smallest;
    binding = where(lower, splat<T>(static_cast<double>(k)), binding);
    smallest = where(lower, limits[k], smallest);
  }
  return binding;
}

// --- steps 2-3 as every caller sizes a candidate -------------------------------------
// Limits a caller already has for a row (the sweep's limits whose inputs it
// never samples, or a winner's limits found while sizing): have[k] says
// systems[k] holds limit k. The rest are computed from the table.
template <class T>
struct alignas(kPackStorageAlign<T>) KnownLimitsT {
  T systems[kLimitCount];
  bool have[kLimitCount] = {};
};

template <class T>
struct SizedT {
  T limits[kLimitCount];  // whole systems; costly ones unset when stopped
  T systems;              // the smallest limit
  bool stopped = false;   // `stop` gave up on the cheap limits' bound
};

// Every limit of the table and the smallest of them: the known and cheap
// limits first, then the costly ones. `stop(bound)` is called with the
// smallest of the first group before any costly limit is computed and may
// end the sizing there (the sweep kernel's pruning: true when the candidate
// cannot win even at that size); the result is then only that bound. The
// smallest limit is the binding one's value (binding_t picks the same value,
// the earlier constraint on ties).
template <class T, class Stop>
SizedT<T> sizing_t(const RowT<T>& r, const KnownLimitsT<T>* known, Stop stop) {
  SizedT<T> s;
  s.systems = splat<T>(kNoLimit);
  for_each_limit([&](auto k) {
    constexpr std::size_t K = decltype(k)::value;
    if (known != nullptr && known->have[K]) {
      s.limits[K] = known->systems[K];
    } else if constexpr (kLimitCosts[K] == LimitCost::cheap) {
      s.limits[K] = limit_t<K>(r);
    } else {
      return;
    }
    s.systems = vmin(s.systems, s.limits[K]);
  });
  if (stop(s.systems)) {
    s.stopped = true;
    return s;
  }
  for_each_limit([&](auto k) {
    constexpr std::size_t K = decltype(k)::value;
    if constexpr (kLimitCosts[K] == LimitCost::costly) {
      if (known != nullptr && known->have[K]) return;
      s.limits[K] = limit_t<K>(r);
      s.systems = vmin(s.systems, s.limits[K]);
    }
  });
  return s;
}

template <class T>
SizedT<T> sizing_t(const RowT<T>& r, const KnownLimitsT<T>* known = nullptr) {
  return sizing_t(r, known, [](const T&) { return false; });
}

// --- step 5 pieces shared by every caller ---------------------------------------
// Goodput at a cluster of `chips`: from the failure model when it has a
// failure rate, else as given. The one place the choice is made (plan.cpp's
// scenario_goodput and the references use it too).
template <class T>
T goodput_t(T given, T interruptions_per_chip_day, T restart_hours, T checkpoint_interval_hours,
            T chips) {
  return where(interruptions_per_chip_day > 0.0,
               goodput_from_failures_t(interruptions_per_chip_day, restart_hours,
                                       checkpoint_interval_hours, chips),
               given);
}

template <class T>
T goodput_at_t(const RowT<T>& r, T chips) {
  return goodput_t(r.goodput, r.interruptions_per_chip_day, r.restart_hours,
                   r.checkpoint_interval_hours, chips);
}

template <class T>
T sustained_flops_t(T chips, T peak_flops_per_chip, T mfu, T goodput) {
  return chips * peak_flops_per_chip * mfu * goodput;
}

// C1: training FLOP per unit of MFU, chips x peak x goodput x duration (the
// step-model MFU is looked up at it; plan.hpp compute_per_unit_mfu).
template <class T>
T compute_per_unit_mfu_t(T chips, T peak_flops_per_chip, T goodput, T duration_s) {
  return chips * peak_flops_per_chip * goodput * duration_s;
}

// Largest model whose training state fits in the chips' HBM, and the largest
// the data allows (Chinchilla tokens per parameter; inf without a limit).
template <class T>
T memory_params_cap_t(T chips, T hbm_bytes_per_chip, T activation_memory_fraction,
                      T bytes_per_param) {
  return chips * hbm_bytes_per_chip * (1.0 - activation_memory_fraction) / bytes_per_param;
}
template <class T>
T data_params_cap_t(T max_tokens) {
  return max_tokens / kTokensPerParam;
}

// The choice among candidates, as `estimate` makes it: more sustained
// FLOP/s, then more chips (then the earlier candidate: callers keep order).
template <class T>
auto preferred_t(T flops, T chips, T other_flops, T other_chips) {
  return flops > other_flops || (flops == other_flops && chips > other_chips);
}

// --- steps 2-4 together ------------------------------------------------------------
template <class T>
struct AssembledT {
  T limits[kLimitCount];  // systems, in table order
  T binding;              // Constraint
  T systems, chips;
  FabricSizeT<T> fabric;
  T it_power_w, facility_power_w;
};

// `known`: limits the caller already has (null: compute them all).
template <class T>
AssembledT<T> assemble_t(const RowT<T>& r, const KnownLimitsT<T>* known = nullptr) {
  const SizedT<T> sized = sizing_t(r, known);
  AssembledT<T> a;
  for (std::size_t k = 0; k < kLimitCount; ++k) a.limits[k] = sized.limits[k];
  a.binding = binding_t(a.limits);
  a.systems = sized.systems;
  a.chips = a.systems * r.chips_per_system;
  a.fabric = size_fabric_t(a.chips * r.endpoints_per_chip, r.fabric);
  a.it_power_w = it_power_with_t(r, a.systems, a.fabric.power_w);
  a.facility_power_w = power::facility_power_w(r.pue, a.it_power_w);
  return a;
}

// --- steps 5-6: FLOP/s, training compute, largest compute-optimal model -------------
template <class T>
struct OutcomeT {
  T goodput, peak_flops, sustained_flops, train_flop;
  T params_compute_optimal, params_memory_limit, params, tokens, model_train_flop;
  T limited_by;  // ModelLimit
};

template <class T>
OutcomeT<T> outcome_t(const RowT<T>& r, T chips) {
  OutcomeT<T> o;
  o.peak_flops = chips * r.peak_flops_per_chip;
  o.goodput = goodput_at_t(r, chips);
  o.sustained_flops = sustained_flops_t(chips, r.peak_flops_per_chip, r.mfu, o.goodput);
  o.train_flop = o.sustained_flops * r.duration_s;
  o.params_compute_optimal = vsqrt(o.train_flop / (kFlopPerParamToken * kTokensPerParam));
  o.params_memory_limit = memory_params_cap_t(chips, r.hbm_bytes_per_chip,
                                              r.activation_memory_fraction, r.bytes_per_param);
  const T data_limit = data_params_cap_t(r.max_tokens);  // inf when unlimited
  T params = o.params_compute_optimal;
  T limit = splat<T>(static_cast<double>(ModelLimit::compute));
  const auto by_data = data_limit < params;
  params = where(by_data, data_limit, params);
  limit = where(by_data, splat<T>(static_cast<double>(ModelLimit::data)), limit);
  const auto by_memory = o.params_memory_limit < params;
  params = where(by_memory, o.params_memory_limit, params);
  limit = where(by_memory, splat<T>(static_cast<double>(ModelLimit::memory)), limit);
  // A capped model spends the remaining compute on more tokens, up to the data.
  const auto capped = limit != static_cast<double>(ModelLimit::compute) && params > 0.0;
  o.tokens = where(capped, vmin(o.train_flop / (kFlopPerParamToken * params), r.max_tokens),
                   kTokensPerParam * params);
  o.params = params;
  o.model_train_flop = kFlopPerParamToken * params * o.tokens;
  o.limited_by = limit;
  return o;
}

}  // namespace clustercap::model
