#include "estimator/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "estimator/model/cluster_row.hpp"
#include "estimator/plan.hpp"
#include "estimator/timeline.hpp"
#include "estimator/training/search.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/toml_reader.hpp"
#include "power/system_power.hpp"

namespace clustercap {
namespace {

std::vector<InventorySummary> summarise_inventory(const Actor& actor, Precision precision,
                                                  const Catalog& catalog) {
  std::vector<InventorySummary> summary;
  for (const auto& line : actor.inventory) {
    auto it = std::find_if(summary.begin(), summary.end(),
                           [&](const InventorySummary& s) { return s.chip_id == line.chip_id; });
    if (it == summary.end()) {
      summary.emplace_back();
      summary.back().chip_id = line.chip_id;
      it = summary.end() - 1;
    }
    it->count += line.count;
    auto source = std::find_if(it->by_source.begin(), it->by_source.end(),
                               [&](const auto& p) { return p.first == line.source; });
    if (source == it->by_source.end()) {
      it->by_source.emplace_back(line.source, line.count);
    } else {
      source->second += line.count;
    }
  }
  for (auto& s : summary) {
    s.h100e =
        s.count * h100_equivalents_per_chip(*catalog.find_chip(s.chip_id), precision, catalog);
  }
  return summary;
}

// One line per flagged chip, worded for how the actor came to hold it.
std::string export_warning(const InventorySummary& s, const ExportFlag& flag,
                           const std::string& country) {
  const std::string what = flag.controlled ? flag.status + " under rule " + flag.rule
                                           : "named for licensing under rule " + flag.rule;
  bool smuggled = false, imported = false, domestic = false;
  for (const auto& [source, count] : s.by_source) {
    smuggled = smuggled || source == SupplySource::smuggled;
    imported = imported || source == SupplySource::imports;
    domestic = domestic || source == SupplySource::domestic || source == SupplySource::stockpile;
  }
  std::string consequence = "exports to " + country + " need a licence";
  if (smuggled) consequence += "; the smuggled stock is held outside it";
  if (imported) consequence += "; stock imported before the rule still counts";
  if (domestic) consequence += "; domestic supply is not blocked by it";
  return s.chip_id + ": " + what + " (" + consequence + "); counted in the inventory";
}

// Flags chips the scenario's export rule controls for this actor's country.
void flag_export_controls(ActorResult& ar, const Actor& actor, const Scenario& scenario,
                          const Catalog& catalog) {
  if (!scenario.export_rule) return;
  const export_control::Vintage& rule = *scenario.export_rule;
  const bool destination = std::find(rule.destinations.begin(), rule.destinations.end(),
                                     actor.country) != rule.destinations.end();
  for (auto& s : ar.inventory) {
    ExportFlag flag;
    flag.rule = rule.id;
    // Any reading of the chip's rates that the rule controls counts.
    for (const auto& metrics : export_control::chip_metrics(*catalog.find_chip(s.chip_id))) {
      const export_control::Verdict v = export_control::classify(metrics, rule);
      if (flag.status.empty() || v.controlled) flag.status = v.status;
      flag.controlled = flag.controlled || (destination && v.controlled);
      if (flag.named.empty()) flag.named = v.named_effects;
    }
    if (!destination) flag.named.clear();
    if (flag.controlled || !flag.named.empty()) {
      ar.warnings.push_back(export_warning(s, flag, actor.country));
    }
    s.export_control = flag;
  }
}

// Inventory the model cannot use (missing_for_estimate) is left out of the
// actor's clusters: one warning per chip and system, naming what is missing
// and the key that would supply it.
void warn_unusable_lines(ActorResult& ar, const Actor& actor, const Scenario& scenario,
                         const Catalog& catalog) {
  struct Left {
    std::string chip_id;
    std::string system_id;
    double count = 0;
    std::vector<MissingFigure> missing;
  };
  std::vector<Left> left;
  for (const InventoryLine& line : actor.inventory) {
    const Chip* chip = catalog.find_chip(line.chip_id);
    if (chip == nullptr) continue;  // the loader reported it
    const std::string& system_id = line.system_id.empty() ? chip->default_system : line.system_id;
    const System* system = system_id.empty() ? nullptr : catalog.find_system(system_id);
    auto missing = missing_for_estimate(*chip, system, scenario.training.precision,
                                        mfu_supplied(line.mfu, scenario.training, *chip));
    if (missing.empty()) continue;
    auto it = std::find_if(left.begin(), left.end(), [&](const Left& l) {
      return l.chip_id == chip->id && l.system_id == system_id;
    });
    if (it == left.end()) {
      left.push_back({chip->id, system_id, 0, std::move(missing)});
      it = left.end() - 1;
    }
    it->count += line.count;
  }
  for (const Left& l : left) {
    std::vector<std::string> figures;  // the catalog's missing figures
    std::string mfu_part;
    for (const MissingFigure& m : l.missing) {
      if (m.key == "mfu") {
        mfu_part = "no " + m.figure + "; set mfu on the inventory line or in [training]";
      } else {
        figures.push_back("no " + m.figure + " (" + m.key + ")");
      }
    }
    const std::size_t n = figures.size();
    std::string catalog_part;
    for (std::size_t k = 0; k < n; ++k) {
      catalog_part += (k == 0 ? "" : k + 1 == n ? " and " : ", ") + figures[k];
    }
    std::string text = l.chip_id + (l.system_id.empty() ? "" : " in " + l.system_id) + ": " +
                       format_number(l.count) +
                       " chips left out of every cluster: the catalog has ";
    if (!catalog_part.empty()) {
      text += catalog_part + "; add " + (n == 1 ? "it" : "them") + " with --hardware";
      if (!mfu_part.empty()) text += ", and " + mfu_part;
    } else {
      text += mfu_part;
    }
    ar.warnings.push_back(text);
  }
}

ReferenceResult evaluate_reference(const ReferenceCluster& cluster, const Scenario& scenario,
                                   const Catalog& catalog) {
  ReferenceResult result;
  result.id = cluster.id;
  result.name = cluster.name;
  result.power_w = cluster.power_w;
  result.power_scope = cluster.power_scope;
  const TrainingSettings& t = scenario.training;
  const Precision p = t.precision;
  struct Part {
    const Chip* chip;
    double count;
  };
  std::vector<Part> parts;
  const std::pair<std::string, std::optional<std::int64_t>> listed[] = {
      {cluster.chip_id, cluster.chip_count},
      {cluster.chip_secondary_id, cluster.chip_secondary_count}};
  for (const auto& [chip_id, count] : listed) {
    if (chip_id.empty() || !count) continue;
    parts.push_back({catalog.find_chip(chip_id), static_cast<double>(*count)});
    result.chips += parts.back().count;
  }
  // The same goodput assumption as the actors: as given, or failures at this size.
  const double goodput = scenario_goodput(scenario, result.chips);
  // One run on the whole cluster: its compute sets the model, whose MFU on
  // each chip type is predicted at the whole cluster's size.
  double c1_flop = 0, memory_cap = 0;
  for (const Part& part : parts) {
    c1_flop += model::compute_per_unit_mfu_t(part.count, part.chip->peak_flops(p).value_or(0.0),
                                             goodput, t.duration_s);
    memory_cap += memory_params_cap(*part.chip, scenario, part.count);
  }
  double peak = 0;
  for (const Part& part : parts) {
    // The candidates' precedence, without an inventory line.
    MfuChoice choice;
    choice.mfu = chosen_mfu(std::nullopt, *part.chip, scenario, &choice.basis);
    if (uses_step_model(std::nullopt, scenario)) {
      apply_prediction(
          choice,
          predict_mfu(*part.chip, catalog.find_system(part.chip->default_system), scenario,
                      result.chips, c1_flop, std::min(memory_cap, data_params_cap(scenario))));
    }
    const double mfu = choice.mfu;
    const double part_peak = part.count * part.chip->peak_flops(p).value_or(0.0);
    peak += part_peak;
    result.h100e += part.count * h100_equivalents_per_chip(*part.chip, p, catalog);
    result.sustained_flops +=
        model::sustained_flops_t(part.count, part.chip->peak_flops(p).value_or(0.0), mfu, goodput);
    result.mfu_basis.push_back(choice.basis);
  }
  result.mfu = peak > 0 && goodput > 0 ? result.sustained_flops / (peak * goodput) : 0.0;
  return result;
}

// The fastest layout of the scenario's workload on the actor's cluster.
void plan_workload(ActorResult& ar, const CandidateSpec& c, const Scenario& scenario) {
  const training::Workload& w = *scenario.workload;
  training::Machine m = step_machine(*c.chip, c.system, scenario);
  m.chips = static_cast<int>(std::min(ar.cluster.chips, 2.0e9));
  TrainingResult& tr = ar.training;
  tr.has_workload = true;
  tr.workload_name = w.name;
  tr.scaleout_gbps = m.scaleout_bytes_per_s * 8 / 1e9;
  tr.scaleout_source = port_gbps_given(scenario) ? "network.port_gbps"
                       : c.chip->scaleout_bits_per_s ||
                               (c.system != nullptr && c.system->scaleout_bits_per_s_per_chip)
                           ? "catalog"
                           : "default port_gbps";
  if (m.chips < 1) return;
  training::SearchResult found = training::search_layouts(w, m, 64, 1);
  std::vector<std::pair<training::Layout, training::StepBreakdown>> allowed;
  const auto keep_allowed = [&] {
    for (const auto& candidate : found.best) {
      if (scenario.workload_tp && candidate.first.tp != *scenario.workload_tp) continue;
      if (scenario.workload_pp && candidate.first.pp != *scenario.workload_pp) continue;
      allowed.push_back(candidate);
    }
  };
  keep_allowed();
  // The scenario's tp/pp may rule out all of the 64 fastest: then every
  // fitting layout is searched, so a fitting one with them is not missed.
  if (allowed.empty() && found.fitting > found.best.size()) {
    found = training::search_layouts(
        w, m, static_cast<int>(std::min<std::uint64_t>(found.fitting, 1u << 30)), 1);
    keep_allowed();
  }
  tr.layouts_evaluated = found.evaluated;
  tr.layouts_fitting = found.fitting;
  tr.min_memory_per_chip_bytes = found.min_memory_bytes;
  tr.hbm_per_chip_bytes = m.hbm_bytes;
  if (allowed.empty()) return;
  const auto& [layout, step] = allowed.front();
  tr.workload_fits = true;
  tr.layout = layout;
  tr.step = step;
  tr.step_time_s = step.step_s;
  tr.predicted_mfu = step.mfu;
  tr.tokens_per_s = step.tokens_per_s * tr.goodput;
  tr.days_to_train = w.tokens / tr.tokens_per_s / 86400.0;
}

double safe_ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

}  // namespace

double h100_equivalents_per_chip(const Chip& chip, Precision precision, const Catalog& catalog) {
  const Chip* h100 = catalog.find_chip(kH100Id);
  if (h100 == nullptr) return 0.0;
  const auto peak = chip.peak_flops(precision);
  const auto reference = h100->peak_flops(precision);
  if (!peak || !reference || *reference <= 0) return 0.0;
  return *peak / *reference;
}

EstimateResult estimate(const Scenario& scenario, const Catalog& catalog) {
  if (!scenario.supply.empty()) {
    // Supply lines are run up to the scenario date (or the timeline's end).
    const auto date = supply::parse_month(scenario.date);
    return estimate(scenario_at_month(scenario, catalog, date.value_or(scenario.timeline->end)),
                    catalog);
  }
  EstimateResult result;
  result.scenario_name = scenario.name;
  result.scenario_file = scenario.file;
  result.scenario_date = scenario.date;
  result.description = scenario.description;
  result.precision = scenario.training.precision;
  if (scenario.export_rule) result.export_rule = scenario.export_rule->id;
  for (const auto& in : scenario.sweep.inputs) {
    // A source's point estimate is a choice of one value: not a distribution.
    if (!in.fixed()) result.medians_used.emplace_back(in.label(), in.sample(0.5));
  }
  result.sources_used = scenario.sweep.sourced;
  result.source_choice = scenario.sweep.sources;

  for (const auto& id : scenario.reference_ids) {
    result.references.push_back(evaluate_reference(*catalog.find_cluster(id), scenario, catalog));
  }

  const std::vector<CandidateSpec> candidates = list_candidates(scenario, catalog);
  // Step-model candidates get their MFU at their assembled size here
  // (plan.hpp); the outcome follows from it.
  std::vector<MfuChoice> mfu;
  const model::ClusterBatch batch = build_batch(candidates, scenario, &mfu);
  const model::ClusterResults out = model::evaluate_clusters(batch);

  for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
    const Actor& actor = scenario.actors[a];
    ActorResult ar;
    ar.name = actor.name;
    ar.centralize = actor.centralize;
    ar.inventory = summarise_inventory(actor, scenario.training.precision, catalog);
    for (const auto& s : ar.inventory) {
      ar.inventory_count += s.count;
      ar.inventory_h100e += s.h100e;
    }
    flag_export_controls(ar, actor, scenario, catalog);
    warn_unusable_lines(ar, actor, scenario, catalog);

    std::vector<std::size_t> mine;
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      if (candidates[k].actor == a) mine.push_back(k);
    }
    // Most sustained FLOP/s first; then more chips; then catalog order.
    std::stable_sort(mine.begin(), mine.end(), [&](std::size_t x, std::size_t y) {
      const auto i = static_cast<Eigen::Index>(x);
      const auto j = static_cast<Eigen::Index>(y);
      return model::preferred_t(out.sustained_flops[i], out.chips[i], out.sustained_flops[j],
                                out.chips[j]);
    });
    for (std::size_t k : mine) {
      const auto i = static_cast<Eigen::Index>(k);
      ar.candidates.push_back(
          {candidates[k].chip->id, system_label(candidates[k].system, scenario.generic_server),
           candidates[k].site->name, out.chips[i], static_cast<model::Constraint>(out.binding[i]),
           out.sustained_flops[i], out.facility_power_w[i], batch.mfu[i], mfu[k].basis});
    }

