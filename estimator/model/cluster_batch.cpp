#include "estimator/model/cluster_batch.hpp"

#include <algorithm>
#include <cmath>

#include "estimator/training/goodput.hpp"
#include "power/facility.hpp"

namespace clustercap::model {

const char* to_string(Constraint constraint) {
  switch (constraint) {
    case Constraint::chips: return "chips";
    case Constraint::power: return "power";
    case Constraint::network: return "network";
    case Constraint::budget: return "budget";
  }
  return "unknown";
}

const char* to_string(ModelLimit limit) {
  switch (limit) {
    case ModelLimit::compute: return "compute";
    case ModelLimit::memory: return "memory";
    case ModelLimit::data: return "data";
  }
  return "unknown";
}

void ClusterBatch::resize(Index size) {
#define CLUSTERCAP_RESIZE(name) name.setZero(size);
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_RESIZE)
#undef CLUSTERCAP_RESIZE
  fabric.assign(static_cast<std::size_t>(size), FabricSpec{});
}

void ClusterResults::resize(Index size) {
  for (ArrayXd* a : {&goodput, &limit_chips, &limit_power, &limit_network, &limit_budget, &systems, &chips,
                     &it_power_w, &network_power_w, &facility_power_w, &network_tiers,
                     &network_switches, &network_transceivers, &peak_flops, &sustained_flops,
                     &train_flop, &params_compute_optimal, &params_memory_limit, &params, &tokens,
                     &model_train_flop}) {
    a->setZero(size);
  }
  binding.setZero(size);
  limited_by.setZero(size);
}

namespace {

// Inputs of one candidate, gathered so the scalar search below reads plainly.
struct Candidate {
  double chips_per_system;
  double system_w;
  bool includes_fabric;
  double endpoints_per_chip;
  const FabricSpec* fabric;
};

double fabric_power_w(const Candidate& c, double systems) {
  if (c.includes_fabric) return 0.0;
  return size_fabric(systems * c.chips_per_system * c.endpoints_per_chip, *c.fabric).power_w;
}

double it_power_w(const Candidate& c, double systems) {
  return systems * c.system_w + fabric_power_w(c, systems);
}

// Upper bound on the systems an `it_budget_w` powers with a fabric of up to
// `tiers`: fractional switches and modules cost no more than whole ones.
double smooth_systems(const Candidate& c, double it_budget_w, int tiers) {
  const double capacity_chips =
      clos_capacity(c.fabric->switch_radix, tiers) * c.fabric->planes / c.endpoints_per_chip;
  const double capacity_systems = std::floor(capacity_chips / c.chips_per_system);
  const double per_system_w =
      c.system_w + (c.includes_fabric ? 0.0
                                      : c.chips_per_system * c.endpoints_per_chip *
                                            power_per_endpoint_w(tiers, *c.fabric));
  return std::max(0.0, std::min(std::floor(it_budget_w / per_system_w), capacity_systems));
}

// Largest whole number of systems the site can power, letting the fabric grow
// as deep as it needs to (the network limit is reported separately). The IT
// power of s systems (with the fewest tiers that hold them) rises with s, so
// stepping down from the best smooth bound finds the exact answer.
double power_limited_systems(const Candidate& c, double it_budget_w) {
  double best = 0.0;
  if (c.includes_fabric) {
    // No fabric to size: the bound is exact up to the rounding checked below.
    best = std::max(0.0, std::floor(it_budget_w / c.system_w));
    while (best > 0 && it_power_w(c, best) > it_budget_w) best -= 1;
    return best;
  }
  for (int tiers = 1; tiers <= 64; ++tiers) {
    best = std::max(best, smooth_systems(c, it_budget_w, tiers));
    const double capacity_chips =
        clos_capacity(c.fabric->switch_radix, tiers) * c.fabric->planes / c.endpoints_per_chip;
    // Once a fabric this deep holds everything the power allows, deeper
    // fabrics only cost more power per endpoint.
    if (capacity_chips >= (best + 1) * c.chips_per_system) break;
  }
  while (best > 0 && it_power_w(c, best) > it_budget_w) best -= 1;
  return best;
}

Candidate candidate_at(const ClusterBatch& in, Index i) {
  return {in.chips_per_system[i], in.system_it_power_w[i], in.system_includes_scaleout[i] != 0.0,
          in.endpoints_per_chip[i], &in.fabric[static_cast<std::size_t>(i)]};
}

}  // namespace

double held_limit_systems(const ClusterBatch& in, Index i) {
  return std::floor(in.chips_held[i] / in.chips_per_system[i]);
}

double power_limit_systems(const ClusterBatch& in, Index i) {
  return power_limited_systems(candidate_at(in, i), it_budget_w(in, i));
}

double it_power_for_systems_w(const ClusterBatch& in, Index i, double systems) {
  return it_power_w(candidate_at(in, i), systems);
}

