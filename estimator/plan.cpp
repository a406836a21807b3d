#include "estimator/plan.hpp"

#include <cmath>
#include <map>
#include <tuple>

#include "hardware/input_error.hpp"
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

double endpoints_per_chip(const Chip& chip, const System* system, double port_gbps) {
  // A chip with no catalogued NIC is assumed to get one switch port.
  double bits = chip.scaleout_bits_per_s.value_or(0.0);
  if (system != nullptr && system->scaleout_bits_per_s_per_chip) {
    bits = *system->scaleout_bits_per_s_per_chip;
  }
  if (bits <= 0) return 1.0;
  return std::max(1.0, std::ceil(bits / (port_gbps * 1e9)));
}

}  // namespace

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

double chosen_mfu(const CandidateSpec& c, const Scenario& scenario, std::string* basis) {
  const Precision p = scenario.training.precision;
  if (c.mfu_override) {
    *basis = "scenario actor.inventory.mfu";
    return *c.mfu_override;
  }
  if (scenario.training.mfu) {
    *basis = "scenario training.mfu";
    return *scenario.training.mfu;
  }
  *basis = "catalog prior " + c.chip->id + ".mfu_" + (p == Precision::fp8 ? "fp8" : "bf16");
  return c.chip->mfu_prior(p).value_or(0.0);
}

model::ClusterBatch build_batch(const std::vector<CandidateSpec>& candidates,
                                const Scenario& scenario) {
  model::ClusterBatch batch(static_cast<Eigen::Index>(candidates.size()));
  const TrainingSettings& t = scenario.training;
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    const CandidateSpec& c = candidates[k];
    const Actor& actor = scenario.actors[c.actor];
    const power::SystemPower sp = power::system_it_power(*c.chip, c.system, scenario.generic_server);
    std::string basis;
    batch.chips_held[i] = c.chips_held;
    batch.chips_per_system[i] = sp.chips_per_system;
    batch.system_it_power_w[i] = sp.it_power_w;
    batch.system_includes_scaleout[i] = sp.includes_scaleout ? 1.0 : 0.0;
    batch.endpoints_per_chip[i] = endpoints_per_chip(*c.chip, c.system, scenario.network.port_gbps);
    batch.site_power_w[i] = c.site->power_w;
    batch.pue[i] = c.site->pue;
    batch.budget_usd[i] = actor.budget_usd.value_or(model::kNoLimit);
    batch.system_price_usd[i] = c.price_per_chip.value_or(0.0) * sp.chips_per_system;
    batch.peak_flops_per_chip[i] = c.chip->peak_flops(t.precision).value_or(0.0);
    batch.mfu[i] = chosen_mfu(c, scenario, &basis);
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
    batch.fabric[k] = scenario.network;
  }
  return batch;
}

}  // namespace clustercap
