#include "estimator/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

#include "estimator/model/cluster_row.hpp"
#include "estimator/plan.hpp"
#include "estimator/timeline.hpp"
#include "estimator/training/mfu_fixed_point.hpp"
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
          choice, predict_mfu(*part.chip, catalog.find_system(part.chip->default_system), scenario,
                              result.chips, c1_flop, memory_cap, data_params_cap(scenario)));
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

// The training run of a cluster from the model's outcome.
void set_training(TrainingResult& tr, const Scenario& scenario,
                  const model::OutcomeT<double>& outcome) {
  tr.duration_s = scenario.training.duration_s;
  tr.goodput = outcome.goodput;
  tr.train_flop = outcome.train_flop;
  tr.params = outcome.params;
  tr.tokens = outcome.tokens;
  tr.params_compute_optimal = outcome.params_compute_optimal;
  tr.params_memory_limit = outcome.params_memory_limit;
  tr.model_train_flop = outcome.model_train_flop;
  tr.limited_by = static_cast<model::ModelLimit>(outcome.limited_by);
}

// --- clusters across WAN-linked sites (model/wan.hpp) -----------------------
// One way an actor could place one chip type: its sites (largest first) and
// what the cluster achieves. Single-site options are the batch's candidates.
struct SiteOption {
  std::size_t group_best = 0;        // the candidate whose row the option reports with
  std::vector<std::size_t> members;  // candidates (one per site), largest first
  std::vector<double> systems;       // per member
  std::vector<double> mfu;           // per member, inside its site
  std::uint32_t site_mask = 0;
  double chips = 0;
  double sustained_flops = 0;
  double raw_flops = 0;  // before the WAN
  ClusterLimits limits{};
  model::WanRing ring;
  model::WanStep step;
  double params = 0;
  MfuChoice choice;  // inside every site
};

// Tokens per step across the sites: [training] batch_tokens, else the MFU
// fixed point's batch for a model of `params` (docs/methodology.md §E9).
double wan_batch_tokens(const Scenario& scenario, double params) {
  if (scenario.training.batch_tokens) return *scenario.training.batch_tokens;
  return training::compute_optimal_shape(params).global_batch_tokens;
}

std::vector<model::WanLink> wan_links(const Actor& actor) {
  std::vector<model::WanLink> links;
  for (const SiteLink& l : actor.links)
    links.push_back({l.a, l.b, l.bandwidth_bits_per_s, l.latency_s, l.availability});
  return links;
}

