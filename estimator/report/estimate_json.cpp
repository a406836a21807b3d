#include <cmath>

#include "estimator/report/default_text.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/layout_json.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/source_text.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;

// Counts print as JSON integers up to 2^53, beyond as numbers, +inf ("no
// limit") as null (number_format.hpp).
json whole(double value, const char* what = "count") {
  checked_count(value, what);
  if (std::isinf(value)) return nullptr;
  if (const auto integer = exact_integer(value)) return *integer;
  return value;
}

json optional_number(const std::optional<double>& value, double scale = 1.0) {
  return value ? json(*value * scale) : json(nullptr);
}

// A metric's value as JSON: counts as integers.
json metric_json(const Metric& metric, double value) {
  return metric.style == MetricStyle::count ? whole(value) : json(value);
}

// `fields` with the metrics table's entries of `scope` placed after the
// keys they follow (each entry may be followed by others), then those
// without one.
json with_metrics(const json& fields, const MetricValues& values, MetricScope scope) {
  json out = json::object();
  const auto place_after = [&](const char* key, const auto& self) -> void {
    for (std::size_t k = 0; k < kMetricCount; ++k) {
      const Metric& m = kMetrics[k];
      if (m.scope != scope || (key == nullptr) != (m.json_after == nullptr)) continue;
      if (key != nullptr && !detail::same(m.json_after, key)) continue;
      out[m.name] = metric_json(m, values[k]);
      self(m.name, self);
    }
  };
  for (const auto& item : fields.items()) {
    out[item.key()] = item.value();
    place_after(item.key().c_str(), place_after);
  }
  place_after(nullptr, place_after);
  return out;
}

// How the MFU was predicted, or why not (then the basis names the fallback).
json mfu_prediction_json(const ClusterResult& c) {
  const training::MfuPrediction& p = c.mfu_prediction;
  json j = {{"predicted", c.mfu_step_model && p.predicted}};
  if (!c.mfu_step_model) {
    j["fallback_reason"] = "step model not used: " + describe_mfu_basis(c.mfu_basis);
    return j;
  }
  if (p.predicted) {
    j["mfu"] = p.mfu;
    j["params"] = p.params;
    j["shape"] = {{"layers", p.shape.layers},
                  {"hidden", p.shape.hidden},
                  {"ffn", p.shape.ffn},
                  {"heads", p.shape.heads},
                  {"kv_heads", p.shape.kv_heads},
                  {"seq_len", p.shape.seq_len},
                  {"global_batch_tokens", p.shape.global_batch_tokens}};
    j["layout"] = layout_json(p.layout);
    j["modelled_chips"] = p.modelled_chips;
    j["chips_used"] = p.idles() ? p.chips_used : p.chips;
    j["layout_mfu"] = p.idles() ? p.layout_mfu : p.mfu;
    j["all_chips_mfu"] = !p.idles()              ? json(p.mfu)
                         : p.all_chips_predicted ? json(p.all_chips_mfu)
                                                 : json(nullptr);
  } else {
    j["params"] = p.params > 0 ? json(p.params) : json(nullptr);
    j["layout"] = nullptr;
  }
  j["iterations"] = p.iterations;
  j["converged"] = p.converged;
  j["residual"] = p.residual;
  j["on_step"] = p.on_step;
  j["fallback_reason"] = p.predicted ? json(nullptr) : json(describe_no_prediction(p));
  return j;
}

// Where the cluster's chips are, one entry per site.
json sites_json(const ClusterResult& c) {
  json sites = json::array();
  for (const SiteShare& s : c.sites) {
    sites.push_back({{"name", s.name},
                     {"chips", whole(s.chips)},
                     {"systems", whole(s.systems)},
                     {"it_power_mw", s.it_power_w / 1e6},
                     {"facility_power_mw", s.facility_power_w / 1e6},
                     {"mfu", s.mfu}});
  }
  return sites;
}

// The WAN a cluster across sites runs over; null for one site.
json wan_json(const ClusterResult& c) {
  if (!c.wan) return nullptr;
  const WanSummary& w = *c.wan;
  return {{"ring", w.ring},
          {"links_used", w.links},
          {"bandwidth_tbps", w.bandwidth_bits_per_s / 1e12},
          {"hop_latency_ms", w.hop_latency_s * 1e3},
          {"availability", w.availability},
          {"params", w.params},
          {"batch_tokens", w.batch_tokens},
          {"batch_source", w.batch_from_file ? "training.batch_tokens" : "step-model batch rule"},
          {"sync_every_steps", w.sync_every_steps},
          {"sync_penalty", w.sync_penalty},
          {"sync_penalty_basis",
           w.sync_penalty_basis.empty() ? json(nullptr) : json(w.sync_penalty_basis)},
          {"bytes_per_step", w.step.bytes_per_step},
          {"allreduce_s", w.step.allreduce_s},
          {"compute_s_per_step", w.step.compute_s},
          {"exposed_s_per_step", w.step.exposed_s},
          {"sustained_flops_before_wan", w.sustained_flops_before_wan},
          {"efficiency", w.step.efficiency}};
}

