#include "estimator/sweep/multi_site.hpp"

#include "estimator/metrics.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/timeline_sweep.hpp"

namespace clustercap::sweep {

MultiSiteSampler::MultiSiteSampler(const Scenario& scenario, const Catalog& catalog,
                                   const std::vector<std::pair<std::string, double>>& grid)
    : original_(scenario), catalog_(catalog) {
  for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
    if (!scenario.actors[a].links.empty()) linked_.push_back(a);
  }
  if (linked_.empty()) return;  // the kernel's path alone: nothing to copy
  base_ = scenario;
  const auto& inputs = scenario.sweep.inputs;
  sampled_.assign(inputs.size(), 1);
  for (const auto& [key, value] : grid) {
    UncertainInput probe;
    bind_grid_key(scenario.sweep, key, probe);  // the loader checked it binds
    set_input(*base_, probe, value);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].indexed_key == probe.indexed_key) sampled_[i] = 0;
    }
  }
}

EstimateResult MultiSiteSampler::estimate_at(const std::vector<double>& values) const {
  Scenario s = *base_;
  const auto& inputs = original_.sweep.inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (sampled_[i] != 0) set_input(s, inputs[i], values[i]);
  }
  return estimate(s, catalog_);
}

void MultiSiteSampler::evaluate(const std::vector<model::Pack>& values, std::size_t lanes,
                                double* metrics, double* bindings, std::uint64_t stride,
                                std::uint64_t offset) const {
  if (linked_.empty()) return;
  const std::size_t R = original_.reference_ids.size();
  const std::size_t M = kBaseMetrics + R;
  std::vector<double> v(values.size());
  for (std::size_t l = 0; l < lanes; ++l) {
    for (std::size_t i = 0; i < values.size(); ++i) v[i] = values[i][static_cast<int>(l)];
    const EstimateResult e = estimate_at(v);
    for (std::size_t a : linked_) {
      const ActorResult& ar = e.actors[a];
      const std::uint64_t at = offset + l;
      std::size_t m = 0;
      for (std::size_t k = 0; k < kMetricCount; ++k) {
        if (kMetrics[k].swept) metrics[(a * M + m++) * stride + at] = ar.metrics[k];
      }
      for (std::size_t r = 0; r < R; ++r) {
        metrics[(a * M + kBaseMetrics + r) * stride + at] =
            r < ar.vs_reference.size() ? ar.vs_reference[r].ratio_sustained_flops : 0.0;
      }
      bindings[a * stride + at] = static_cast<double>(ar.cluster.binding);
    }
  }
}

void MultiSiteSampler::at_values(const std::vector<double>& values, GridPoint& point) const {
  if (linked_.empty()) return;
  const EstimateResult e = estimate_at(values);
  for (std::size_t a : linked_) {
    const ActorResult& ar = e.actors[a];
    if (ar.cluster.chip_id.empty()) continue;  // no cluster
    MedianCluster mc;
    mc.chip_id = ar.cluster.chip_id;
    mc.system_id = ar.cluster.system_id;
    mc.system_label = ar.cluster.system_label;
    mc.site = ar.cluster.site;
    mc.chips = ar.cluster.chips;
    mc.binding = ar.cluster.binding;
    mc.sustained_flops = ar.cluster.sustained_flops;
    mc.train_flop = ar.training.train_flop;
    mc.mfu = ar.cluster.mfu;
    mc.mfu_basis = ar.cluster.mfu_basis;
    point.actors[a].at_medians = std::move(mc);
  }
}

}  // namespace clustercap::sweep
