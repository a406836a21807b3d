#include "estimator/sweep/engine.hpp"

#include <algorithm>
#include <exception>

#include "estimator/estimate.hpp"
#include "estimator/scenario/inputs.hpp"
#include "hardware/common/parallel.hpp"
#include "power/system_power.hpp"

namespace clustercap::sweep {
namespace {

// True when the candidate's chips include the inventory line b counts.
bool holds_line(const CandidateSpec& spec, const Binding& b) {
  return static_cast<int>(spec.actor) == b.actor &&
         std::find(spec.lines.begin(), spec.lines.end(), b.line) != spec.lines.end();
}

}  // namespace

std::vector<double> values_at(const Scenario& scenario, const std::vector<double>& u) {
  std::vector<double> v(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) v[i] = scenario.sweep.inputs[i].sample(u[i]);
  return v;
}

Engine::Engine(const Scenario& scenario, const Catalog& catalog,
               const std::vector<std::pair<std::string, double>>& grid_settings, int threads)
    : scenario_(scenario),
      candidates_(list_candidates(scenario, catalog)),
      base_(build_batch(candidates_, scenario)) {
  const EstimateResult point = estimate(scenario, catalog);
  for (const auto& r : point.references) {
    references_.push_back(r.id);
    // Reference FLOP/s scale with the sampled goodput only.
    ref_per_goodput_.push_back(
        scenario.training.goodput > 0 ? r.sustained_flops / scenario.training.goodput : 0.0);
  }
  actor_cands_.resize(scenario.actors.size());
  for (std::size_t c = 0; c < candidates_.size(); ++c) {
    actor_cands_[candidates_[c].actor].push_back(static_cast<int>(c));
  }
  // Generic servers scale with the sampled overhead.
  generic_tdp_.assign(candidates_.size(), 0.0);
  for (std::size_t c = 0; c < candidates_.size(); ++c) {
    if (!power::has_system_it_power(candidates_[c].system)) {
      generic_tdp_[c] = power::server_tdp_w(base_.chips_per_system[static_cast<Eigen::Index>(c)],
                                            candidates_[c].chip->tdp_w.value_or(0.0));
    }
  }
  for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
    std::vector<double> counts;
    for (const auto& line : scenario.actors[a].inventory) counts.push_back(line.count);
    base_counts_.push_back(counts);
  }
  for (std::size_t i = 0; i < scenario.sweep.inputs.size(); ++i) {
    const UncertainInput& in = scenario.sweep.inputs[i];
    bool overridden = false;
    for (const auto& [key, value] : grid_settings) {
      overridden = overridden || key == in.indexed_key || key == in.name;
    }
    if (!overridden) bindings_.push_back(bind(in, static_cast<int>(i), 0.0));
  }
  for (const auto& [key, value] : grid_settings) {
    UncertainInput probe;
    bind_grid_key(scenario.sweep, key, probe);  // the loader checked it binds
    bindings_.push_back(bind(probe, -1, value));
  }
  // Candidates holding a line whose count a sample or the grid sets.
  counts_bound_.assign(candidates_.size(), 0);
  for (const Binding& b : bindings_) {
    if (b.target != Target::inventory_count) continue;
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      if (holds_line(candidates_[c], b)) counts_bound_[c] = 1;
    }
  }
  for (std::size_t c = 0; c < candidates_.size(); ++c) {
    median_rows_.push_back(model::row_values<double>(base_, static_cast<Eigen::Index>(c)));
  }
  median_counts_ = base_counts_;
  apply(median_rows_, median_values(), median_counts_);
  build_mfu_tables(scenario, threads);
  power_sampled_.assign(candidates_.size(), 0);
  size_sampled_.assign(candidates_.size(), 0);
  // What a sampled input can change is its input-table entry's effect.
  for (const Binding& b : bindings_) {
    if (b.input < 0) continue;
    const InputEffect effect = input_spec(b.target).effect;
    if (effect == InputEffect::outputs_only) continue;
    std::vector<std::size_t> touched;
    if (b.target == Target::inventory_count) {  // reaches candidates through their counts
      for (std::size_t c = 0; c < candidates_.size(); ++c) {
        if (holds_line(candidates_[c], b)) touched.push_back(c);
      }
    } else {
      for (int c : b.cands) touched.push_back(static_cast<std::size_t>(c));
    }
    for (std::size_t c : touched) {
      switch (effect) {
        // With the step model, run length sets the model and so the MFU.
        case InputEffect::step_model:
          if (mfu_tables_[c] != nullptr) size_sampled_[c] = 1;
          break;
        case InputEffect::site_power:
          power_sampled_[c] = 1;
          size_sampled_[c] = 1;
          break;
        case InputEffect::cluster_size:
          size_sampled_[c] = 1;
          break;
        case InputEffect::outputs_only:
        case InputEffect::supply:
        case InputEffect::multi_site:
          break;
      }
    }
  }
}

