#include "estimator/scenario/inputs.hpp"

#include <cmath>
#include <limits>

namespace clustercap {

namespace {

using sweep::Target;
constexpr double kSecondsPerDay = 86400.0;
constexpr double kMaxSupplyUnits = 1e12;  // a typo guard on supply quantities

std::vector<InputSpec> build_table() {
  // Ranges: the bounds the scenario loader has always applied to each key
  // (physical limits and typo guards, see scenario.hpp for each field).
  return {
      {"training.goodput", "fraction", 1, Range::unit_fraction(), false, Target::goodput,
       InputEffect::cluster_size},
      {"training.mfu", "fraction", 1, Range::unit_fraction(), false, Target::mfu,
       InputEffect::cluster_size},
      {"training.duration_days", "days", kSecondsPerDay, Range::positive(36500), false,
       Target::duration_s, InputEffect::step_model},
      {"training.max_tokens", "tokens", 1, Range::positive(1e18), false, Target::max_tokens,
       InputEffect::outputs_only},
      {"training.activation_memory_fraction", "fraction", 1, Range::closed(0, 0.95), false,
       Target::activation_memory_fraction, InputEffect::outputs_only},
      {"training.bytes_per_param", "bytes", 1, Range::closed(1, 64), false, Target::bytes_per_param,
       InputEffect::outputs_only},
      {"network.switch_w", "W", 1, Range::closed(0, 1e6), false, Target::switch_w,
       InputEffect::site_power},
      {"network.nic_transceiver_w", "W", 1, Range::closed(0, 1e4), false, Target::nic_transceiver_w,
       InputEffect::site_power},
      {"network.switch_transceiver_w", "W", 1, Range::closed(0, 1e4), false,
       Target::switch_transceiver_w, InputEffect::site_power},
      {"power.system_overhead", "x chip TDP", 1, Range::closed(1, 10), false,
       Target::system_overhead, InputEffect::site_power},
      {"actor[].budget_usd", "USD", 1, Range::positive(1e15), false, Target::actor_budget_usd,
       InputEffect::cluster_size},
      {"actor[].site[].power_mw", "MW", 1e6, Range::positive(1e6), false, Target::site_power_w,
       InputEffect::site_power},
      {"actor[].site[].pue", "ratio", 1, Range::closed(1, 3), false, Target::site_pue,
       InputEffect::site_power},
      {"actor[].inventory[].count", "chips", 1, Range::closed(0, 1e10), true,
       Target::inventory_count, InputEffect::cluster_size},
      {"actor[].inventory[].mfu", "fraction", 1, Range::unit_fraction(), false,
       Target::inventory_mfu, InputEffect::cluster_size},
      {"actor[].inventory[].price_usd", "USD", 1, Range::positive(1e9), false,
       Target::inventory_price_usd, InputEffect::cluster_size},
      // Supply over time ([[supply]] lines, attrition, site expansions):
      // the ranges supply_loader.cpp has always applied.
      {"supply[].wafers_per_month", "wafers/month", 1, Range::non_negative(1e7), false,
       Target::supply_wafers_per_month, InputEffect::supply},
      {"supply[].yield", "fraction", 1, Range::unit_fraction(), false, Target::supply_yield,
       InputEffect::supply},
      {"supply[].packages_per_month", "packages/month", 1, Range::non_negative(kMaxSupplyUnits),
       false, Target::supply_packages_per_month, InputEffect::supply},
      {"supply[].stockpile_draw_per_month", "dies/month", 1, Range::non_negative(kMaxSupplyUnits),
       false, Target::supply_stockpile_draw_per_month, InputEffect::supply},
      {"supply[].stockpile_stacks", "HBM stacks", 1, Range::non_negative(kMaxSupplyUnits), false,
       Target::supply_stockpile_stacks, InputEffect::supply},
      {"supply[].stacks_per_month", "HBM stacks/month", 1, Range::non_negative(kMaxSupplyUnits),
       false, Target::supply_stacks_per_month, InputEffect::supply},
      {"supply[].dies", "dies", 1, Range::non_negative(kMaxSupplyUnits), false, Target::supply_dies,
       InputEffect::supply},
      {"supply[].units_per_month", "units/month", 1, Range::non_negative(kMaxSupplyUnits), false,
       Target::supply_units_per_month, InputEffect::supply},
      // Smuggling is written per year and spread evenly over the months.
      {"supply[].units_per_year", "units/year", 1.0 / 12.0, Range::non_negative(kMaxSupplyUnits),
       false, Target::supply_units_per_year, InputEffect::supply},
      {"supply[].licensed_units_per_month", "units/month", 1, Range::non_negative(kMaxSupplyUnits),
       false, Target::supply_licensed_units_per_month, InputEffect::supply},
      {"actor[].attrition_per_year", "fraction/year", 1, Range{0.0, true, 1.0, false}, false,
       Target::actor_attrition_per_year, InputEffect::supply},
      {"actor[].site[].expansion[].power_mw", "MW", 1e6, Range::positive(1e6), false,
       Target::site_expansion_power_w, InputEffect::supply},
      // Costs (model/cost.hpp): network and facility prices size a budgeted cluster.
      {"cost.switch_usd", "USD", 1, Range::closed(0, 1e8), false, Target::cost_switch_usd,
       InputEffect::cluster_size},
      {"cost.transceiver_usd", "USD", 1, Range::closed(0, 1e7), false, Target::cost_transceiver_usd,
       InputEffect::cluster_size},
      {"cost.facility_usd_per_mw", "USD/MW", 1e-6, Range::closed(0, 1e9), false,
       Target::cost_facility_usd_per_mw, InputEffect::cluster_size},
      {"cost.opex_fraction_per_year", "fraction", 1, Range::closed(0, 1), false,
       Target::cost_opex_fraction_per_year, InputEffect::outputs_only},
      {"cost.depreciation_years", "years", 365.25 * kSecondsPerDay, Range::closed(0, 50), false,
       Target::cost_depreciation_years, InputEffect::outputs_only},
      {"actor[].site[].electricity_usd_per_mwh", "USD/MWh", 1, Range::positive(1e4), false,
       Target::site_electricity_usd_per_mwh, InputEffect::outputs_only},
      // WAN links and infrequent synchronisation (model/wan.hpp): the
      // ranges scenario_loader.cpp has always applied.
      {"actor[].link[].bandwidth_tbps", "Tbps", 1e12, Range::positive(1e6), false,
       Target::link_bandwidth_tbps, InputEffect::multi_site},
      {"actor[].link[].distance_km", "km", 1, Range::non_negative(1e5), false,
       Target::link_distance_km, InputEffect::multi_site},
      {"actor[].link[].latency_ms", "ms", 1e-3, Range::non_negative(1e4), false,
       Target::link_latency_ms, InputEffect::multi_site},
      {"actor[].link[].availability", "fraction", 1, Range::unit_fraction(), false,
       Target::link_availability, InputEffect::multi_site},
      {"training.sync_every_steps", "steps", 1, Range::closed(1, 1e6), true,
       Target::sync_every_steps, InputEffect::multi_site},
      {"training.sync_penalty", "fraction", 1, Range::closed(0, 0.99), false, Target::sync_penalty,
       InputEffect::multi_site},
  };
}

}  // namespace

std::string InputSpec::key() const {
  std::string text;
  for (char c : pattern) {
    if (c != '[' && c != ']') text += c;
  }
  return text;
}

std::string InputSpec::check(double value) const {
  if (!range.contains(value)) return range.rule();
  if (whole && value != std::floor(value)) return "must be a whole number";
  return "";
}

std::pair<double, double> clamp_bounds(const Range& range) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double lo = std::isfinite(range.min) ? range.min : -1e300;
  double hi = std::isfinite(range.max) ? range.max : 1e300;
  if (!range.min_inclusive && std::isfinite(range.min)) lo = std::nextafter(lo, kInf);
  if (!range.max_inclusive && std::isfinite(range.max)) hi = std::nextafter(hi, -kInf);
  return {lo, hi};
}

std::pair<double, double> InputSpec::clamp_bounds() const {
  auto bounds = clustercap::clamp_bounds(range);
  // Whole counts: the nearest whole numbers inside the range.
  if (whole) bounds = {std::ceil(bounds.first), std::floor(bounds.second)};
  return bounds;
}

const std::vector<InputSpec>& sweep_inputs() {
  static const std::vector<InputSpec> table = build_table();
  return table;
}

const InputSpec& input_spec(sweep::Target target) {
  for (const auto& spec : sweep_inputs()) {
    if (spec.target == target) return spec;
  }
  // Every Target has an entry (tested); reaching here is a programming error.
  throw RuntimeFailure("the sweep input table has no entry for a target");
}

const Range& input_range(std::string_view pattern) {
  if (const InputSpec* spec = find_input(pattern)) return spec->range;
  throw RuntimeFailure("the sweep input table has no entry " + std::string(pattern));
}

const InputSpec* find_input(std::string_view pattern) {
  for (const auto& spec : sweep_inputs()) {
    if (spec.pattern == pattern) return &spec;
  }
  return nullptr;
}

}  // namespace clustercap
