#include "estimator/supply_simulation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "hardware/export_control.hpp"

namespace clustercap::supply {

std::optional<Month> parse_month(const std::string& text) {
  if (text.size() != 7 && text.size() != 10) return std::nullopt;
  if (text[4] != '-') return std::nullopt;
  for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int year = std::stoi(text.substr(0, 4));
  const int month = std::stoi(text.substr(5, 2));
  if (month < 1 || month > 12) return std::nullopt;
  return year * 12 + month - 1;
}

std::string month_text(Month month) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d", month / 12, month % 12 + 1);
  return buffer;
}

const char* to_string(SupplyKind kind) {
  switch (kind) {
    case SupplyKind::production:
      return "production";
    case SupplyKind::hbm_pool:
      return "hbm_pool";
    case SupplyKind::die_stockpile:
      return "die_stockpile";
    case SupplyKind::import:
      return "import";
    case SupplyKind::smuggling:
      return "smuggling";
  }
  return "";
}

double SupplyItem::ramp(Month m) const {
  if (ramp_months <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(m - start + 1) / ramp_months);
}

std::string import_block_reason(const Scenario& scenario, const Actor& actor, const Chip& chip,
                                Month m) {
  const export_control::Vintage* in_force = nullptr;
  for (const auto& v : scenario.export_rule_history) {
    const auto effective = parse_month(v.effective);
    if (effective && *effective <= m) in_force = &v;  // history is oldest first
  }
  for (const auto& v : scenario.export_rule_history) {
    for (const auto& n : v.named) {
      const auto effective = parse_month(n.effective);
      const bool named =
          std::find(n.chip_ids.begin(), n.chip_ids.end(), chip.id) != n.chip_ids.end();
      if (named && effective && *effective <= m &&
          std::find(v.destinations.begin(), v.destinations.end(), actor.country) !=
              v.destinations.end()) {
        return "named for licensing from " + n.effective + " (rule " + v.id + ")";
      }
    }
  }
  if (in_force == nullptr) return "";
  if (std::find(in_force->destinations.begin(), in_force->destinations.end(), actor.country) ==
      in_force->destinations.end()) {
    return "";
  }
  for (const auto& metrics : export_control::chip_metrics(chip)) {
    const export_control::Verdict v = export_control::classify(metrics, *in_force);
    // A named control counts from its own date (checked above), not the vintage's.
    if (v.controlled && v.named_sources.empty()) return v.status + " under rule " + in_force->id;
  }
  return "";
}

namespace {

struct ActorState {
  std::map<std::tuple<std::string, std::string, std::string>, double> stock;
  std::map<std::string, double> hbm;        // pool name -> stacks
  std::map<std::string, double> die_banks;  // pool or line name -> dies
  double budget_left = kUnlimited;
  int budget_year = -1;
};

std::string resolve_system(const SupplyItem& item, const Catalog& catalog) {
  if (!item.system_id.empty()) return item.system_id;
  const Chip* chip = catalog.find_chip(item.chip_id);
  return chip != nullptr ? chip->default_system : "";
}

// How many units the remaining yearly budget buys.
double affordable(const ActorState& s, const SupplyItem& item) {
  if (std::isinf(s.budget_left)) return kUnlimited;
  const double price = item.price_usd.value_or(0.0);
  if (price <= 0) return kUnlimited;
  return std::floor(s.budget_left / price);
}

void spend(ActorState& s, const SupplyItem& item, double units) {
  if (!std::isinf(s.budget_left)) s.budget_left -= units * item.price_usd.value_or(0.0);
}

Flow produce(const SupplyItem& item, Month m, ActorState& s) {
  Flow flow{item.name, item.kind, item.chip_id, 0, 0, "", ""};
  const double r = item.ramp(m);
  double& bank = s.die_banks[item.name];
  bank += std::floor(item.wafers_per_month * r * item.dies_per_wafer * item.yield);
  double stockpile = 0;
  if (!item.die_stockpile.empty()) {
    stockpile = std::min(s.die_banks[item.die_stockpile], item.stockpile_draw_per_month);
  }
  const double by_dies = std::floor((bank + stockpile) / item.dies_per_package);
  const double by_hbm = item.hbm_stacks_per_package > 0
                            ? std::floor(s.hbm[item.hbm_pool] / item.hbm_stacks_per_package)
                            : kUnlimited;
  const double by_packaging = std::floor(item.packages_per_month * r);
  const double by_budget = affordable(s, item);
  const std::pair<double, const char*> stages[] = {{by_dies, stockpile > 0 ? "dies" : "wafers"},
                                                   {by_hbm, "hbm"},
                                                   {by_packaging, "packaging"},
                                                   {by_budget, "budget"}};
  const auto* best = &stages[0];
  for (const auto& stage : stages) {
    if (stage.first < best->first) best = &stage;
  }
  const double out = std::max(0.0, best->first);
  flow.units = out;
  flow.binding = best->second;
  // Dies come from the line's own wafers first, then the stockpile.
  double dies_needed = out * item.dies_per_package;
  const double from_bank = std::min(bank, dies_needed);
  bank -= from_bank;
  dies_needed -= from_bank;
  if (dies_needed > 0) s.die_banks[item.die_stockpile] -= dies_needed;
  if (item.hbm_stacks_per_package > 0) s.hbm[item.hbm_pool] -= out * item.hbm_stacks_per_package;
  spend(s, item, out);
  return flow;
}

Flow deliver(const SupplyItem& item, Month m, ActorState& s, const std::string& block_reason) {
  Flow flow{item.name, item.kind, item.chip_id, 0, 0, "", ""};
  double units = std::floor(item.units_per_month * item.ramp(m));
  if (item.kind == SupplyKind::import && !block_reason.empty()) {
    if (!item.licensed) {
      flow.blocked = units;
      flow.binding = "export rule";
      flow.note = "blocked: " + block_reason + "; no licence";
      return flow;
    }
    if (units > item.licensed_units_per_month) {
      flow.blocked = units - item.licensed_units_per_month;
      units = item.licensed_units_per_month;
      flow.binding = "licence cap";
    }
    flow.note =
        "licensed: " + block_reason +
        (std::isinf(item.licensed_units_per_month)
             ? std::string()
             : "; licence cap " + std::to_string(std::llround(item.licensed_units_per_month)) +
                   " a month");
  }
  const double budget = affordable(s, item);
  if (budget < units) {
    flow.blocked += units - budget;
    units = budget;
    flow.binding = "budget";
  }
  flow.units = units;
  spend(s, item, units);
  return flow;
}

}  // namespace