json cluster_json(const ClusterResult& c, const MetricValues& metrics) {
  json limits = json::object();
  for (std::size_t k = 0; k < model::kLimitCount; ++k)
    limits[model::kLimitNames[k]] = whole(c.limits[k], "limit");
  json network = {{"tiers", c.network.tiers},
                  {"switches", whole(c.network.switches)},
                  {"transceivers", whole(c.network.transceivers)},
                  {"power_mw", c.network.power_w / 1e6},
                  {"endpoints", whole(c.network.endpoints)},
                  {"included_in_system_power", c.network.included_in_system_power}};
  if (const auto& d = c.network.planes_default) {  // only when the file leaves planes out
    network["planes_default"] = {
        {"key", d->key},
        {"value", whole(d->value)},
        {"source", d->source == DefaultSource::catalog ? "catalog" : "default"},
        {"catalog_id", d->catalog_id.empty() ? json(nullptr) : json(d->catalog_id)}};
  }
  const json fields = {{"chip", c.chip_id},
                       {"system", c.system_id.empty() ? json(nullptr) : json(c.system_id)},
                       {"system_label", c.system_label},
                       {"site", c.site},
                       {"systems", whole(c.systems)},
                       {"chips_per_system", whole(c.chips_per_system)},
                       {"binding_constraint", model::to_string(c.binding)},
                       {"limits", limits},
                       {"system_it_power_kw", c.system_it_power_w / 1e3},
                       {"power_basis", describe_power_basis(c.system_power)},
                       {"it_power_mw", c.it_power_w / 1e6},
                       {"site_power_mw", c.site_power_w / 1e6},
                       {"pue", c.pue},
                       {"network", network},
                       {"peak_flops", c.peak_flops},
                       {"mfu", c.mfu},
                       {"mfu_basis", describe_mfu_basis(c.mfu_basis)},
                       {"mfu_prediction", mfu_prediction_json(c)},
                       {"training_chips", whole(c.training_chips)},
                       {"h100e", c.h100e},
                       {"sites", sites_json(c)},
                       {"wan", wan_json(c)}};
  return with_metrics(fields, metrics, MetricScope::cluster);
}

// Total cost of ownership: the metrics of the cost scopes, the run's energy,
// the electricity price used and, when the budget binds, each part's share
// of the capex it pays for.
json cost_json(const ClusterResult& c, const MetricValues& metrics) {
  json parts = json::object();
  double capex = 0;
  for (std::size_t k = 0; k < kMetricCount; ++k) {
    const Metric& m = kMetrics[k];
    if (m.scope == MetricScope::cost && detail::same(m.name, "capex_usd")) capex = metrics[k];
    if (m.scope != MetricScope::capex_part) continue;
    std::string key = m.name;  // capex_<part>_usd
    parts[key.substr(6, key.size() - 10)] = metrics[k];
  }
  json budget = nullptr;
  if (!std::isinf(c.budget_usd)) {
    json shares = json::object();
    for (const auto& item : parts.items())
      shares[item.key()] = capex > 0 ? item.value().get<double>() / capex : 0.0;
    budget = {{"budget_usd", c.budget_usd},
              {"binds", c.binding == model::Constraint::budget},
              {"share_of_capex", shares}};
  }
  const std::size_t energy = metric_index("energy_per_run_mwh");
  const bool price_known = systems_priced(c, metrics);
  json j = with_metrics({{"chip_price_known", price_known},
                         {"capex_breakdown_usd", parts},
                         {"energy_mwh", metrics[energy]},
                         {"electricity_usd_per_mwh", c.electricity_usd_per_mwh},
                         {"electricity_default", c.electricity_defaulted}},
                        metrics, MetricScope::cost);
  j["budget"] = budget;
  return j;
}

// Each catalog figure the cluster used, by chip or system id then catalog
// key, with its unit, estimate flag and sources.
json catalog_figures_json(const std::vector<CitedFigure>& figures) {
  json by_entry = json::object();
  for (const auto& f : figures) {
    by_entry[f.entry_id][f.key] = {
        {"value", f.value}, {"unit", f.unit}, {"estimated", f.estimated}, {"sources", f.sources}};
  }
  return by_entry;
}

