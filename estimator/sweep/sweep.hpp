// `sweep`: the estimate model over many sampled scenarios.
//
// Every number written as a distribution is drawn per sample from a
// counter-based stream keyed by (seed, sample index, input index), optionally
// rank-correlated through a Gaussian copula; the scenario's candidate batch is
// re-filled for a block of samples and evaluated by the same model code as
// `estimate` (model::evaluate_clusters). Blocks run in parallel under OpenMP
// with an explicit thread count. Statistics are thread-count independent:
// moments are kept per block and merged in block order, quantile sketches and
// counts are integers. Memory does not grow with the number of samples
// (except the optional kept rows).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/scenario/scenario.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::sweep {

inline constexpr std::array<double, 7> kQuantiles = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};
inline constexpr std::array<const char*, 7> kQuantileNames = {"p5",  "p10", "p25", "p50",
                                                              "p75", "p90", "p95"};

struct SweepOptions {
  std::uint64_t samples = 10000;  // per grid point
  std::uint64_t seed = 1;
  int threads = 1;
  std::uint64_t block = 512;         // samples per block (the unit of parallel work)
  std::uint64_t keep_rows = 0;       // per-sample rows kept for --samples-out
  std::uint64_t srrc_samples = 20000;  // samples used for rank regression
  // Called from one thread with (samples done, total) after blocks finish.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;
};

struct MetricSummary {
  std::string name;
  double mean = 0, sd = 0, min = 0, max = 0;
  std::array<double, 7> quantiles{};
};

struct TornadoBar {
  std::string input;
  double value_p10 = 0, value_p90 = 0;    // the input's p10 and p90 (config units)
  double output_p10 = 0, output_p90 = 0;  // sustained FLOP/s with the input there, others at median
  double swing = 0;                       // |output_p90 - output_p10|
};

struct RankCoefficient {
  std::string input;
  double srrc = 0;  // standardised rank-regression coefficient on sustained FLOP/s
};

struct ActorSweep {
  std::string name;
  std::vector<MetricSummary> metrics;
  std::array<double, model::kLimitCount> binding_share{};  // per constraint, in limits-table order
  std::vector<std::pair<std::string, double>> p_exceeds;  // per reference
  std::vector<TornadoBar> tornado;
  std::vector<RankCoefficient> srrc;
  double srrc_r2 = 0;
};

struct GridPoint {
  std::vector<std::pair<std::string, double>> settings;  // axis key -> value
  std::vector<ActorSweep> actors;
};

struct SweepResult {
  std::string scenario_name;
  std::string scenario_file;
  std::uint64_t samples = 0;
  std::uint64_t seed = 0;
  int threads = 1;
  std::vector<std::string> inputs;      // labels
  std::vector<std::string> references;  // ids
  std::vector<GridPoint> points;
  std::vector<std::string> row_columns;  // for --samples-out
  std::vector<std::vector<double>> rows;
  bool interrupted = false;
};

// Throws InputErrors for inconsistent correlations or grid keys.
SweepResult run_sweep(const Scenario& scenario, const Catalog& catalog, const SweepOptions& options);

// Everything a re-implementation needs to evaluate the same samples: each
// candidate's fixed model inputs, how each sampled input maps onto them, the
// distributions (with PERT tables), the copula factor and the references.
// Used by bench/reference_numpy.py as an independent oracle.
std::string sweep_plan_json(const Scenario& scenario, const Catalog& catalog, std::uint64_t seed);

// The metric names reported per actor, in order ("ratio_vs_<id>" per reference).
std::vector<std::string> metric_names(const std::vector<std::string>& references);

}  // namespace clustercap::sweep
