// `sweep` on a scenario with a [timeline]: the timeline (supply month by
// month, then the largest cluster each month) over many sampled scenarios.
//
// Every number written as a distribution -- supply rates, yields, HBM
// stocks, smuggling, import caps, site expansions, and the one-date inputs --
// is drawn per sample exactly as `sweep` draws it (the same counter-based
// streams and copula), written into a copy of the scenario, and the sample
// runs through run_timeline, the code `timeline` runs: a sample with every
// input at a single value gives `timeline`'s numbers. Grid points are the
// combinations of [sweep.grid] values and [sweep.policy] lever settings.
//
// Samples are evaluated in blocks of kTimelineBlock (block b holds samples
// b*kTimelineBlock ..); each block's statistics are integer counts (quantile
// sketch buckets, binding and exceedance counts, a histogram of first
// overtaking months), merged in block order, so the output is the same for
// any thread count and any split of the blocks (e.g. over MPI ranks).
// Memory does not grow with the number of samples.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "estimator/plan.hpp"
#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/sweep/sketch.hpp"
#include "estimator/sweep/sweep.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::sweep {

inline constexpr std::uint64_t kTimelineBlock = 16;  // samples per block (whole packs of 8)

// The fan's quantiles, per actor, month and metric.
inline constexpr std::array<double, 5> kFanQuantiles = {0.05, 0.25, 0.50, 0.75, 0.95};
inline constexpr std::array<const char*, 5> kFanQuantileNames = {"p5", "p25", "p50", "p75", "p95"};

// Per actor and month, in this order.
enum class TimelineMetric { stock_chips, stock_h100e, cluster_chips, sustained_flops };
inline constexpr std::size_t kTimelineMetricCount = 4;
inline constexpr std::array<const char*, kTimelineMetricCount> kTimelineMetricNames = {
    "stock_chips", "stock_h100e", "cluster_chips", "sustained_flops"};

struct TimelineMonthSweep {
  supply::Month month = 0;
  // [metric][quantile], kFanQuantiles order.
  std::array<std::array<double, kFanQuantiles.size()>, kTimelineMetricCount> quantiles{};
  std::array<double, model::kLimitCount> binding_share{};  // per constraint, limits-table order
  std::vector<double> p_exceeds;                           // per reference: ratio >= 1
};

// The first month an actor's largest cluster reaches a reference's sustained
// FLOP/s, over the samples.
struct OvertakeSweep {
  std::string reference;
  // kFanQuantiles of the first month; none where that quantile falls
  // beyond the horizon (not overtaken within it).
  std::array<std::optional<supply::Month>, kFanQuantiles.size()> quantiles{};
  double p_never = 0;              // share of samples not overtaken within the horizon
  std::vector<double> p_by_month;  // per month of the horizon: P(first month <= it)
};

struct TimelineActorSweep {
  std::string name;
  std::vector<TimelineMonthSweep> months;
  std::vector<OvertakeSweep> overtakes;  // per reference
};

// One grid point: its numeric [sweep.grid] values and lever settings.
struct TimelineGridPoint {
  std::vector<std::pair<std::string, double>> grid;
  std::vector<std::pair<std::string, std::string>> levers;  // "licence.nvidia_h20" -> "open"
  std::vector<TimelineActorSweep> actors;
};

struct TimelineSweepResult {
  std::string scenario_name;
  std::string scenario_file;
  std::uint64_t samples = 0;  // per grid point; 1 when no input varies
  std::uint64_t seed = 0;
  int threads = 1;
  std::vector<std::string> inputs;      // labels of the sampled inputs
  std::vector<std::string> references;  // ids
  supply::Month start = 0, end = 0;     // the horizon, inclusive
  // The month "P(overtaken by)" is read at in summaries: the scenario's date
  // when it falls within the horizon, else the horizon's last month.
  supply::Month by_month = 0;
  std::vector<TimelineGridPoint> points;
  bool interrupted = false;
};

