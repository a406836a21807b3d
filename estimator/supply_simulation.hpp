// Month-by-month supply simulation (pure): stocks per chip, system and site
// for each actor, and what each supply line delivered, lost or was denied.
#pragma once

#include <string>
#include <vector>

#include "estimator/scenario/scenario.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::supply {

struct Stock {
  std::string chip_id;
  std::string system_id;  // as given or the chip's default; empty: generic servers
  std::string site;       // empty: wherever the actor's first site is
  double count = 0;
};

struct Flow {
  std::string supply;  // item name
  SupplyKind kind = SupplyKind::import;
  std::string chip_id;
  double units = 0;     // added to the stock this month (packages, chips, stacks)
  double blocked = 0;   // denied by an export rule or the budget
  std::string binding;  // production: wafers, dies, hbm, packaging, budget; imports: rule or cap
  std::string note;
};

struct MonthState {
  Month month = 0;
  std::vector<Stock> stocks;
  std::vector<Flow> flows;
  double retired = 0;  // chips lost to attrition this month
  // Levels after the month: HBM pools in stacks, die stockpiles in dies.
  std::vector<std::pair<std::string, double>> pools;
};

struct ActorTimeline {
  std::string actor;
  std::vector<MonthState> months;
  // Totals over the horizon per supply item, in the order of the file.
  std::vector<std::pair<std::string, double>> cumulative_units;
};

// Whether month `m` lets `chip` into the actor's country: "" when allowed,
// else the reason ("3A090.a under 2023-10", "named under 2026-01").
std::string import_block_reason(const Scenario& scenario, const Actor& actor, const Chip& chip,
                                Month m);

// Runs every actor from settings.start to settings.end inclusive.
std::vector<ActorTimeline> simulate_supply(const Scenario& scenario, const Catalog& catalog,
                                           const TimelineSettings& settings);

}  // namespace clustercap::supply
