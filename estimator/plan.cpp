#include "estimator/plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "estimator/model/cluster_row.hpp"
#include "estimator/model/goodput.hpp"
#include "estimator/training/machine.hpp"
#include "hardware/common/input_error.hpp"
#include "power/system_power.hpp"

namespace clustercap {
namespace {

// One cluster an actor could build: a chip type in one packaging at one site.
const System* resolve_system(const InventoryLine& line, const Chip& chip, const Catalog& catalog) {
  if (!line.system_id.empty()) return catalog.find_system(line.system_id);
  if (!chip.default_system.empty()) return catalog.find_system(chip.default_system);
  return nullptr;
}

std::optional<double> price_per_chip(const InventoryLine& line, const Chip& chip,
                                     const System* system) {
  if (line.price_usd) return line.price_usd;
  if (system != nullptr && system->price_usd && system->chips) {
    return *system->price_usd / static_cast<double>(*system->chips);
  }
  return chip.price_usd;
}

// Back-end NIC bandwidth per chip, bits/s: the system's figure, else the
// chip's; 0 when the catalog has neither.
double scaleout_bits_per_chip(const Chip& chip, const System* system) {
  if (system != nullptr && system->scaleout_bits_per_s_per_chip) {
    return *system->scaleout_bits_per_s_per_chip;
  }
  return chip.scaleout_bits_per_s.value_or(0.0);
}

double endpoints_per_chip(const Chip& chip, const System* system, double port_gbps) {
  // A chip with no catalogued NIC is assumed to get one switch port.
  const double bits = scaleout_bits_per_chip(chip, system);
  if (bits <= 0) return 1.0;
  return std::max(1.0, std::ceil(bits / (port_gbps * 1e9)));
}

}  // namespace

std::optional<DefaultedInput> planes_default(const CandidateSpec& c, const Scenario& scenario) {
  const DefaultedInput* d = scenario.find_default("network.planes");
  if (d == nullptr) return std::nullopt;
  DefaultedInput planes = *d;
  if (c.system != nullptr && c.system->scaleout_rails) {
    planes.value = static_cast<double>(*c.system->scaleout_rails);
    planes.source = DefaultSource::catalog;
    planes.catalog_id = c.system->id;
  }
  return planes;
}

model::FabricSpec candidate_fabric(const CandidateSpec& c, const Scenario& scenario) {
  model::FabricSpec fabric = scenario.network;
  if (const auto planes = planes_default(c, scenario))
    fabric.planes = static_cast<int>(planes->value);
  return fabric;
}

std::vector<DefaultedInput> limit_defaults(const CandidateSpec& c, const Scenario& scenario,
                                           model::Constraint limit) {
  const power::SystemPower sp = power::system_it_power(*c.chip, c.system, scenario.generic_server);
  // With a catalogued NIC bandwidth, switch ports per chip depend on
  // network.port_gbps (endpoints_per_chip).
  const bool ports_per_chip = scaleout_bits_per_chip(*c.chip, c.system) > 0;
  std::vector<std::string> keys;
  // Whole generic servers: a server size the file leaves out decides the
  // chips and budget limits only where rounding to whole servers drops chips.
  const auto drops_chips = [&](double chips) {
    return std::floor(chips) > std::floor(chips / sp.chips_per_system) * sp.chips_per_system;
  };
  const Actor& actor = scenario.actors[c.actor];
  switch (limit) {
    case model::Constraint::chips:
      if (!sp.from_system && drops_chips(c.chips_held)) keys.push_back("power.chips_per_server");
      break;
    case model::Constraint::budget:
      if (!sp.from_system && actor.budget_usd && c.price_per_chip && *c.price_per_chip > 0 &&
          drops_chips(*actor.budget_usd / *c.price_per_chip))
        keys.push_back("power.chips_per_server");
      // The budget pays for the network and facility too (model/cost.hpp).
      keys.push_back("cost.facility_usd_per_mw");
      if (!sp.includes_scaleout)
        keys.insert(keys.end(), {"cost.switch_usd", "cost.transceiver_usd"});
      break;
    case model::Constraint::network:
      if (!sp.from_system) keys.push_back("power.chips_per_server");
      keys.insert(keys.end(), {"network.switch_radix", "network.max_tiers", "network.planes"});
      if (ports_per_chip) keys.push_back("network.port_gbps");
      break;
    case model::Constraint::wan:  // links are required keys; nothing defaulted
      break;
    case model::Constraint::power:
      if (!sp.from_system)
        keys.insert(keys.end(), {"power.chips_per_server", "power.system_overhead"});
      if (!sp.includes_scaleout) {
        keys.insert(keys.end(), {"network.switch_radix", "network.planes"});
        if (ports_per_chip) keys.push_back("network.port_gbps");
        // Not copper_first_tier: its default, every link optical, is the
        // reference designs' fabric the transceiver figures describe, and
        // those figures are named themselves.
        keys.insert(keys.end(), {"network.nic_transceiver_w", "network.switch_transceiver_w",
                                 "network.switch_ports_per_transceiver", "network.switch_w"});
      }
      break;
  }
  std::vector<DefaultedInput> defaults;
  for (const auto& key : keys) {
    if (key == "network.planes") {
      if (const auto planes = planes_default(c, scenario)) defaults.push_back(*planes);
    } else if (const DefaultedInput* d = scenario.find_default(key)) {
      defaults.push_back(*d);
    }
  }
  return defaults;
}

std::string system_label(const System* system, const power::GenericServer& generic) {
  if (system != nullptr) return system->id;
  return "generic " + std::to_string(generic.chips_per_server) + "-chip server";
}

std::vector<CandidateSpec> list_candidates(const Scenario& scenario, const Catalog& catalog) {
  std::vector<CandidateSpec> candidates;
  for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
    const Actor& actor = scenario.actors[a];
    // (chip, system, site) -> index into candidates; site is "" when pooled.
    std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
    std::vector<CandidateSpec> groups;
    for (std::size_t li = 0; li < actor.inventory.size(); ++li) {
      const InventoryLine& line = actor.inventory[li];
      const Chip* chip = catalog.find_chip(line.chip_id);
      if (chip == nullptr) throw RuntimeFailure("internal: unvalidated chip " + line.chip_id);
      const System* system = resolve_system(line, *chip, catalog);
      // A chip the model cannot use joins no cluster; estimate() warns about it.
      if (!missing_for_estimate(*chip, system, scenario.training.precision,
                                mfu_supplied(line.mfu, scenario.training, *chip))
               .empty())
        continue;
      std::string site = actor.centralize ? "" : line.site;
      if (site.empty() && !actor.centralize) site = actor.sites.front().name;
      const auto key = std::make_tuple(chip->id, system != nullptr ? system->id : "", site);
      auto [it, inserted] = index.emplace(key, groups.size());
      if (inserted) {
        CandidateSpec spec;
        spec.actor = a;
        spec.chip = chip;
        spec.system = system;
        for (std::size_t si = 0; si < actor.sites.size(); ++si) {
          if (actor.sites[si].name == site) {
            spec.site = &actor.sites[si];
            spec.site_index = static_cast<int>(si);
          }
        }
        groups.push_back(spec);
      }
      CandidateSpec& group = groups[it->second];
      group.chips_held += line.count;
      group.lines.push_back(static_cast<int>(li));
      if (!group.mfu_override && line.mfu) {
        group.mfu_override = line.mfu;
        group.mfu_line = static_cast<int>(li);
        group.mfu_basis = line.mfu_basis;
      }
      if (!group.price_per_chip) {
        group.price_per_chip = price_per_chip(line, *chip, system);
        if (line.price_usd) group.price_line = static_cast<int>(li);
      }
    }
    for (const auto& group : groups) {
      if (!actor.centralize) {
        candidates.push_back(group);
        continue;
      }
      // Pooled chips may go to any one site: try each.
      for (std::size_t si = 0; si < actor.sites.size(); ++si) {
        CandidateSpec spec = group;
        spec.site = &actor.sites[si];
        spec.site_index = static_cast<int>(si);
        candidates.push_back(spec);
      }
    }
  }
  return candidates;
}

