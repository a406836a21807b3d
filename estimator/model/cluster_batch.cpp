#include "estimator/model/cluster_batch.hpp"

#include <algorithm>
#include <cmath>

#include "estimator/model/cluster_row.hpp"

namespace clustercap::model {

const char* to_string(Constraint constraint) {
  const auto k = static_cast<std::size_t>(constraint);
  return k < kLimitCount ? kLimitNames[k] : "unknown";
}

const char* to_string(ModelLimit limit) {
  switch (limit) {
    case ModelLimit::compute:
      return "compute";
    case ModelLimit::memory:
      return "memory";
    case ModelLimit::data:
      return "data";
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
  for (ArrayXd& a : limit) a.setZero(size);
  for (ArrayXd* a : {&goodput, &systems, &chips, &it_power_w, &network_power_w, &facility_power_w,
                     &network_tiers, &network_switches, &network_transceivers, &peak_flops,
                     &sustained_flops, &train_flop, &params_compute_optimal, &params_memory_limit,
                     &params, &tokens, &model_train_flop}) {
    a->setZero(size);
  }
  binding.setZero(size);
  limited_by.setZero(size);
}

double network_limit_systems(const ClusterBatch& in, Index i) {
  return network_limit_t(row_values<double>(in, i));
}

Constraint binding_constraint(const double (&limits_systems)[kLimitCount]) {
  return static_cast<Constraint>(static_cast<int>(binding_t(limits_systems)));
}

void assemble_clusters(const ClusterBatch& in, ClusterResults& out) {
  const Index n = in.size();
  // Every field is overwritten below; skip zeroing when the size is unchanged.
  if (out.chips.size() != n) out.resize(n);
  for (Index i = 0; i < n; ++i) {
    const RowT<double> r = row_values<double>(in, i);
    const AssembledT<double> a = assemble_t(r);
    const double cps = r.chips_per_system;
    for (std::size_t k = 0; k < kLimitCount; ++k) {
      out.limit[k][i] = a.limits[k] * cps;  // kNoLimit stays +inf
    }
    out.binding[i] = static_cast<int>(a.binding);
    out.systems[i] = a.systems;
    out.chips[i] = a.chips;
    out.network_tiers[i] = a.fabric.tiers;
    out.network_switches[i] = a.fabric.switches;
    out.network_transceivers[i] = a.fabric.nic_transceivers + a.fabric.switch_transceivers;
    out.network_power_w[i] = a.fabric.power_w;
    out.it_power_w[i] = a.it_power_w;
    out.facility_power_w[i] = a.facility_power_w;
  }
}

void compute_training_outcome(const ClusterBatch& in, ClusterResults& out) {
  const Index n = in.size();
  for (Index i = 0; i < n; ++i) {
    const OutcomeT<double> o = outcome_t(row_values<double>(in, i), out.chips[i]);
    out.peak_flops[i] = o.peak_flops;
    out.goodput[i] = o.goodput;
    out.sustained_flops[i] = o.sustained_flops;
    out.train_flop[i] = o.train_flop;
    out.params_compute_optimal[i] = o.params_compute_optimal;
    out.params_memory_limit[i] = o.params_memory_limit;
    out.params[i] = o.params;
    out.tokens[i] = o.tokens;
    out.model_train_flop[i] = o.model_train_flop;
    out.limited_by[i] = static_cast<int>(o.limited_by);
  }
}

ClusterResults evaluate_clusters(const ClusterBatch& in) {
  ClusterResults out;
  assemble_clusters(in, out);
  compute_training_outcome(in, out);
  return out;
}

}  // namespace clustercap::model
