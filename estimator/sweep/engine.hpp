// The sweep's view of one scenario (at one grid point): its candidate
// clusters, which model input each sampled or grid-fixed number changes, the
// step-model MFU tables, and the references the outputs are compared with.
// Built once per grid point; read-only afterwards and shared by all threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "estimator/model/cluster_row.hpp"
#include "estimator/plan.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/training/mfu_fixed_point.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::sweep {

// Each input's value at its uniform u[i] (config units).
std::vector<double> values_at(const Scenario& scenario, const std::vector<double>& u);

// A sampled or grid-fixed value bound to the candidates it changes.
struct Binding {
  Target target = Target::goodput;
  double scale = 1;
  int input = -1;          // index into scenario.sweep.inputs, or -1 for a fixed grid value
  double fixed = 0;        // config units, when input < 0
  std::vector<int> cands;  // candidate columns it touches
  int actor = -1, line = -1;
};

class Engine {
 public:
  Engine(const Scenario& scenario, const Catalog& catalog,
         const std::vector<std::pair<std::string, double>>& grid_settings, int threads = 1);

  std::size_t candidates() const { return candidates_.size(); }
  std::size_t actors() const { return actor_cands_.size(); }
  const std::vector<std::string>& references() const { return references_; }
  const std::vector<Binding>& bindings() const { return bindings_; }
  const model::ClusterBatch& base() const { return base_; }
  const std::vector<CandidateSpec>& specs() const { return candidates_; }
  const std::vector<std::vector<int>>& actor_candidates() const { return actor_cands_; }
  const std::vector<double>& generic_tdp() const { return generic_tdp_; }
  const std::vector<double>& ref_per_goodput() const { return ref_per_goodput_; }
  const std::vector<std::vector<double>>& base_counts() const { return base_counts_; }

  // Writes the sampled (or grid-fixed) `values` (config units, one per
  // scenario input) into the candidates' rows; `counts` holds each actor's
  // inventory counts and feeds chips_held. Only bound fields change, so the
  // rows must start as copies of base(). T: double, or a Pack of 8 samples.
  template <class T>
  void apply(std::vector<model::RowT<T>>& rows, const std::vector<T>& values,
             std::vector<std::vector<T>>& counts) const;

  std::vector<double> median_values() const;

  // Every candidate's row, and each actor's inventory counts, at the
  // grid-fixed values and the other inputs' medians (apply() on base() and
  // base_counts() with median_values()).
  const std::vector<model::RowT<double>>& median_rows() const { return median_rows_; }
  const std::vector<std::vector<double>>& median_counts() const { return median_counts_; }

  // The goodput of all of actor a's candidates when no sample changes it and
  // they share it; none otherwise. A ratio to a reference then divides by
  // the same FLOP/s (ref_per_goodput() x goodput) in every sample.
  std::optional<double> fixed_goodput(std::size_t actor) const;

  // Step-model MFU of candidate c (null when its MFU is an input): the
  // fixed point tabulated over cluster size and compute, per chip and system.
  const training::MfuTable* mfu_table(std::size_t c) const { return mfu_tables_[c].get(); }
  // The table's largest MFU: bilinear values never exceed it.
  double mfu_max(std::size_t c) const { return mfu_max_[c]; }

  // Candidate c's MFU basis when it has `chips` at the medians: the
  // override or prior it runs at, or for a step-model candidate the fixed
  // point at that size and the median row's compute (what its table holds
  // there: the medians' sizes are nodes).
  MfuBasis median_mfu_basis(std::size_t c, double chips) const;

  // True when a sampled input can change candidate c's size or FLOP/s.
  bool size_sampled(std::size_t c) const { return size_sampled_[c] != 0; }
  // True when a sampled input changes what candidate c's site can power.
  bool power_sampled(std::size_t c) const { return power_sampled_[c] != 0; }

 private:
  void build_mfu_tables(const Scenario& scenario, int threads);
  Binding bind(const UncertainInput& in, int index, double fixed) const;

  const Scenario& scenario_;
  std::vector<CandidateSpec> candidates_;
  model::ClusterBatch base_;
  std::vector<std::string> references_;
  std::vector<double> ref_per_goodput_;
  std::vector<std::vector<int>> actor_cands_;
  std::vector<double> generic_tdp_;
  std::vector<std::vector<double>> base_counts_;
  std::vector<Binding> bindings_;
  std::vector<char> power_sampled_;
  std::vector<char> size_sampled_;
  std::vector<char> counts_bound_;  // chips_held follows a bound count
  std::vector<model::RowT<double>> median_rows_;
  std::vector<std::vector<double>> median_counts_;
  std::vector<std::shared_ptr<const training::MfuTable>> mfu_tables_;
  std::vector<double> mfu_max_;
};

}  // namespace clustercap::sweep