double chosen_mfu(const std::optional<double>& line_mfu, const Chip& chip, const Scenario& scenario,
                  MfuBasis* basis, const std::string& line_reason) {
  const Precision p = scenario.training.precision;
  MfuBasis b;
  b.chip_id = chip.id;
  b.precision = p;
  double mfu = chip.mfu_prior(p).value_or(0.0);
  if (line_mfu) {
    b.source = MfuSource::inventory_line;
    b.reason = line_reason;
    mfu = *line_mfu;
  } else if (scenario.training.mfu) {
    b.source = MfuSource::training;
    b.reason = scenario.training.mfu_basis;
    mfu = *scenario.training.mfu;
  }
  if (basis != nullptr) *basis = std::move(b);
  return mfu;
}

double chosen_mfu(const CandidateSpec& c, const Scenario& scenario, MfuBasis* basis) {
  return chosen_mfu(c.mfu_override, *c.chip, scenario, basis, c.mfu_basis);
}

void apply_prediction(MfuChoice& choice, const training::MfuPrediction& prediction) {
  choice.basis.step_model = true;
  choice.basis.prediction = prediction;
  if (prediction.predicted) choice.mfu = prediction.mfu;
}

model::ClusterBatch build_batch(const std::vector<CandidateSpec>& candidates,
                                const Scenario& scenario, std::vector<MfuChoice>* mfu,
                                MfuMemo* predictions) {
  model::ClusterBatch batch(static_cast<Eigen::Index>(candidates.size()));
  std::vector<MfuChoice> choices(candidates.size());
  const TrainingSettings& t = scenario.training;
  bool any_step_model = false;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    const CandidateSpec& c = candidates[k];
    const Actor& actor = scenario.actors[c.actor];
    const power::SystemPower sp =
        power::system_it_power(*c.chip, c.system, scenario.generic_server);
    batch.chips_held[i] = c.chips_held;
    batch.chips_per_system[i] = sp.chips_per_system;
    batch.system_it_power_w[i] = sp.it_power_w;
    batch.system_includes_scaleout[i] = sp.includes_scaleout ? 1.0 : 0.0;
    batch.endpoints_per_chip[i] = endpoints_per_chip(*c.chip, c.system, scenario.network.port_gbps);
    batch.site_power_w[i] = c.site->power_w;
    batch.pue[i] = c.site->pue;
    batch.budget_usd[i] = actor.budget_usd.value_or(model::kNoLimit);
    batch.system_price_usd[i] = c.price_per_chip.value_or(0.0) * sp.chips_per_system;
    batch.switch_usd[i] = scenario.cost.switch_usd;
    batch.transceiver_usd[i] = scenario.cost.transceiver_usd;
    batch.facility_usd_per_w[i] = scenario.cost.facility_usd_per_w;
    batch.electricity_usd_per_mwh[i] = c.site->electricity_usd_per_mwh;
    batch.opex_fraction_per_year[i] = scenario.cost.opex_fraction_per_year;
    batch.depreciation_s[i] = scenario.cost.depreciation_s;
    batch.peak_flops_per_chip[i] = c.chip->peak_flops(t.precision).value_or(0.0);
    choices[k].mfu = chosen_mfu(c, scenario, &choices[k].basis);
    choices[k].basis.step_model = uses_step_model(c, scenario);
    any_step_model = any_step_model || choices[k].basis.step_model;
    batch.mfu[i] = choices[k].mfu;
    batch.goodput[i] = t.goodput;
    batch.duration_s[i] = t.duration_s;
    batch.hbm_bytes_per_chip[i] = c.chip->hbm_bytes.value_or(0.0);
    batch.bytes_per_param[i] = t.bytes_per_param;
    batch.activation_memory_fraction[i] = t.activation_memory_fraction;
    batch.max_tokens[i] = t.max_tokens.value_or(model::kNoLimit);
    if (t.failures) {
      batch.interruptions_per_chip_day[i] = t.failures->interruptions_per_chip_day;
      batch.restart_hours[i] = t.failures->restart_hours;
      batch.checkpoint_interval_hours[i] = t.failures->checkpoint_interval_hours;
    }
    batch.fabric[k] = candidate_fabric(c, scenario);
  }
  if (any_step_model) {
    // Cluster size does not depend on MFU, so assemble first, then predict
    // MFU at each size. Candidates of the same chip and system at the same
    // size (pooled chips at several sites, timeline months) share one run.
    model::ClusterResults assembled;
    model::assemble_clusters(batch, assembled);
    MfuMemo local;
    MfuMemo& memo = predictions != nullptr ? *predictions : local;
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      if (!choices[k].basis.step_model) continue;
      const CandidateSpec& c = candidates[k];
      const double chips = assembled.chips[static_cast<Eigen::Index>(k)];
      const auto key = std::make_tuple(c.chip, c.system, chips);
      auto found = memo.find(key);
      if (found == memo.end())
        found = memo.emplace(key, predict_mfu(*c.chip, c.system, scenario, chips)).first;
      apply_prediction(choices[k], found->second);
      batch.mfu[static_cast<Eigen::Index>(k)] = choices[k].mfu;
    }
  }
  if (mfu != nullptr) *mfu = std::move(choices);
  return batch;
}