// Every option of `group` (candidates of one chip and system, one per site)
// over two or more sites the links can ring, pooled chips filling the
// largest sites first.
std::vector<SiteOption> multi_site_options(const std::vector<std::size_t>& group,
                                           const std::vector<CandidateSpec>& candidates,
                                           const model::ClusterBatch& batch,
                                           const model::ClusterResults& out,
                                           const std::vector<MfuChoice>& mfu,
                                           const Scenario& scenario) {
  std::vector<SiteOption> options;
  const std::size_t n = group.size();
  if (n < 2 || n > 9) return options;
  const Actor& actor = scenario.actors[candidates[group[0]].actor];
  const std::vector<model::WanLink> links = wan_links(actor);
  const auto limit = [&](std::size_t k, model::Constraint c) {
    return out.limit[static_cast<std::size_t>(c)][static_cast<Eigen::Index>(k)];
  };
  std::map<double, training::MfuPrediction> memo;  // by the cluster's chips
  for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
    std::vector<std::size_t> members;
    std::vector<int> sites;
    for (std::size_t m = 0; m < n; ++m) {
      if ((mask >> m & 1u) == 0) continue;
      members.push_back(group[m]);
      sites.push_back(candidates[group[m]].site_index);
    }
    if (members.size() < 2) continue;
    SiteOption o;
    o.ring = model::ring_over(sites, links);
    if (!o.ring.found) continue;
    const std::size_t first = members.front();
    const auto eb = static_cast<Eigen::Index>(first);
    const double per_system = batch.chips_per_system[eb];
    // What each site can hold, and what the actor can field in all.
    std::vector<double> cap(members.size());
    double held = 0, power_chips = 0, network = 0;
    for (std::size_t m = 0; m < members.size(); ++m) {
      const std::size_t k = members[m];
      cap[m] = std::min(limit(k, model::Constraint::power), limit(k, model::Constraint::network));
      if (!actor.centralize) cap[m] = std::min(cap[m], limit(k, model::Constraint::chips));
      held += limit(k, model::Constraint::chips);
      power_chips += limit(k, model::Constraint::power);
      network += limit(k, model::Constraint::network);
    }
    if (actor.centralize) held = limit(first, model::Constraint::chips);
    const double budget = limit(first, model::Constraint::budget);
    double left = std::min(held, budget);
    std::vector<std::size_t> order(members.size());
    for (std::size_t m = 0; m < order.size(); ++m) order[m] = m;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return cap[x] > cap[y]; });
    bool every_site_used = true;
    for (std::size_t m : order) {
      const double chips = std::floor(std::min(cap[m], left) / per_system) * per_system;
      left -= chips;
      every_site_used = every_site_used && chips > 0;
      o.members.push_back(members[m]);
      o.systems.push_back(chips / per_system);
      o.chips += chips;
    }
    if (!every_site_used) continue;  // a smaller set is the same cluster
    o.site_mask = 0;
    for (std::size_t k : o.members) o.site_mask |= 1u << candidates[k].site_index;
    o.group_best = o.members.front();
    o.limits[static_cast<std::size_t>(model::Constraint::chips)] = held;
    o.limits[static_cast<std::size_t>(model::Constraint::power)] = power_chips;
    o.limits[static_cast<std::size_t>(model::Constraint::network)] = network;
    o.limits[static_cast<std::size_t>(model::Constraint::budget)] = budget;
    o.limits[static_cast<std::size_t>(model::Constraint::wan)] = model::kNoLimit;
    // One run over all the sites: its compute sets the model each site's
    // MFU is predicted for (as a reference cluster of several parts).
    const CandidateSpec& c0 = candidates[first];
    const double goodput = scenario_goodput(scenario, o.chips);
    const double peak = batch.peak_flops_per_chip[eb];
    const double cap_params = params_cap(*c0.chip, scenario, o.chips);
    // Inside the sites: each runs the whole run's model on its share of the
    // batch, the same work per chip as the whole cluster on one fabric, so
    // every site gets the MFU the step model gives the whole cluster (as a
    // single-site candidate of that size would; its DP traffic then stands
    // for the sites' own, the WAN's is added below).
    o.choice.mfu = chosen_mfu(c0, scenario, &o.choice.basis);
    o.choice.basis.step_model = mfu[first].basis.step_model;
    if (o.choice.basis.step_model) {
      auto found = memo.find(o.chips);
      if (found == memo.end())
        found = memo.emplace(o.chips, predict_mfu(*c0.chip, c0.system, scenario, o.chips)).first;
      apply_prediction(o.choice, found->second);
    }
    for (std::size_t m = 0; m < o.members.size(); ++m) {
      o.mfu.push_back(o.choice.mfu);
      o.raw_flops +=
          model::sustained_flops_t(o.systems[m] * per_system, peak, o.choice.mfu, goodput);
    }
    // The compute-optimal model of the run before the WAN, within its caps.
    o.params = std::min(std::sqrt(o.raw_flops * scenario.training.duration_s /
                                  (model::kFlopPerParamToken * model::kTokensPerParam)),
                        cap_params);
    model::WanStepInputs in;
    in.params = o.params;
    in.batch_tokens = wan_batch_tokens(scenario, o.params);
    in.sustained_flops = o.raw_flops;
    in.sites = static_cast<int>(o.members.size());
    in.ring = o.ring;
    in.sync_every_steps = scenario.training.sync_every_steps;
    in.sync_penalty = scenario.training.sync_penalty;
    o.step = model::wan_step(in);
    o.sustained_flops = o.raw_flops * o.step.efficiency;
    options.push_back(std::move(o));
  }
  return options;
}

// The figures a cluster takes from its chip, system and (best) site whether
// it spans one site or several: ids, catalog figures, system power, the
// defaults behind its binding limit, H100e, electricity price and budget.
// Needs cl.chips and cl.binding set.
void set_candidate_figures(ActorResult& ar, const CandidateSpec& c, Eigen::Index i,
                           const model::ClusterBatch& batch, const Scenario& scenario,
                           const Catalog& catalog) {
  ClusterResult& cl = ar.cluster;
  cl.chip_id = c.chip->id;
  cl.system_id = c.system != nullptr ? c.system->id : "";
  cl.system_label = system_label(c.system, scenario.generic_server);
  ar.catalog_figures =
      model_figures(catalog, cl.chip_id, cl.system_id, scenario.training.precision);
  const power::SystemPower sp = power::system_it_power(*c.chip, c.system, scenario.generic_server);
  cl.system_it_power_w = sp.it_power_w;
  cl.system_power = sp;
  ar.binding_defaults = limit_defaults(c, scenario, cl.binding);
  cl.h100e = cl.chips * h100_equivalents_per_chip(*c.chip, scenario.training.precision, catalog);
  cl.electricity_usd_per_mwh = c.site->electricity_usd_per_mwh;
  cl.electricity_defaulted = c.site->electricity_defaulted;
  cl.budget_usd = batch.budget_usd[i];
}