std::vector<ActorTimeline> simulate_supply(const Scenario& scenario, const Catalog& catalog,
                                           const TimelineSettings& settings) {
  std::vector<ActorTimeline> timelines;
  for (const auto& actor : scenario.actors) {
    ActorTimeline timeline;
    timeline.actor = actor.name;
    ActorState s;
    for (const auto& line : actor.inventory) {
      const Chip* chip = catalog.find_chip(line.chip_id);
      const std::string system =
          !line.system_id.empty() ? line.system_id : (chip ? chip->default_system : "");
      s.stock[{line.chip_id, system, actor.centralize ? "" : line.site}] += line.count;
    }
    std::vector<const SupplyItem*> items;
    for (const auto& item : scenario.supply) {
      if (item.actor != actor.name) continue;
      items.push_back(&item);
      if (item.kind == SupplyKind::hbm_pool) s.hbm[item.name] = item.stockpile_stacks;
      if (item.kind == SupplyKind::die_stockpile) s.die_banks[item.name] = item.dies;
      timeline.cumulative_units.emplace_back(item.name, 0.0);
    }
    const double survival = std::pow(1.0 - actor.supply.attrition_per_year, 1.0 / 12.0);

    for (Month m = settings.start; m <= settings.end; ++m) {
      MonthState state;
      state.month = m;
      const int year = m / 12;
      if (year != s.budget_year) {
        s.budget_year = year;
        s.budget_left = actor.supply.budget_usd_per_year.value_or(kUnlimited);
      }
      for (auto& [key, count] : s.stock) {
        const double kept = count * survival;
        state.retired += count - kept;
        count = kept;
      }
      for (std::size_t k = 0; k < items.size(); ++k) {
        const SupplyItem& item = *items[k];
        if (!item.active(m)) continue;
        Flow flow;
        switch (item.kind) {
          case SupplyKind::hbm_pool:
            s.hbm[item.name] += item.stacks_per_month * item.ramp(m);
            flow = {item.name, item.kind, "",      item.stacks_per_month * item.ramp(m),
                    0,         "",        "stacks"};
            break;
          case SupplyKind::die_stockpile:
            continue;  // consumed by production lines
          case SupplyKind::production:
            flow = produce(item, m, s);
            break;
          case SupplyKind::import:
          case SupplyKind::smuggling: {
            const Chip& chip = *catalog.find_chip(item.chip_id);
            const std::string reason = item.kind == SupplyKind::import
                                           ? import_block_reason(scenario, actor, chip, m)
                                           : std::string();
            flow = deliver(item, m, s, reason);
            break;
          }
        }
        if (item.kind != SupplyKind::hbm_pool) {
          s.stock[{item.chip_id, resolve_system(item, catalog),
                   actor.centralize ? "" : item.site}] += flow.units;
        }
        timeline.cumulative_units[k].second += flow.units;
        state.flows.push_back(flow);
      }
      for (const SupplyItem* item : items) {
        if (item->kind == SupplyKind::hbm_pool)
          state.pools.emplace_back(item->name, s.hbm[item->name]);
        if (item->kind == SupplyKind::die_stockpile || item->kind == SupplyKind::production) {
          // A line's own bank holds good dies that packaging or HBM could not use yet.
          const std::string label =
              item->kind == SupplyKind::production ? item->name + " die bank" : item->name;
          state.pools.emplace_back(label, s.die_banks[item->name]);
        }
      }
      for (const auto& [key, count] : s.stock) {
        state.stocks.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
      }
      timeline.months.push_back(std::move(state));
    }
    timelines.push_back(std::move(timeline));
  }
  return timelines;
}

}  // namespace clustercap::supply