    if (mine.empty()) {  // nothing held yet (a timeline month before any supply)
      // No cluster: every limit 0, and no budget figure (no candidate has a price).
      ar.cluster.limits.fill(0.0);
      ar.cluster.limits[static_cast<std::size_t>(model::Constraint::budget)] = model::kNoLimit;
      result.actors.push_back(std::move(ar));
      continue;
    }
    const std::size_t best = mine.front();
    const CandidateSpec& c = candidates[best];
    const auto i = static_cast<Eigen::Index>(best);
    ClusterResult& cl = ar.cluster;
    cl.chip_id = c.chip->id;
    cl.system_id = c.system != nullptr ? c.system->id : "";
    cl.system_label = system_label(c.system, scenario.generic_server);
    ar.catalog_figures =
        model_figures(catalog, cl.chip_id, cl.system_id, scenario.training.precision);
    cl.site = c.site->name;
    cl.site_power_w = c.site->power_w;
    cl.pue = c.site->pue;
    cl.chips = out.chips[i];
    cl.systems = out.systems[i];
    cl.chips_per_system = batch.chips_per_system[i];
    cl.binding = static_cast<model::Constraint>(out.binding[i]);
    for (std::size_t k = 0; k < model::kLimitCount; ++k) cl.limits[k] = out.limit[k][i];
    const power::SystemPower sp =
        power::system_it_power(*c.chip, c.system, scenario.generic_server);
    cl.system_it_power_w = sp.it_power_w;
    cl.system_power = sp;
    cl.it_power_w = out.it_power_w[i];
    cl.facility_power_w = out.facility_power_w[i];
    cl.network = {static_cast<int>(out.network_tiers[i]),
                  out.network_switches[i],
                  out.network_transceivers[i],
                  out.chips[i] * batch.endpoints_per_chip[i],
                  out.network_power_w[i],
                  sp.includes_scaleout,
                  batch.fabric[best].planes,
                  planes_default(c, scenario)};
    ar.binding_defaults = limit_defaults(c, scenario, cl.binding);
    cl.peak_flops = out.peak_flops[i];
    cl.mfu = mfu[best].mfu;
    cl.mfu_basis = mfu[best].basis;
    cl.mfu_step_model = mfu[best].basis.step_model;
    cl.mfu_prediction = mfu[best].basis.prediction;
    cl.sustained_flops = out.sustained_flops[i];
    cl.h100e = cl.chips * h100_equivalents_per_chip(*c.chip, scenario.training.precision, catalog);