// Integer statistics of a run of samples at one grid point. Blocks are
// summarised apart and merged in block order (merge() is also exact in
// any order: every field is a count).
struct TimelineAccumulator {
  std::size_t actors = 0, months = 0, references = 0;
  std::uint64_t samples = 0;
  std::vector<QuantileSketch> sketches;   // [actor][month][metric]
  std::vector<std::uint64_t> bindings;    // [actor][month][constraint]
  std::vector<std::uint64_t> exceeds;     // [actor][month][reference]
  std::vector<std::uint64_t> first_hist;  // [actor][reference][month, or `months`: never]

  TimelineAccumulator(std::size_t a, std::size_t m, std::size_t r);
  void merge(const TimelineAccumulator& other);
};

// One grid point ready to evaluate samples: the scenario at the point's
// grid values (levers are applied after each sample's values).
//
// A sample runs the steps of run_timeline that decide what the sweep
// records -- the supply simulation, the actor-months' candidates, their
// batch with step-model MFU, the cluster model and each actor-month's
// preferred candidate -- and skips what only `timeline`'s report reads
// (warnings, export flags, binding defaults, cost and training figures), so
// its numbers are run_timeline's (a test compares the two). Scenarios with
// WAN links between sites run the whole run_timeline (its multi-site
// choice). When every sampled input is one the MFU fixed point and the
// reference clusters do not read (supply, stock, site, cost: not [training]
// or server overhead), the fixed point at a chip, system and chip count is
// the same in every sample: each thread keeps it (MfuMemo) across samples,
// and the references are evaluated once.
class TimelinePointRunner {
 public:
  TimelinePointRunner(const Scenario& scenario, const Catalog& catalog,
                      std::vector<std::pair<std::string, double>> grid,
                      std::vector<std::pair<const PolicyLever*, std::size_t>> levers,
                      std::uint64_t seed);
  std::size_t actors() const { return base_.actors.size(); }
  std::size_t months() const;
  std::size_t references() const { return base_.reference_ids.size(); }
  // What one thread keeps from sample to sample (pass the same one to its
  // blocks; never share one between threads).
  struct Scratch {
    MfuMemo predictions;
  };
  // Samples [first, first + n) into `acc`; first a multiple of 8.
  void run_block(std::uint64_t first, std::uint64_t n, TimelineAccumulator& acc,
                 Scratch& scratch) const;
  void run_block(std::uint64_t first, std::uint64_t n, TimelineAccumulator& acc) const;
  // The sample with every sampled input at `values` (config units).
  Scenario scenario_at(const std::vector<double>& values) const;
  // true: every sample runs the whole run_timeline (the path the default
  // one is tested against).
  void set_full_timelines(bool full) { full_ = full; }
  // Whether the samples share MFU predictions and references (above).
  bool shares_predictions() const { return shares_; }

 private:
  void run_sample(const Scenario& sample, TimelineAccumulator& acc, Scratch& scratch) const;

  const Scenario& original_;
  const Catalog& catalog_;
  Scenario base_;
  Copula copula_;
  std::vector<char> sampled_;  // per input: drawn per sample (not fixed by the grid)
  std::vector<std::pair<const PolicyLever*, std::size_t>> levers_;
  std::uint64_t seed_ = 0;
  bool full_ = false;                    // every sample through run_timeline
  bool shares_ = false;                  // samples share predictions and references
  std::vector<double> reference_flops_;  // sustained FLOP/s per reference, when shared
};

// Writes `value` (config units, as in the file) where `input` points in
// `scenario`: the model field its input-table entry sets. The value must
// pass the entry's check (callers sample, clamp or check it first).
void set_input(Scenario& scenario, const UncertainInput& input, double value);

// Applies one lever setting (the lever's labels[setting]) to `scenario`.
void apply_lever(Scenario& scenario, const Catalog& catalog, const PolicyLever& lever,
                 std::size_t setting);

// Needs scenario.timeline. Throws InputErrors for invalid options, and as
// run_sweep does for inconsistent inputs or a grid over options.max_points.
TimelineSweepResult run_timeline_sweep(const Scenario& scenario, const Catalog& catalog,
                                       const SweepOptions& options);

}  // namespace clustercap::sweep
