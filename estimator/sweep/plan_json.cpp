// The sweep plan as JSON: everything an independent re-implementation
// needs to evaluate the same samples (bench/reference_numpy.py).
#include <cmath>
#include <nlohmann/json.hpp>

#include "estimator/scenario/copula.hpp"
#include "estimator/sweep/engine.hpp"
#include "estimator/sweep/sweep.hpp"
#include "hardware/common/input_error.hpp"

namespace clustercap::sweep {
namespace {

const char* target_name(Target t) {
  switch (t) {
    case Target::goodput:
      return "goodput";
    case Target::mfu:
      return "mfu";
    case Target::duration_s:
      return "duration_s";
    case Target::max_tokens:
      return "max_tokens";
    case Target::activation_memory_fraction:
      return "activation_memory_fraction";
    case Target::bytes_per_param:
      return "bytes_per_param";
    case Target::switch_w:
      return "switch_w";
    case Target::nic_transceiver_w:
      return "nic_transceiver_w";
    case Target::switch_transceiver_w:
      return "switch_transceiver_w";
    case Target::system_overhead:
      return "system_overhead";
    case Target::actor_budget_usd:
      return "budget_usd";
    case Target::site_power_w:
      return "site_power_w";
    case Target::site_pue:
      return "pue";
    case Target::inventory_count:
      return "inventory_count";
    case Target::inventory_mfu:
      return "mfu";
    case Target::inventory_price_usd:
      return "price_usd";
    case Target::supply_wafers_per_month:
      return "wafers_per_month";
    case Target::supply_yield:
      return "yield";
    case Target::supply_packages_per_month:
      return "packages_per_month";
    case Target::supply_stockpile_draw_per_month:
      return "stockpile_draw_per_month";
    case Target::supply_stockpile_stacks:
      return "stockpile_stacks";
    case Target::supply_stacks_per_month:
      return "stacks_per_month";
    case Target::supply_dies:
      return "dies";
    case Target::supply_units_per_month:
      return "units_per_month";
    case Target::supply_units_per_year:
      return "units_per_year";
    case Target::supply_licensed_units_per_month:
      return "licensed_units_per_month";
    case Target::actor_attrition_per_year:
      return "attrition_per_year";
    case Target::site_expansion_power_w:
      return "expansion_power_w";
    case Target::cost_switch_usd:
      return "switch_usd";
    case Target::cost_transceiver_usd:
      return "transceiver_usd";
    case Target::cost_facility_usd_per_mw:
      return "facility_usd_per_w";
    case Target::cost_opex_fraction_per_year:
      return "opex_fraction_per_year";
    case Target::cost_depreciation_years:
      return "depreciation_s";
    case Target::site_electricity_usd_per_mwh:
      return "electricity_usd_per_mwh";
    case Target::link_bandwidth_tbps:
      return "link_bandwidth_bits_per_s";
    case Target::link_distance_km:
      return "link_distance_km";
    case Target::link_latency_ms:
      return "link_latency_s";
    case Target::link_availability:
      return "link_availability";
    case Target::sync_every_steps:
      return "sync_every_steps";
    case Target::sync_penalty:
      return "sync_penalty";
  }
  return "";
}

}  // namespace

std::string sweep_plan_json(const Scenario& scenario, const Catalog& catalog, std::uint64_t seed) {
  using json = nlohmann::ordered_json;
  // The plan is the kernel's one-site candidates; a cluster across linked
  // sites is `estimate`'s per sample (multi_site.hpp), which no plan holds.
  for (const Actor& actor : scenario.actors) {
    if (!actor.links.empty())
      throw RuntimeFailure("sweep plan: actor \"" + actor.name +
                           "\" has [[actor.link]] WAN links; its samples run estimate across "
                           "sites, which the plan's one-site columns cannot describe");
  }
  const Engine engine(scenario, catalog, {});
  const Copula copula = make_copula(scenario);
  const model::ClusterBatch& b = engine.base();
  json columns = json::object();
#define CLUSTERCAP_EXPORT(name) \
  columns[#name] = std::vector<double>(b.name.data(), b.name.data() + b.name.size());
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_EXPORT)
#undef CLUSTERCAP_EXPORT
  for (auto& [key, value] : columns.items()) {
    for (auto& v : value) {
      if (v.is_number() && std::isinf(v.get<double>())) v = 1e308;  // JSON has no infinity
    }
  }
  json fabric = json::array();
  for (const auto& f : b.fabric) {
    fabric.push_back({{"switch_radix", f.switch_radix},
                      {"max_tiers", f.max_tiers},
                      {"planes", f.planes},
                      {"nic_transceiver_w", f.nic_transceiver_w},
                      {"switch_transceiver_w", f.switch_transceiver_w},
                      {"switch_ports_per_transceiver", f.switch_ports_per_transceiver},
                      {"switch_w", f.switch_w},
                      {"copper_first_tier", f.copper_first_tier}});
  }
  json candidates = json::array();
  for (const auto& c : engine.specs()) {
    candidates.push_back({{"actor", c.actor}, {"chip", c.chip->id}, {"lines", c.lines}});
  }
  json inputs = json::array();
  for (const auto& in : scenario.sweep.inputs) {
    const Distribution& d = in.dist;
    inputs.push_back({{"label", in.label()},
                      {"dist", to_string(d.kind)},
                      {"a", d.a},
                      {"b", d.b},
                      {"lo", std::isinf(d.lo) ? -1e308 : d.lo},
                      {"hi", std::isinf(d.hi) ? 1e308 : d.hi},
                      {"values", d.values},
                      {"cumulative", d.cumulative},
                      {"table", d.table},
                      {"clamp_lo", in.lo},
                      {"clamp_hi", in.hi}});
  }
  json bindings = json::array();
  for (const auto& bd : engine.bindings()) {
    bindings.push_back({{"target", target_name(bd.target)},
                        {"scale", bd.scale},
                        {"input", bd.input},
                        {"candidates", bd.cands},
                        {"actor", bd.actor},
                        {"line", bd.line}});
  }
  // Step-model MFU: each candidate's table (null when its MFU is an input).
  json tables = json::array();
  for (std::size_t c = 0; c < engine.candidates(); ++c) {
    const training::MfuTable* t = engine.mfu_table(c);
    if (t == nullptr) {
      tables.push_back(nullptr);
      continue;
    }
    std::vector<double> grid;
    for (std::size_t i = 0; i < t->chips_nodes().size(); ++i) {
      for (std::size_t j = 0; j < t->c1_nodes().size(); ++j) grid.push_back(t->node(i, j));
    }
    tables.push_back({{"chips", t->chips_nodes()}, {"c1_flop", t->c1_nodes()}, {"mfu", grid}});
  }
  json lower = json::array();
  for (Eigen::Index i = 0; i < copula.lower.rows(); ++i) {
    std::vector<double> row(static_cast<std::size_t>(copula.lower.cols()));
    for (Eigen::Index j = 0; j < copula.lower.cols(); ++j)
      row[static_cast<std::size_t>(j)] = copula.lower(i, j);
    lower.push_back(row);
  }
  json doc = {{"schema", "clustercap.plan.v1"},  // schemas/clustercap.plan.v1.json
              {"seed", seed},
              {"columns", columns},
              {"fabric", fabric},
              {"candidates", candidates},
              {"actor_candidates", engine.actor_candidates()},
              {"actor_names",
               [&] {
                 std::vector<std::string> n;
                 for (const auto& a : scenario.actors) n.push_back(a.name);
                 return n;
               }()},
              {"base_counts", engine.base_counts()},
              {"generic_tdp_w", engine.generic_tdp()},
              {"inputs", inputs},
              {"bindings", bindings},
              {"copula_inputs", copula.inputs},
              {"mfu_tables", tables},
              {"copula_lower", lower},
              {"references", engine.references()},
              {"reference_flops_per_goodput", engine.ref_per_goodput()}};
  return doc.dump() + "\n";
}

}  // namespace clustercap::sweep
