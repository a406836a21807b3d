// Uncertain inputs of a scenario: numbers written as distributions, their
// rank correlations, and grid axes for `sweep`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "estimator/scenario/distribution.hpp"

namespace clustercap::sweep {

// What a sampled value changes in the model.
enum class Target {
  goodput,
  mfu,
  duration_s,
  max_tokens,
  activation_memory_fraction,
  bytes_per_param,
  switch_w,
  nic_transceiver_w,
  switch_transceiver_w,
  system_overhead,
  actor_budget_usd,
  site_power_w,
  site_pue,
  inventory_count,
  inventory_mfu,
  inventory_price_usd
};

struct UncertainInput {
  std::string key;          // "actor.site.power_mw" (as in error messages)
  std::string indexed_key;  // "actor[1].site[0].power_mw" (one value)
  std::string name;         // optional label for correlations and reports
  std::string file;
  std::int64_t line = 0, column = 0;
  Distribution dist;
  double lo = 0, hi = 0;  // the key's valid range; samples are clamped to it
  double scale = 1;       // config unit to SI (MW -> W, days -> s)
  bool whole = false;     // samples are rounded to whole numbers (counts)
  Target target = Target::goodput;
  int actor = -1, site = -1, inventory = -1;  // indices the target refers to (0-based)

  std::string label() const { return name.empty() ? indexed_key : name; }
  // In config units, clamped (and whole for counts): at a uniform u, or at
  // a standard normal deviate z (the copula's), for one draw or eight.
  double sample(double u) const;
  model::Pack sample(model::Pack u) const;
  double sample_at_normal(double z) const;
  model::Pack sample_at_normal(model::Pack z) const;
};

struct Correlation {
  std::string a, b;  // input labels (name or indexed key)
  double spearman = 0;
  std::int64_t line = 0, column = 0;
};

struct GridAxis {
  std::string key;  // input label or indexed key of a number in the file
  std::vector<double> values;
  std::int64_t line = 0, column = 1;  // where the key's list starts
};

struct SweepSpec {
  std::vector<UncertainInput> inputs;
  std::vector<std::string> rejected_names;  // names of specs that failed to parse
  std::vector<Correlation> correlations;
  std::vector<GridAxis> grid;
  std::int64_t grid_line = 0,
               grid_column = 0;  // where [sweep.grid] is, for errors about the whole grid
};

// Fills target, scale, whole, clamp bounds (lo, hi) and indices from
// indexed_key, by the input table (estimator/scenario/inputs.hpp); false when
// the key cannot vary in a sweep (the caller reports it). Does not check that
// the indices exist in a scenario.
bool bind_target(UncertainInput& input);
// The input a [sweep.grid] key sets: `key` is an indexed key or a
// distribution's name (then its indexed key), bound as bind_target does;
// false when it names nothing a sweep can set.
bool bind_grid_key(const SweepSpec& spec, const std::string& key, UncertainInput& input);
// Keys that may be distributions, for error messages (from the input table).
const std::string& supported_keys();

}  // namespace clustercap::sweep