// Fills `ar` for a winner spanning sites: the cluster, its sites, the WAN
// and the training outcome through the model's equations with the sites'
// chips, their mean MFU and the WAN's efficiency.
void fill_multi_site(ActorResult& ar, const SiteOption& o,
                     const std::vector<CandidateSpec>& candidates, const model::ClusterBatch& batch,
                     const Scenario& scenario, const Catalog& catalog) {
  const CandidateSpec& c = candidates[o.group_best];
  const auto i = static_cast<Eigen::Index>(o.group_best);
  const Actor& actor = scenario.actors[c.actor];
  ClusterResult& cl = ar.cluster;
  model::RowT<double> row = model::row_values<double>(batch, i);
  model::AssembledT<double> assembled{};
  double site_power_w = 0, mfu_chips = 0;
  // Each site's chips draw at its own electricity price: the run's energy
  // cost is the sum over sites, i.e. the price weighted by facility power.
  double price_w = 0;
  bool price_defaulted = false;
  std::string names;
  for (std::size_t m = 0; m < o.members.size(); ++m) {
    const CandidateSpec& s = candidates[o.members[m]];
    model::RowT<double> r =
        model::row_values<double>(batch, static_cast<Eigen::Index>(o.members[m]));
    const double chips = o.systems[m] * r.chips_per_system;
    const model::FabricSizeT<double> fabric =
        model::size_fabric_t(chips * r.endpoints_per_chip, r.fabric);
    const double it_w = model::it_power_with_t(r, o.systems[m], fabric.power_w);
    const double facility_w = power::facility_power_w(r.pue, it_w);
    cl.sites.push_back({s.site->name, chips, o.systems[m], it_w, facility_w, o.mfu[m]});
    assembled.systems += o.systems[m];
    assembled.chips += chips;
    assembled.it_power_w += it_w;
    assembled.facility_power_w += facility_w;
    assembled.fabric.tiers = std::max(assembled.fabric.tiers, fabric.tiers);
    assembled.fabric.switches += fabric.switches;
    assembled.fabric.nic_transceivers += fabric.nic_transceivers;
    assembled.fabric.switch_transceivers += fabric.switch_transceivers;
    assembled.fabric.power_w += fabric.power_w;
    site_power_w += s.site->power_w;
    mfu_chips += o.mfu[m] * chips;
    price_w += facility_w * r.electricity_usd_per_mwh;
    price_defaulted = price_defaulted || s.site->electricity_defaulted;
    names += (names.empty() ? "" : " + ") + s.site->name;
  }
  for (std::size_t k = 0; k < model::kLimitCount; ++k) assembled.limits[k] = o.limits[k];
  assembled.binding = model::binding_t(assembled.limits);
  const double site_mfu = mfu_chips / assembled.chips;
  // The model's equations with the WAN's efficiency folded into the MFU:
  // sustained = chips x peak x (site MFU x efficiency) x goodput.
  row.mfu = site_mfu * o.step.efficiency;
  if (assembled.facility_power_w > 0)
    row.electricity_usd_per_mwh = price_w / assembled.facility_power_w;
  const model::OutcomeT<double> outcome = model::outcome_t(row, assembled.chips);
  ar.metrics = metric_values({row, assembled, outcome});

  cl.site = names;
  cl.site_power_w = site_power_w;
  cl.pue = assembled.facility_power_w / assembled.it_power_w;
  cl.chips = assembled.chips;
  cl.systems = assembled.systems;
  cl.chips_per_system = row.chips_per_system;
  cl.binding = static_cast<model::Constraint>(assembled.binding);
  for (std::size_t k = 0; k < model::kLimitCount; ++k) cl.limits[k] = o.limits[k];
  set_candidate_figures(ar, c, i, batch, scenario, catalog);
  cl.electricity_usd_per_mwh = row.electricity_usd_per_mwh;
  cl.electricity_defaulted = price_defaulted;
  cl.it_power_w = assembled.it_power_w;
  cl.facility_power_w = assembled.facility_power_w;
  cl.network = {static_cast<int>(assembled.fabric.tiers),
                assembled.fabric.switches,
                assembled.fabric.nic_transceivers + assembled.fabric.switch_transceivers,
                assembled.chips * row.endpoints_per_chip,
                assembled.fabric.power_w,
                cl.system_power.includes_scaleout,
                batch.fabric[o.group_best].planes,
                planes_default(c, scenario)};
  cl.peak_flops = outcome.peak_flops;
  cl.mfu = site_mfu;
  cl.mfu_basis = o.choice.basis;
  cl.mfu_step_model = o.choice.basis.step_model;
  cl.mfu_prediction = o.choice.basis.prediction;
  cl.sustained_flops = outcome.sustained_flops;
  cl.training_chips =
      cl.mfu_step_model && cl.mfu_prediction.idles() ? cl.mfu_prediction.chips_used : cl.chips;

  WanSummary w;
  for (int s : o.ring.order) w.ring.push_back(actor.sites[static_cast<std::size_t>(s)].name);
  for (int l : o.ring.links) {
    const SiteLink& link = actor.links[static_cast<std::size_t>(l)];
    w.links.push_back(link.site_a + " - " + link.site_b);
  }
  w.bandwidth_bits_per_s = o.ring.bandwidth_bits_per_s;
  w.hop_latency_s = o.ring.hop_latency_s;
  w.availability = o.ring.availability;
  w.params = o.params;
  w.batch_tokens = wan_batch_tokens(scenario, o.params);
  w.batch_from_file = scenario.training.batch_tokens.has_value();
  w.sync_every_steps = scenario.training.sync_every_steps;
  w.sync_penalty = scenario.training.sync_penalty;
  w.sync_penalty_basis = scenario.training.sync_penalty_basis;
  w.sustained_flops_before_wan = o.raw_flops;
  w.step = o.step;
  cl.wan = w;

  set_training(ar.training, scenario, outcome);
}