MfuBasis Engine::median_mfu_basis(std::size_t c, double chips) const {
  const CandidateSpec& spec = candidates_[c];
  MfuChoice choice;
  choice.mfu = chosen_mfu(spec, scenario_, &choice.basis);
  if (mfu_tables_[c] == nullptr) return choice.basis;
  // The kernel's look-up coordinates, and the outcome model's caps, at the medians.
  const model::RowT<double>& r = median_rows_[c];
  const double c1 = model::compute_per_unit_mfu_t(chips, r.peak_flops_per_chip,
                                                  model::goodput_at_t(r, chips), r.duration_s);
  const double memory_cap = model::memory_params_cap_t(
      chips, r.hbm_bytes_per_chip, r.activation_memory_fraction, r.bytes_per_param);
  apply_prediction(choice, predict_mfu(*spec.chip, spec.system, scenario_, chips, c1, memory_cap,
                                       model::data_params_cap_t(r.max_tokens)));
  return choice.basis;
}

std::vector<double> Engine::median_values() const {
  return values_at(scenario_, std::vector<double>(scenario_.sweep.inputs.size(), 0.5));
}

std::optional<double> Engine::fixed_goodput(std::size_t actor) const {
  for (const Binding& b : bindings_) {
    if (b.target == Target::goodput && b.input >= 0) return std::nullopt;
  }
  std::optional<double> goodput;
  for (int c : actor_cands_[actor]) {
    const double g = median_rows_[static_cast<std::size_t>(c)].goodput;
    if (goodput && g != *goodput) return std::nullopt;
    goodput = g;
  }
  return goodput;
}

template <class T>
void Engine::apply(std::vector<model::RowT<T>>& rows, const std::vector<T>& values,
                   std::vector<std::vector<T>>& counts) const {
  bool counts_changed = false;
  for (const Binding& b : bindings_) {
    const T v =
        (b.input >= 0 ? values[static_cast<std::size_t>(b.input)] : model::splat<T>(b.fixed)) *
        b.scale;
    for (int c : b.cands) {
      model::RowT<T>& r = rows[static_cast<std::size_t>(c)];
      switch (b.target) {
        case Target::goodput:
          r.goodput = v;
          break;
        case Target::mfu:
        case Target::inventory_mfu:
          r.mfu = v;
          break;
        case Target::duration_s:
          r.duration_s = v;
          break;
        case Target::max_tokens:
          r.max_tokens = v;
          break;
        case Target::activation_memory_fraction:
          r.activation_memory_fraction = v;
          break;
        case Target::bytes_per_param:
          r.bytes_per_param = v;
          break;
        case Target::switch_w:
          r.fabric.switch_w = v;
          break;
        case Target::nic_transceiver_w:
          r.fabric.nic_transceiver_w = v;
          break;
        case Target::switch_transceiver_w:
          r.fabric.switch_transceiver_w = v;
          break;
        case Target::system_overhead:
          r.system_it_power_w =
              power::generic_server_it_power_w(generic_tdp_[static_cast<std::size_t>(c)], v);
          break;
        case Target::actor_budget_usd:
          r.budget_usd = v;
          break;
        case Target::site_power_w:
          r.site_power_w = v;
          break;
        case Target::site_pue:
          r.pue = v;
          break;
        case Target::inventory_price_usd:
          r.system_price_usd = v * r.chips_per_system;
          break;
        case Target::cost_switch_usd:
          r.switch_usd = v;
          break;
        case Target::cost_transceiver_usd:
          r.transceiver_usd = v;
          break;
        case Target::cost_facility_usd_per_mw:
          r.facility_usd_per_w = v;
          break;
        case Target::cost_opex_fraction_per_year:
          r.opex_fraction_per_year = v;
          break;
        case Target::cost_depreciation_years:
          r.depreciation_s = v;
          break;
        case Target::site_electricity_usd_per_mwh:
          r.electricity_usd_per_mwh = v;
          break;
        case Target::inventory_count:
          break;
        // Supply targets change the stock a timeline accumulates, never a
        // row: timeline_sweep.cpp applies them to the scenario per sample.
        case Target::supply_wafers_per_month:
        case Target::supply_yield:
        case Target::supply_packages_per_month:
        case Target::supply_stockpile_draw_per_month:
        case Target::supply_stockpile_stacks:
        case Target::supply_stacks_per_month:
        case Target::supply_dies:
        case Target::supply_units_per_month:
        case Target::supply_units_per_year:
        case Target::supply_licensed_units_per_month:
        case Target::actor_attrition_per_year:
        case Target::site_expansion_power_w:
          break;
        // WAN inputs reach only actors with links, whose samples go through
        // `estimate` (multi_site.hpp), never a kernel row.
        case Target::link_bandwidth_tbps:
        case Target::link_distance_km:
        case Target::link_latency_ms:
        case Target::link_availability:
        case Target::sync_every_steps:
        case Target::sync_penalty:
          break;
      }
    }
    if (b.target == Target::inventory_count) {
      counts[static_cast<std::size_t>(b.actor)][static_cast<std::size_t>(b.line)] = v;
      counts_changed = true;
    }
  }
  if (!counts_changed) return;
  for (std::size_t c = 0; c < candidates_.size(); ++c) {
    if (counts_bound_[c] == 0) continue;
    const CandidateSpec& spec = candidates_[c];
    T held = model::splat<T>(0.0);
    for (int line : spec.lines) held += counts[spec.actor][static_cast<std::size_t>(line)];
    rows[c].chips_held = held;
  }
}

