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
  inventory_price_usd,
  // Supply over time: only `sweep` on a [timeline] scenario varies these
  // (InputEffect::supply); each sample re-runs the supply simulation.
  supply_wafers_per_month,
  supply_yield,
  supply_packages_per_month,
  supply_stockpile_draw_per_month,
  supply_stockpile_stacks,
  supply_stacks_per_month,
  supply_dies,
  supply_units_per_month,
  supply_units_per_year,
  supply_licensed_units_per_month,
  actor_attrition_per_year,
  site_expansion_power_w,
  cost_switch_usd,
  cost_transceiver_usd,
  cost_facility_usd_per_mw,
  cost_opex_fraction_per_year,
  cost_depreciation_years,
  site_electricity_usd_per_mwh,
  // Training across WAN-linked sites (model/wan.hpp): only actors with
  // [[actor.link]] use them, through `estimate` per sample (multi_site.hpp).
  link_bandwidth_tbps,
  link_distance_km,
  link_latency_ms,
  link_availability,
  sync_every_steps,
  sync_penalty
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
  int supply = -1, expansion = -1;            // [[supply]] line, site's [[...expansion]]
  int link = -1;                              // the actor's [[actor.link]]

  std::string label() const { return name.empty() ? indexed_key : name; }
  // A single value (a source's point estimate): it never varies.
  bool fixed() const { return dist.kind == DistKind::choice && dist.values.size() == 1; }
  // In config units, clamped (and whole for counts): at a uniform u, or at
  // a standard normal deviate z (the copula's), for one draw or eight.
  double sample(double u) const;
  model::Pack sample(model::Pack u) const;
  double sample_at_normal(double z) const;
  model::Pack sample_at_normal(model::Pack z) const;
};

// One published estimate of a scenario input: who gives it, when, where the
// project documents it, and its value (a number or a distribution).
struct SourceEstimate {
  std::string by;     // source id: "epoch", "commerce", "cnas", ...
  std::string date;   // "YYYY-MM-DD": when the source published it
  std::string cite;   // where the figure is documented ("docs/policy-supply.md §B.3")
  std::string note;   // optional: how the figure was read or derived
  double weight = 1;  // its weight when the sources are mixed
  Distribution dist;  // a point estimate is a choice of one value
  bool point = false;
  std::int64_t line = 0, column = 0;
};

// A scenario input written as competing estimates: which one a run used,
// and all of them (for reports and `sweep --by-source`).
struct SourcedInput {
  std::string key;          // "actor.inventory.count"
  std::string indexed_key;  // "actor[1].inventory[0].count"
  std::string name;
  std::vector<SourceEstimate> estimates;
  int used = -1;                 // index into estimates; -1 when they are mixed
  bool from_preference = false;  // chosen by the run's source list (else the value's own `use`)
  double value = 0;              // the value the point estimate used (the chosen median)
  std::string label() const { return name.empty() ? indexed_key : name; }
};

// The run's source preference: ids tried in order for every sourced input,
// or "mix" (weight each input's estimates); empty = each input's own `use`.
struct SourceChoice {
  std::vector<std::string> preference;
  std::string reading;                // the named reading it came from, if any
  std::int64_t line = 0, column = 0;  // the file's [sources] use (0: from the command line)
  bool mix() const {
    for (const auto& id : preference) {
      if (id == "mix") return true;
    }
    return false;
  }
};

struct Correlation {
  std::string a, b;  // input labels (name or indexed key)
  double spearman = 0;
  std::int64_t line = 0, column = 0;
  std::string file{};  // where the table is (a --set's label when it added it)
};

struct GridAxis {
  std::string key;  // input label or indexed key of a number in the file
  std::vector<double> values;
  std::int64_t line = 0, column = 1;  // where the key's list starts
  std::string file{};                 // ... in this file (a --set's label when it set the list)
};

// A policy lever: a categorical axis of the grid ([sweep.policy]) that
// changes how a timeline's supply runs. Each value is one setting; the grid
// runs every combination of levers and numeric [sweep.grid] values.
enum class LeverKind {
  export_rule,            // rule vintage applied to imports: a vintage id, or "none"
  licence,                // import licences for one chip: "open" (no cap) or "closed" (none)
  licence_cap,            // import licences for one chip, capped at N units a month
  smuggling_enforcement,  // multiplier on every smuggling line's units (1 = as written)
  hbm_choke,              // "on": HBM pools get no new stacks after their stockpile
  site_expansions,        // "off": sites stay at their starting power (no expansions)
};

struct PolicyLever {
  std::string key;  // as written under [sweep.policy]: "licence.nvidia_h20"
  LeverKind kind = LeverKind::export_rule;
  std::string chip_id;              // licence, licence_cap: the chip
  std::vector<std::string> labels;  // each setting as reports print it
  std::vector<double> values;       // numeric settings (multiplier, cap); empty for named ones
  std::int64_t line = 0, column = 1;
  std::string file{};
};

struct SweepSpec {
  std::vector<UncertainInput> inputs;
  std::vector<SourcedInput> sourced;  // inputs written as competing estimates
  SourceChoice sources;               // the preference this load applied
  // [sources.readings]: named preference lists, by name.
  std::vector<std::pair<std::string, std::vector<std::string>>> readings;
  std::vector<std::string> rejected_names;  // names of specs that failed to parse
  std::vector<Correlation> correlations;
  std::vector<GridAxis> grid;
  std::vector<PolicyLever> levers;  // [sweep.policy]: only with a [timeline]
  std::int64_t grid_line = 0,
               grid_column = 0;  // where [sweep.grid] is, for errors about the whole grid
};

// Every source id an estimate of a sourced input is by, each once, in the
// order they first appear in the file.
std::vector<std::string> source_ids(const SweepSpec& spec);

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
