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
#include <optional>
#include <string>
#include <vector>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/plan.hpp"
#include "estimator/scenario/scenario.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::sweep {

class Ranks;

inline constexpr std::array<double, 7> kQuantiles = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};
inline constexpr std::array<const char*, 7> kQuantileNames = {"p5",  "p10", "p25", "p50",
                                                              "p75", "p90", "p95"};

// One option outside its valid range: the field's name, its value and the rule.
struct OptionProblem {
  std::string option;  // field name, e.g. "threads"
  std::string value;   // as a decimal number
  std::string rule;    // e.g. "must be in [1, 1024]"
};

// How a sweep runs. Every field has a range; `problems()` names each field
// outside it, and run_sweep() refuses to start (InputErrors) while any is.
struct SweepOptions {
  static constexpr std::uint64_t kMaxSamples = 100000000000ULL;  // 1e11: ~days of CPU at 1e6/s
  static constexpr int kMaxThreads = 1024;
  static constexpr std::uint64_t kMaxBlock = 65536;  // block buffers are block x metrics doubles
  static constexpr std::uint64_t kMaxKeptRows =
      1000000;  // kept rows live in memory (~100 doubles each)
  static constexpr std::uint64_t kMaxSrrcSamples = 10000000;
  static constexpr std::uint64_t kDefaultMaxPoints =
      10000;  // a point costs a full sweep of `samples`

  std::uint64_t samples = 10000;  // per grid point, [1, kMaxSamples]
  std::uint64_t seed = 1;         // any value
  int threads = 1;                // OpenMP threads, [1, kMaxThreads]; results do not depend on it
  std::uint64_t block = 512;      // samples per block (the unit of parallel work), [1, kMaxBlock]
  std::uint64_t keep_rows = 0;    // per-sample rows kept for --samples-out, [0, kMaxKeptRows]
  std::uint64_t srrc_samples = 20000;  // samples used for rank regression, [0, kMaxSrrcSamples]
  // Largest [sweep.grid] accepted, in points (product of the axes' lengths),
  // [1, 2^64-1]; run_sweep refuses a larger grid before evaluating anything.
  std::uint64_t max_points = kDefaultMaxPoints;
  // Called from one thread with (samples done, total) after blocks finish
  // and after each grid point.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
  const std::atomic<bool>* cancel = nullptr;
  // Several processes sharing the run (MPI; ranks.hpp), or none for one
  // process. Every rank calls run_sweep with the same scenario and options;
  // each evaluates its share of every grid point's sample blocks, and rank
  // 0's result is the one process's to the byte (the others' is partial).
  Ranks* ranks = nullptr;

  // Every field outside its range, in declaration order; empty when valid.
  std::vector<OptionProblem> problems() const;
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

// The cluster the sweep's own model picks for an actor when every sampled
// input sits at its median (grid-fixed ones at the point's values): the
// sample `estimate` runs. Which candidate wins, what binds it and its MFU
// with the MFU's basis, so a sweep names the cluster and basis its
// distribution is centred on.
struct MedianCluster {
  std::string chip_id;
  std::string system_id;  // empty: generic servers
  std::string system_label;
  std::string site;
  double chips = 0;
  model::Constraint binding = model::Constraint::chips;
  double sustained_flops = 0;
  double train_flop = 0;
  double mfu = 0;
  // For a step-model candidate: the fixed point at this cluster's size and
  // compute (the MFU table holds this value there; samples elsewhere take
  // the table's interpolation between fixed points).
  MfuBasis mfu_basis;
};

// A limit that binds in some samples and depends on settings the file left
// out (plan.hpp limit_defaults over the actor's candidates): once per actor.
struct SweepBindingDefaults {
  model::Constraint limit = model::Constraint::chips;
  double share = 0;  // of samples it binds in
  std::vector<DefaultedInput> defaults;
};

struct ActorSweep {
  std::string name;
  std::optional<MedianCluster> at_medians;  // none: the actor holds no chips
  std::vector<MetricSummary> metrics;
  std::array<double, model::kLimitCount> binding_share{};  // per constraint, in limits-table order
  std::vector<SweepBindingDefaults> binding_defaults;      // limits-table order
  std::vector<std::pair<std::string, double>> p_exceeds;   // per reference
  std::vector<TornadoBar> tornado;
  std::vector<RankCoefficient> srrc;
  double srrc_r2 = 0;
};

struct GridPoint {
  std::vector<std::pair<std::string, double>> settings;  // axis key -> value
  std::string sources;  // the reading it ran under (sweep --by-source), else empty
  std::vector<ActorSweep> actors;
};

struct SweepResult {
  std::string scenario_name;
  std::string scenario_file;
  std::uint64_t samples = 0;
  std::uint64_t seed = 0;
  int threads = 1;
  std::vector<std::string> inputs;      // labels
  std::size_t fixed_inputs = 0;         // of them, point estimates (sourced values that never vary)
  std::vector<std::string> references;  // ids
  std::vector<GridPoint> points;
  std::vector<std::string> row_columns;  // for --samples-out
  std::vector<std::vector<double>> rows;
  bool interrupted = false;
};

// Number of [sweep.grid] points: the product of the axes' lengths (1
// without a grid), saturating at 2^64-1.
std::uint64_t grid_point_count(const Scenario& scenario);

// Throws InputErrors for invalid options (file "sweep options", key the
// field), inconsistent correlations or grid keys, and for a grid of more than
// options.max_points points -- all before evaluating any sample.
SweepResult run_sweep(const Scenario& scenario, const Catalog& catalog,
                      const SweepOptions& options);

// Everything a re-implementation needs to evaluate the same samples: each
// candidate's fixed model inputs, how each sampled input maps onto them, the
// distributions (with PERT tables), the copula factor and the references.
// Used by bench/reference_numpy.py as an independent oracle.
std::string sweep_plan_json(const Scenario& scenario, const Catalog& catalog, std::uint64_t seed);

// The metric names reported per actor, in order ("ratio_vs_<id>" per reference).
std::vector<std::string> metric_names(const std::vector<std::string>& references);

}  // namespace clustercap::sweep