bool uses_step_model(const std::optional<double>& line_mfu, const Scenario& scenario) {
  return !line_mfu && !scenario.training.mfu && scenario.training.mfu_model == MfuModel::step_model;
}

bool uses_step_model(const CandidateSpec& c, const Scenario& scenario) {
  return uses_step_model(c.mfu_override, scenario);
}

bool port_gbps_given(const Scenario& scenario) {
  return std::none_of(scenario.defaulted.begin(), scenario.defaulted.end(),
                      [](const DefaultedInput& d) { return d.key == "network.port_gbps"; });
}

training::Machine step_machine(const Chip& chip, const System* system, const Scenario& scenario) {
  const double domain =
      system != nullptr && system->scaleup_domain_chips
          ? static_cast<double>(*system->scaleup_domain_chips)
          : power::system_it_power(chip, system, scenario.generic_server).chips_per_system;
  // [network] port_gbps, when the file sets it, wins over the catalog's
  // NIC figure (a run on a slower fabric than the reference system's).
  double scaleout_bits = chip.scaleout_bits_per_s.value_or(scenario.network.port_gbps * 1e9);
  if (system != nullptr && system->scaleout_bits_per_s_per_chip)
    scaleout_bits = *system->scaleout_bits_per_s_per_chip;
  if (port_gbps_given(scenario)) scaleout_bits = scenario.network.port_gbps * 1e9;
  training::Machine m = training::machine_for(chip, scenario.training.precision, 0,
                                              static_cast<int>(domain), scaleout_bits / 8);
  if (system != nullptr && !system->scaleup_topology.empty())
    m.scaleup_mesh = system->scaleup_topology == "mesh";
  return m;
}

