// The capacity model's equations (DESIGN §3, steps 2-6) for one candidate
// cluster, written once as templates over T = double (one scenario, as
// `estimate` runs them through cluster_batch.cpp) or T = Pack (eight
// scenarios at once, as the sweep kernel runs them). Same operations in the
// same order for both, so each lane equals the scalar result bit for bit.
#pragma once

#include "estimator/model/cluster_batch.hpp"
#include "estimator/model/fat_tree.hpp"
#include "estimator/model/lanes.hpp"
#include "estimator/model/goodput.hpp"
#include "power/facility.hpp"

namespace clustercap::model {

// One candidate's inputs (the ClusterBatch columns) as values of T.
template <class T>
struct RowT {
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
  const T max_endpoints = r.fabric.planes * clos_capacity_t(r.fabric.switch_radix, r.fabric.max_tiers);
  return vfloor(max_endpoints / r.endpoints_per_chip / r.chips_per_system);
}

// kNoLimit without a budget.
template <class T>
T budget_limit_t(const RowT<T>& r) {
  return where(r.budget_usd == kNoLimit, splat<T>(kNoLimit), vfloor(r.budget_usd / r.system_price_usd));
}

template <class T>
T it_budget_t(const RowT<T>& r) {
  return power::it_budget_w(r.site_power_w, r.pue);
}

// IT power of `systems` systems with a fabric drawing `fabric_w` (counted
// unless the systems' own power already covers it).
template <class T>
T it_power_with_t(const RowT<T>& r, T systems, T fabric_w) {
  return systems * r.system_it_power_w + where(r.system_includes_scaleout != 0.0, splat<T>(0.0), fabric_w);
}

// IT power of `systems` systems with the fabric they need.
template <class T>
T it_power_t(const RowT<T>& r, T systems) {
  return it_power_with_t(r, systems,
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
                                  r.chips_per_system * r.endpoints_per_chip * power_per_endpoint_t(static_cast<double>(tiers), r.fabric));
  return vmax(splat<T>(0.0), vmin(vfloor(budget_w / per_system_w), capacity_systems));
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

// --- step 3: the smallest limit binds; ties go to the earlier constraint ---------
template <class T>
T binding_t(const T (&limits)[4]) {
  T binding = splat<T>(0.0);
  T smallest = limits[0];
  for (int k = 1; k < 4; ++k) {
    const auto lower = limits[k] < smallest;
    binding = where(lower, splat<T>(k), binding);
    smallest = where(lower, limits[k], smallest);
  }
  return binding;
}

// --- step 5 pieces shared by every caller ---------------------------------------
template <class T>
T goodput_at_t(const RowT<T>& r, T chips) {
  return where(r.interruptions_per_chip_day > 0.0,
               model::goodput_from_failures_t(r.interruptions_per_chip_day, r.restart_hours,
                                                 r.checkpoint_interval_hours, chips),
               r.goodput);
}

template <class T>
T sustained_flops_t(T chips, T peak_flops_per_chip, T mfu, T goodput) {
  return chips * peak_flops_per_chip * mfu * goodput;
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
  T limits[4];  // systems: chips held, power, network, budget
  T binding;    // Constraint
  T systems, chips;
  FabricSizeT<T> fabric;
  T it_power_w, facility_power_w;
};

// `power_limit`: power_limit_t(r), when the caller already has it.
template <class T>
AssembledT<T> assemble_t(const RowT<T>& r, T power_limit) {
  AssembledT<T> a{{held_limit_t(r), power_limit, network_limit_t(r), budget_limit_t(r)}, {}, {}, {}, {}, {}, {}};
  a.binding = binding_t(a.limits);
  a.systems = a.limits[0];
  for (int k = 1; k < 4; ++k) a.systems = where(a.binding == static_cast<double>(k), a.limits[k], a.systems);
  a.chips = a.systems * r.chips_per_system;
  a.fabric = size_fabric_t(a.chips * r.endpoints_per_chip, r.fabric);
  a.it_power_w = it_power_with_t(r, a.systems, a.fabric.power_w);
  a.facility_power_w = power::facility_power_w(r.pue, a.it_power_w);
  return a;
}

template <class T>
AssembledT<T> assemble_t(const RowT<T>& r) {
  return assemble_t(r, power_limit_t(r));
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
  o.params_memory_limit = chips * r.hbm_bytes_per_chip * (1.0 - r.activation_memory_fraction) / r.bytes_per_param;
  const T data_limit = r.max_tokens / kTokensPerParam;  // inf when unlimited
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
  o.tokens = where(capped, vmin(o.train_flop / (kFlopPerParamToken * params), r.max_tokens), kTokensPerParam * params);
  o.params = params;
  o.model_train_flop = kFlopPerParamToken * params * o.tokens;
  o.limited_by = limit;
  return o;
}

}  // namespace clustercap::model