template void Engine::apply<double>(std::vector<model::RowT<double>>&, const std::vector<double>&,
                                    std::vector<std::vector<double>>&) const;
template void Engine::apply<model::Pack>(std::vector<model::RowT<model::Pack>>&,
                                         const std::vector<model::Pack>&,
                                         std::vector<std::vector<model::Pack>>&) const;

// One table per (chip, system): it depends on neither the site nor the
// inventory. Nodes span one system to the fabric's largest cluster and the
// compute those sizes give over a quarter to four times the run length, on
// the fixed lattice, so grid points that leave chip, system, fabric and
// training settings alone share every lattice node (the node memo); the
// size and compute at the medians (with this grid point's values) are an
// exact point, so a sweep of point values gives `estimate`'s MFU. (An
// exact point at the file's own values would miss a grid point that moves
// the size, e.g. a site's power.)
void Engine::build_mfu_tables(const Scenario& scenario, [[maybe_unused]] int threads) {
  mfu_tables_.assign(candidates_.size(), nullptr);
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t c = 0; c < candidates_.size(); ++c) {
    if (!uses_step_model(candidates_[c], scenario)) continue;
    bool placed = false;
    for (auto& g : groups) {
      const CandidateSpec& first = candidates_[g.front()];
      if (first.chip == candidates_[c].chip && first.system == candidates_[c].system) {
        g.push_back(c);
        placed = true;
      }
    }
    if (!placed) groups.push_back({c});
  }
  std::vector<std::shared_ptr<const training::MfuTable>> built(groups.size());
  parallel_for(static_cast<std::int64_t>(groups.size()), threads, [&](std::int64_t g) {
    const auto& members = groups[static_cast<std::size_t>(g)];
    const CandidateSpec& first = candidates_[members.front()];
    const auto i0 = static_cast<Eigen::Index>(members.front());
    const double cps = base_.chips_per_system[i0];
    double chips_max = cps;
    std::vector<double> exact_chips, exact_c1;
    for (std::size_t c : members) {
      const auto i = static_cast<Eigen::Index>(c);
      chips_max = std::max(chips_max, model::network_limit_systems(base_, i) * cps);
      // Where the kernel looks the median sample up (Kernel::size_of).
      const model::RowT<double>& r = median_rows_[c];
      const double chips = model::assemble_t(r).chips;
      if (chips > 0) {
        exact_chips.push_back(chips);
        exact_c1.push_back(model::compute_per_unit_mfu_t(
            chips, r.peak_flops_per_chip, model::goodput_at_t(r, chips), r.duration_s));
      }
    }
    auto table = std::make_shared<training::MfuTable>(
        clustercap::build_mfu_table(
            first, scenario, cps, chips_max,
            clustercap::compute_per_unit_mfu(*first.chip, scenario, cps) / 4,
            clustercap::compute_per_unit_mfu(*first.chip, scenario, chips_max) * 4, exact_chips,
            exact_c1)
            .table);
    built[static_cast<std::size_t>(g)] = table;
  });
  mfu_max_.assign(candidates_.size(), 0.0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const training::MfuTable& t = *built[g];
    double top = 0;
    for (std::size_t i = 0; i < t.chips_nodes().size(); ++i) {
      for (std::size_t j = 0; j < t.c1_nodes().size(); ++j) top = std::max(top, t.node(i, j));
    }
    for (std::size_t c : groups[g]) {
      mfu_tables_[c] = built[g];
      mfu_max_[c] = top;
    }
  }
}

Binding Engine::bind(const UncertainInput& in, int index, double fixed) const {
  Binding b;
  b.target = in.target;
  b.scale = in.scale;
  b.input = index;
  b.fixed = fixed;
  b.actor = in.actor;
  b.line = in.inventory;
  // No kernel row: an actor with links runs each sample through `estimate`.
  if (input_spec(in.target).effect == InputEffect::multi_site) return b;
  for (std::size_t c = 0; c < candidates_.size(); ++c) {
    const CandidateSpec& spec = candidates_[c];
    const bool same_actor = static_cast<int>(spec.actor) == in.actor;
    bool touches = false;
    switch (in.target) {
      case Target::mfu:
        touches = spec.mfu_line < 0;
        break;
      case Target::inventory_mfu:
        touches = same_actor && spec.mfu_line == in.inventory;
        break;
      case Target::inventory_price_usd:
        touches = same_actor && spec.price_line == in.inventory;
        break;
      case Target::system_overhead:
        touches = generic_tdp_[c] > 0;
        break;
      case Target::actor_budget_usd:
        touches = same_actor;
        break;
      case Target::site_power_w:
      case Target::site_pue:
      case Target::site_electricity_usd_per_mwh:
        touches = same_actor && spec.site_index == in.site;
        break;
      case Target::inventory_count:
        touches = false;
        break;  // via counts
      default:
        touches = true;
    }
    if (touches) b.cands.push_back(static_cast<int>(c));
  }
  return b;
}

}  // namespace clustercap::sweep