double scenario_goodput(const Scenario& scenario, double chips) {
  const TrainingSettings& t = scenario.training;
  const model::FailureModel f = t.failures.value_or(model::FailureModel{});
  return model::goodput_t(t.goodput, f.interruptions_per_chip_day, f.restart_hours,
                          f.checkpoint_interval_hours, chips);
}

double compute_per_unit_mfu(const Chip& chip, const Scenario& scenario, double chips) {
  const TrainingSettings& t = scenario.training;
  return model::compute_per_unit_mfu_t(chips, chip.peak_flops(t.precision).value_or(0.0),
                                       scenario_goodput(scenario, chips), t.duration_s);
}

double memory_params_cap(const Chip& chip, const Scenario& scenario, double chips) {
  const TrainingSettings& t = scenario.training;
  return model::memory_params_cap_t(chips, chip.hbm_bytes.value_or(0.0),
                                    t.activation_memory_fraction, t.bytes_per_param);
}

double data_params_cap(const Scenario& scenario) {
  return model::data_params_cap_t(scenario.training.max_tokens.value_or(model::kNoLimit));
}

double params_cap(const Chip& chip, const Scenario& scenario, double chips) {
  return std::min(memory_params_cap(chip, scenario, chips), data_params_cap(scenario));
}

namespace {

training::FixedPointOptions fixed_point_options(const Chip& chip, const Scenario& scenario) {
  training::FixedPointOptions options;
  // The prior is where most chips' fixed points lie: the fewest searches.
  const double prior = chip.mfu_prior(scenario.training.precision).value_or(0.0);
  if (prior > 0) options.initial_mfu = prior;
  return options;
}

}  // namespace

training::MfuPrediction predict_mfu(const Chip& chip, const System* system,
                                    const Scenario& scenario, double chips, double c1_flop,
                                    double memory_params_cap, double data_params_cap) {
  training::FixedPointOptions options = fixed_point_options(chip, scenario);
  options.params_cap = data_params_cap;
  const double cap_per_chip = chips > 0 ? memory_params_cap / chips : 0.0;
  return training::predicted_mfu_idling(step_machine(chip, system, scenario), chips, c1_flop,
                                        cap_per_chip, options);
}

training::MfuPrediction predict_mfu(const Chip& chip, const System* system,
                                    const Scenario& scenario, double chips) {
  return predict_mfu(chip, system, scenario, chips, compute_per_unit_mfu(chip, scenario, chips),
                     memory_params_cap(chip, scenario, chips), data_params_cap(scenario));
}

training::MfuTableBuild build_mfu_table(const CandidateSpec& c, const Scenario& scenario,
                                        double chips_min, double chips_max, double c1_min_flop,
                                        double c1_max_flop, const std::vector<double>& exact_chips,
                                        const std::vector<double>& exact_c1_flop) {
  training::MfuTableSpec spec;
  spec.machine = step_machine(*c.chip, c.system, scenario);
  spec.chips_min = chips_min;
  spec.chips_max = chips_max;
  spec.c1_min_flop = c1_min_flop;
  spec.c1_max_flop = c1_max_flop;
  spec.exact_chips = exact_chips;
  spec.exact_c1_flop = exact_c1_flop;
  spec.params_cap_per_chip = memory_params_cap(*c.chip, scenario, 1.0);
  spec.params_cap = data_params_cap(scenario);
  spec.fallback_mfu = chosen_mfu(c, scenario);
  spec.fixed_point = fixed_point_options(*c.chip, scenario);
  return training::build_mfu_table(spec);
}

}  // namespace clustercap
