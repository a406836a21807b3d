#include "estimator/timeline.hpp"

#include <algorithm>
#include <cmath>

#include "hardware/common/input_error.hpp"

namespace clustercap {
namespace {

std::vector<Site> sites_at(const Actor& actor, supply::Month m) {
  std::vector<Site> sites = actor.sites;
  for (auto& site : sites) {
    supply::Month latest = -1;
    for (const auto& e : actor.supply.expansions) {
      if (e.site == site.name && e.from <= m && e.from >= latest) {
        site.power_w = e.power_w;
        latest = e.from;
      }
    }
  }
  return sites;
}

SupplySource source_of(supply::SupplyKind kind) {
  switch (kind) {
    case supply::SupplyKind::production:
      return SupplySource::domestic;
    case supply::SupplyKind::import:
      return SupplySource::imports;
    case supply::SupplyKind::smuggling:
      return SupplySource::smuggled;
    default:
      return SupplySource::unspecified;
  }
}

// The actor as it stands in month `state`: its stock as inventory lines.
Actor actor_at(const Actor& actor, const supply::MonthState& state,
               const std::vector<supply::SupplyItem>& items) {
  Actor a = actor;
  a.sites = sites_at(actor, state.month);
  a.inventory.clear();
  for (const auto& stock : state.stocks) {
    if (stock.count < 1) continue;  // nothing delivered yet
    InventoryLine line;
    // Chips that only arrive through supply take the source of their first line.
    for (const auto& item : items) {
      if (item.actor == actor.name && item.chip_id == stock.chip_id) {
        line.source = source_of(item.kind);
        break;
      }
    }
    line.chip_id = stock.chip_id;
    line.system_id = stock.system_id;
    line.site = stock.site;
    line.count = std::floor(stock.count + 1e-9);
    // Per-line overrides (mfu, price) of the starting inventory carry over.
    for (const auto& original : actor.inventory) {
      if (original.chip_id == stock.chip_id) {
        line.mfu = original.mfu;
        line.mfu_basis = original.mfu_basis;
        line.price_usd = original.price_usd;
        line.source = original.source;
      }
    }
    a.inventory.push_back(line);
  }
  return a;
}

}  // namespace

Scenario scenario_at_month(const Scenario& scenario, const Catalog& catalog, supply::Month month) {
  if (!scenario.timeline) throw RuntimeFailure("internal: supply without a timeline");
  supply::TimelineSettings settings = *scenario.timeline;
  settings.end = std::max(settings.start, month);
  const auto timelines = supply::simulate_supply(scenario, catalog, settings);
  Scenario at = scenario;
  for (std::size_t a = 0; a < at.actors.size(); ++a) {
    at.actors[a] = actor_at(scenario.actors[a], timelines[a].months.back(), scenario.supply);
  }
  at.supply.clear();
  return at;
}

Scenario actor_months(const Scenario& scenario,
                      const std::vector<supply::ActorTimeline>& timelines) {
  Scenario all = scenario;
  all.actors.clear();
  all.supply.clear();
  for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
    for (const auto& state : timelines[a].months) {
      all.actors.push_back(actor_at(scenario.actors[a], state, scenario.supply));
    }
  }
  return all;
}

TimelineResult run_timeline(const Scenario& scenario, const Catalog& catalog) {
  if (!scenario.timeline) throw RuntimeFailure("internal: timeline without [timeline]");
  TimelineResult result;
  result.scenario_name = scenario.name;
  result.scenario_file = scenario.file;
  result.precision = scenario.training.precision;
  if (scenario.export_rule) result.export_rule = scenario.export_rule->id;
  result.settings = *scenario.timeline;
  result.sources_used = scenario.sweep.sourced;
  result.source_choice = scenario.sweep.sources;

  const auto timelines = supply::simulate_supply(scenario, catalog, *scenario.timeline);
  // Every actor-month becomes one actor of a single estimate: one batch.
  const EstimateResult estimated = estimate(actor_months(scenario, timelines), catalog);
  result.references = estimated.references;

  std::size_t k = 0;
  for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
    TimelineActor ta;
    ta.name = scenario.actors[a].name;
    ta.cumulative_units = timelines[a].cumulative_units;
    for (const auto& ref : estimated.references) ta.overtakes.push_back({ref.id, std::nullopt});
    for (const auto& state : timelines[a].months) {
      const ActorResult& ar = estimated.actors[k];
      TimelineMonth tm;
      tm.month = state.month;
      tm.inventory = ar.inventory;
      tm.inventory_h100e = ar.inventory_h100e;
      tm.flows = state.flows;
      tm.retired = state.retired;
      tm.pools = state.pools;
      tm.site_power_w = ar.cluster.site_power_w;
      tm.cluster = ar.cluster;
      tm.training = ar.training;
      tm.metrics = ar.metrics;
      tm.vs_reference = ar.vs_reference;
      if (!ar.cluster.chip_id.empty() && !ar.binding_defaults.empty()) {
        const model::Constraint limit = ar.cluster.binding;
        const bool seen =
            std::any_of(ta.binding_defaults.begin(), ta.binding_defaults.end(),
                        [&](const TimelineBindingDefaults& b) { return b.limit == limit; });
        if (!seen) {
          ta.binding_defaults.push_back({limit, state.month,
                                         ar.cluster.limits[static_cast<std::size_t>(limit)],
                                         ar.binding_defaults});
        }
      }
      for (std::size_t r = 0; r < tm.vs_reference.size(); ++r) {
        if (!ta.overtakes[r].first_month && tm.vs_reference[r].ratio_sustained_flops >= 1.0) {
          ta.overtakes[r].first_month = state.month;
        }
      }
      ta.months.push_back(std::move(tm));
      ++k;
    }
    result.actors.push_back(std::move(ta));
  }
  return result;
}

}  // namespace clustercap