json training_json(const TrainingResult& t, const MetricValues& metrics) {
  json j = with_metrics({{"duration_days", t.duration_s / 86400.0},
                         {"goodput", t.goodput},
                         {"tokens", t.tokens},
                         {"limited_by", model::to_string(t.limited_by)},
                         {"params_compute_optimal", t.params_compute_optimal},
                         {"params_memory_limit", t.params_memory_limit},
                         {"model_train_flop", t.model_train_flop}},
                        metrics, MetricScope::training);
  if (t.has_workload) {
    j["workload"] = t.workload_name;
    j["workload_fits"] = t.workload_fits;
    j["layouts_evaluated"] = t.layouts_evaluated;
    j["scaleout_gbps_per_chip"] = t.scaleout_gbps;
    j["scaleout_source"] = t.scaleout_source;
    if (t.workload_fits) {
      j["layout"] = layout_json(t.layout);
      j["step_time_s"] = t.step_time_s;
      j["mfu"] = t.predicted_mfu;
      j["tokens_per_s"] = t.tokens_per_s;
      j["days"] = t.days_to_train;
      j["step_breakdown_s"] = step_breakdown_json(t.step);
      j["dp_overlap_fraction"] = t.step.dp_overlap_fraction;
      j["memory_per_chip_gb"] = t.step.memory_bytes / 1e9;
    } else {
      // No valid layout at all: no memory need to report (not 0 GB).
      j["min_memory_per_chip_gb"] =
          t.layouts_evaluated > 0 ? json(t.min_memory_per_chip_bytes / 1e9) : json(nullptr);
      j["hbm_per_chip_gb"] = t.hbm_per_chip_bytes / 1e9;
    }
  }
  return j;
}

}  // namespace

json estimate_to_json(const EstimateResult& result) {
  json actors = json::array();
  for (const auto& a : result.actors) {
    json inventory = json::array();
    for (const auto& s : a.inventory) {
      json by_source = json::object();
      for (const auto& [source, count] : s.by_source) by_source[to_string(source)] = whole(count);
      json item = {{"chip", s.chip_id},
                   {"count", whole(s.count)},
                   {"h100e", s.h100e},
                   {"by_source", by_source}};
      if (s.export_control) {
        item["export_control"] = {{"rule", s.export_control->rule},
                                  {"status", s.export_control->status},
                                  {"controlled", s.export_control->controlled},
                                  {"named", s.export_control->named}};
      }
      inventory.push_back(item);
    }
    json comparisons = json::array();
    for (const auto& r : a.vs_reference) {
      comparisons.push_back({{"reference", r.reference},
                             {"ratio_sustained_flops", r.ratio_sustained_flops},
                             {"ratio_chips", r.ratio_chips},
                             {"ratio_h100e", r.ratio_h100e},
                             {"ratio_power", optional_number(r.ratio_power)}});
    }
    json candidates = json::array();
    for (const auto& c : a.candidates) {
      candidates.push_back({{"chip", c.chip_id},
                            {"system_label", c.system_label},
                            {"site", c.site},
                            {"chips", whole(c.chips)},
                            {"binding_constraint", model::to_string(c.binding)},
                            {"sustained_flops", c.sustained_flops},
                            {"facility_power_mw", c.facility_power_w / 1e6},
                            {"mfu", c.mfu},
                            {"mfu_basis", describe_mfu_basis(c.mfu_basis)}});
    }
    actors.push_back(
        {{"name", a.name},
         {"centralize", a.centralize},
         {"inventory", inventory},
         {"inventory_total", {{"count", whole(a.inventory_count)}, {"h100e", a.inventory_h100e}}},
         {"cluster", cluster_json(a.cluster, a.metrics)},
         {"training", training_json(a.training, a.metrics)},
         {"cost", cost_json(a.cluster, a.metrics)},
         {"vs_reference", comparisons},
         {"candidates", candidates},
         {"warnings", estimate_warnings(a)}});
    actors.back()["catalog_figures"] = catalog_figures_json(a.catalog_figures);
  }
  json references = json::array();
  for (const auto& r : result.references) {
    references.push_back({{"id", r.id},
                          {"name", r.name},
                          {"chips", whole(r.chips)},
                          {"h100e", r.h100e},
                          {"sustained_flops", r.sustained_flops},
                          {"mfu", r.mfu},
                          {"mfu_basis", describe_mfu_basis(r.mfu_basis)},
                          {"power_mw", optional_number(r.power_w, 1e-6)},
                          {"power_scope", r.power_scope}});
  }
  const std::string precision(to_string(result.precision));
  return {{"schema", kEstimateSchema},
          {"clustercap_version", kVersion},
          {"scenario",
           {{"name", result.scenario_name},
            {"file", result.scenario_file},
            {"date", result.scenario_date},
            {"description", result.description},
            {"precision", precision},
            {"export_rule", result.export_rule},
            {"medians_used",
             [&] {
               json m = json::object();
               for (const auto& [label, value] : result.medians_used) m[label] = value;
               return m;
             }()},
            {"sources", sources_json(result.sources_used, result.source_choice)},
            {"h100e_basis",
             "dense " + precision + " peak / nvidia_h100_sxm dense " + precision + " peak"}}},
          {"actors", actors},
          {"references", references}};
}

void write_estimate_json(const EstimateResult& result, std::ostream& out) {
  out << estimate_to_json(result).dump(2) << '\n';
}

}  // namespace clustercap::report