    TrainingResult& tr = ar.training;
    tr.duration_s = scenario.training.duration_s;
    tr.goodput = out.goodput[i];
    tr.train_flop = out.train_flop[i];
    tr.params = out.params[i];
    tr.tokens = out.tokens[i];
    tr.params_compute_optimal = out.params_compute_optimal[i];
    tr.params_memory_limit = out.params_memory_limit[i];
    tr.model_train_flop = out.model_train_flop[i];
    tr.limited_by = static_cast<model::ModelLimit>(out.limited_by[i]);
    {
      // The winner through the same equations as the batch (bit for bit).
      const model::RowT<double> row = model::row_values<double>(batch, i);
      const model::AssembledT<double> assembled = model::assemble_t(row);
      const model::OutcomeT<double> outcome = model::outcome_t(row, assembled.chips);
      ar.metrics = metric_values({row, assembled, outcome});
    }

    if (scenario.workload) plan_workload(ar, c, scenario);
    for (const auto& ref : result.references) {
      ReferenceComparison cmp;
      cmp.reference = ref.id;
      cmp.ratio_sustained_flops = safe_ratio(cl.sustained_flops, ref.sustained_flops);
      cmp.ratio_chips = safe_ratio(cl.chips, ref.chips);
      cmp.ratio_h100e = safe_ratio(cl.h100e, ref.h100e);
      if (ref.power_w) cmp.ratio_power = safe_ratio(cl.facility_power_w, *ref.power_w);
      ar.vs_reference.push_back(cmp);
    }
    result.actors.push_back(std::move(ar));
  }
  return result;
}

}  // namespace clustercap
