// Sweeps of actors whose sites are linked by WAN ([[actor.link]], issue 17).
//
// The sweep kernel sizes one site per candidate; a cluster spanning sites is
// found by `estimate` (the best over site subsets, the WAN step of
// model/wan.hpp). For such actors each sample runs `estimate` on the
// scenario with that sample's values written in (set_input), so a sweep and
// `estimate` share one model: a sweep of point values reproduces `estimate`.
// This path costs one `estimate` per sample (docs: README "Sweeps of
// multi-site actors"); actors without links keep the kernel's path, whose
// values it never touches.
//
// Built once per grid point; evaluate() is const and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "estimator/estimate.hpp"
#include "estimator/model/lanes.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/sweep/sweep.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::sweep {

class MultiSiteSampler {
 public:
  // `grid` holds this grid point's fixed values (key, config units).
  MultiSiteSampler(const Scenario& scenario, const Catalog& catalog,
                   const std::vector<std::pair<std::string, double>>& grid);

  // True when some actor has WAN links (else evaluate() does nothing).
  bool active() const { return !linked_.empty(); }

  // For lanes [0, lanes) of one pack of samples (`values`: one Pack per
  // scenario input, config units), overwrites the linked actors' entries the
  // kernel wrote: metrics[(a * M + m) * stride + offset + l] for the swept
  // metrics and reference ratios (M = kBaseMetrics + references), and
  // bindings[a * stride + offset + l] (the binding limit as a number).
  void evaluate(const std::vector<model::Pack>& values, std::size_t lanes, double* metrics,
                double* bindings, std::uint64_t stride, std::uint64_t offset) const;

  // The linked actors' clusters with every sampled input at `values`
  // (config units): what the sweep reports as the cluster at the medians.
  void at_values(const std::vector<double>& values, GridPoint& point) const;

 private:
  EstimateResult estimate_at(const std::vector<double>& values) const;

  const Scenario& original_;
  const Catalog& catalog_;
  std::optional<Scenario> base_;     // with this grid point's values; only with links
  std::vector<char> sampled_;        // per input: drawn per sample (not fixed by the grid)
  std::vector<std::size_t> linked_;  // actors with links
};

}  // namespace clustercap::sweep