double it_budget_w(const ClusterBatch& in, Index i) { return power::it_budget_w(in.site_power_w[i], in.pue[i]); }

double network_limit_systems(const ClusterBatch& in, Index i) {
  return std::floor(max_endpoints(in.fabric[static_cast<std::size_t>(i)]) / in.endpoints_per_chip[i] /
                    in.chips_per_system[i]);
}

double budget_limit_systems(const ClusterBatch& in, Index i) {
  return std::isinf(in.budget_usd[i]) ? kNoLimit : std::floor(in.budget_usd[i] / in.system_price_usd[i]);
}

Constraint binding_constraint(const double (&limits_systems)[4]) {
  int binding = 0;
  for (int k = 1; k < 4; ++k) {
    if (limits_systems[k] < limits_systems[binding]) binding = k;
  }
  return static_cast<Constraint>(binding);
}

double goodput_at(const ClusterBatch& in, Index i, double chips) {
  if (!(in.interruptions_per_chip_day[i] > 0)) return in.goodput[i];
  return training::goodput_from_failures(
      {in.interruptions_per_chip_day[i], in.restart_hours[i], in.checkpoint_interval_hours[i]}, chips);
}

void assemble_clusters(const ClusterBatch& in, ClusterResults& out) {
  const Index n = in.size();
  // Every field is overwritten below; skip zeroing when the size is unchanged.
  if (out.chips.size() != n) out.resize(n);
  for (Index i = 0; i < n; ++i) {
    const Candidate c = candidate_at(in, i);
    const double cps = c.chips_per_system;
    const double limits[4] = {held_limit_systems(in, i), power_limit_systems(in, i),
                              network_limit_systems(in, i), budget_limit_systems(in, i)};
    const Constraint binding = binding_constraint(limits);
    const double systems = limits[static_cast<int>(binding)];

    out.limit_chips[i] = limits[0] * cps;
    out.limit_power[i] = limits[1] * cps;
    out.limit_network[i] = limits[2] * cps;
    out.limit_budget[i] = std::isinf(limits[3]) ? kNoLimit : limits[3] * cps;
    out.binding[i] = static_cast<int>(binding);
    out.systems[i] = systems;
    out.chips[i] = systems * cps;

    const FabricSize fabric = size_fabric(out.chips[i] * c.endpoints_per_chip, *c.fabric);
    out.network_tiers[i] = fabric.tiers;
    out.network_switches[i] = fabric.switches;
    out.network_transceivers[i] = fabric.transceivers();
    out.network_power_w[i] = fabric.power_w;
    out.it_power_w[i] = systems * c.system_w + (c.includes_fabric ? 0.0 : fabric.power_w);
    out.facility_power_w[i] = power::facility_power_w(in.pue[i], out.it_power_w[i]);
  }
}

void compute_training_outcome(const ClusterBatch& in, ClusterResults& out) {
  out.peak_flops = out.chips * in.peak_flops_per_chip;
  const Index n = in.size();
  for (Index i = 0; i < n; ++i) {
    out.goodput[i] = goodput_at(in, i, out.chips[i]);
    out.sustained_flops[i] = sustained_flops(out.chips[i], in.peak_flops_per_chip[i], in.mfu[i], out.goodput[i]);
  }
  out.train_flop = out.sustained_flops * in.duration_s;
  out.params_compute_optimal = (out.train_flop / (kFlopPerParamToken * kTokensPerParam)).sqrt();
  out.params_memory_limit = out.chips * in.hbm_bytes_per_chip *
                            (1.0 - in.activation_memory_fraction) / in.bytes_per_param;

  for (Index i = 0; i < n; ++i) {
    const double data_limit = in.max_tokens[i] / kTokensPerParam;  // inf when unlimited
    double params = out.params_compute_optimal[i];
    ModelLimit limit = ModelLimit::compute;
    if (data_limit < params) {
      params = data_limit;
      limit = ModelLimit::data;
    }
    if (out.params_memory_limit[i] < params) {
      params = out.params_memory_limit[i];
      limit = ModelLimit::memory;
    }
    double tokens = kTokensPerParam * params;
    if (limit != ModelLimit::compute && params > 0) {
      // A capped model spends the remaining compute on more tokens, up to
      // the data available.
      tokens = std::min(out.train_flop[i] / (kFlopPerParamToken * params), in.max_tokens[i]);
    }
    out.params[i] = params;
    out.tokens[i] = tokens;
    out.model_train_flop[i] = kFlopPerParamToken * params * tokens;
    out.limited_by[i] = static_cast<int>(limit);
  }
}

ClusterResults evaluate_clusters(const ClusterBatch& in) {
  ClusterResults out;
  assemble_clusters(in, out);
  compute_training_outcome(in, out);
  return out;
}

}  // namespace clustercap::model