// Fills `ar` for a winner at one site: candidate `best` of the batch.
void fill_single_site(ActorResult& ar, const std::vector<CandidateSpec>& candidates,
                      std::size_t best, const model::ClusterBatch& batch,
                      const model::ClusterResults& out, const std::vector<MfuChoice>& mfu,
                      const Scenario& scenario, const Catalog& catalog) {
  const CandidateSpec& c = candidates[best];
  const auto i = static_cast<Eigen::Index>(best);
  ClusterResult& cl = ar.cluster;
  cl.site = c.site->name;
  cl.site_power_w = c.site->power_w;
  cl.pue = c.site->pue;
  cl.chips = out.chips[i];
  cl.systems = out.systems[i];
  cl.chips_per_system = batch.chips_per_system[i];
  cl.binding = static_cast<model::Constraint>(out.binding[i]);
  for (std::size_t k = 0; k < model::kLimitCount; ++k) cl.limits[k] = out.limit[k][i];
  set_candidate_figures(ar, c, i, batch, scenario, catalog);
  cl.it_power_w = out.it_power_w[i];
  cl.facility_power_w = out.facility_power_w[i];
  cl.network = {static_cast<int>(out.network_tiers[i]),
                out.network_switches[i],
                out.network_transceivers[i],
                out.chips[i] * batch.endpoints_per_chip[i],
                out.network_power_w[i],
                cl.system_power.includes_scaleout,
                batch.fabric[best].planes,
                planes_default(c, scenario)};
  cl.peak_flops = out.peak_flops[i];
  cl.mfu = mfu[best].mfu;
  cl.mfu_basis = mfu[best].basis;
  cl.mfu_step_model = mfu[best].basis.step_model;
  cl.mfu_prediction = mfu[best].basis.prediction;
  cl.sustained_flops = out.sustained_flops[i];
  cl.training_chips =
      cl.mfu_step_model && cl.mfu_prediction.idles() ? cl.mfu_prediction.chips_used : cl.chips;

  // The winner through the same equations as the batch (bit for bit).
  const model::RowT<double> row = model::row_values<double>(batch, i);
  const model::AssembledT<double> assembled = model::assemble_t(row);
  const model::OutcomeT<double> outcome = model::outcome_t(row, assembled.chips);
  ar.metrics = metric_values({row, assembled, outcome});
  set_training(ar.training, scenario, outcome);

  cl.sites.push_back(
      {c.site->name, cl.chips, cl.systems, cl.it_power_w, cl.facility_power_w, cl.mfu});
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
    sort_by_preference(mine, out);
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
      ar.cluster.limits[static_cast<std::size_t>(model::Constraint::wan)] = model::kNoLimit;
      result.actors.push_back(std::move(ar));
      continue;
    }
    // Sites linked by WAN: clusters spanning them compete with the single
    // sites; `wan` binds when a larger set of sites would have had more
    // FLOP/s but for the WAN.
    std::optional<SiteOption> spanning;
    bool wan_binds = false;
    if (!actor.links.empty()) {
      std::map<std::pair<const Chip*, const System*>, std::vector<std::size_t>> groups;
      for (std::size_t k : mine) groups[{candidates[k].chip, candidates[k].system}].push_back(k);
      std::vector<SiteOption> options;
      for (const auto& [key, group] : groups) {
        for (auto& o : multi_site_options(group, candidates, batch, out, mfu, scenario))
          options.push_back(std::move(o));
      }
      const auto front = static_cast<Eigen::Index>(mine.front());
      double best_flops = out.sustained_flops[front], best_chips = out.chips[front];
      const CandidateSpec* best_spec = &candidates[mine.front()];
      std::uint32_t best_mask = 1u << best_spec->site_index;
      for (const SiteOption& o : options) {
        if (model::preferred_t(o.sustained_flops, o.chips, best_flops, best_chips)) {
          spanning = o;
          best_flops = o.sustained_flops;
          best_chips = o.chips;
          best_mask = o.site_mask;
          best_spec = &candidates[o.group_best];
        }
      }
      for (const SiteOption& o : options) {
        const CandidateSpec& oc = candidates[o.group_best];
        const bool superset = (o.site_mask & best_mask) == best_mask && o.site_mask != best_mask;
        // More chips and more FLOP/s but for the WAN (not merely a higher
        // MFU on smaller sites).
        if (oc.chip == best_spec->chip && oc.system == best_spec->system && superset &&
            o.chips > best_chips && o.raw_flops > best_flops)
          wan_binds = true;
        std::string names;
        for (std::size_t k : o.members)
          names += (names.empty() ? "" : " + ") + candidates[k].site->name;
        double limits[model::kLimitCount];
        for (std::size_t k = 0; k < model::kLimitCount; ++k) limits[k] = o.limits[k];
        double facility_w = 0;
        for (std::size_t m = 0; m < o.members.size(); ++m) {
          const model::RowT<double> r =
              model::row_values<double>(batch, static_cast<Eigen::Index>(o.members[m]));
          facility_w += power::facility_power_w(r.pue, model::it_power_t(r, o.systems[m]));
        }
        ar.candidates.push_back({oc.chip->id, system_label(oc.system, scenario.generic_server),
                                 names, o.chips,
                                 static_cast<model::Constraint>(model::binding_t(limits)),
                                 o.sustained_flops, facility_w, o.choice.mfu, o.choice.basis});
      }
      std::stable_sort(ar.candidates.begin(), ar.candidates.end(),
                       [](const CandidateSummary& x, const CandidateSummary& y) {
                         return model::preferred_t(x.sustained_flops, x.chips, y.sustained_flops,
                                                   y.chips);
                       });
    }
    if (spanning) {
      fill_multi_site(ar, *spanning, candidates, batch, scenario, catalog);
    } else {
      fill_single_site(ar, candidates, mine.front(), batch, out, mfu, scenario, catalog);
    }
    if (wan_binds) {
      ar.cluster.limits[static_cast<std::size_t>(model::Constraint::wan)] = ar.cluster.chips;
      ar.cluster.binding = model::Constraint::wan;
      ar.binding_defaults.clear();  // links are required keys: nothing defaulted decided it
    }
    if (scenario.workload && spanning) {
      ar.warnings.push_back("[workload] " + scenario.workload->name +
                            ": no layout searched: the cluster spans " +
                            std::to_string(ar.cluster.sites.size()) +
                            " sites over WAN and the layout search models one site's fabric");
    } else if (scenario.workload) {
      plan_workload(ar, candidates[mine.front()], scenario);
    }
    for (const auto& ref : result.references) {
      const ClusterResult& cl = ar.cluster;
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

std::vector<InventorySummary> inventory_summary(const Actor& actor, Precision precision,
                                                const Catalog& catalog) {
  return summarise_inventory(actor, precision, catalog);
}

ReferenceResult reference_result(const ReferenceCluster& cluster, const Scenario& scenario,
                                 const Catalog& catalog) {
  return evaluate_reference(cluster, scenario, catalog);
}

void sort_by_preference(std::vector<std::size_t>& candidates, const model::ClusterResults& out) {
  std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t x, std::size_t y) {
    const auto i = static_cast<Eigen::Index>(x);
    const auto j = static_cast<Eigen::Index>(y);
    return model::preferred_t(out.sustained_flops[i], out.chips[i], out.sustained_flops[j],
                              out.chips[j]);
  });
}

}  // namespace clustercap
