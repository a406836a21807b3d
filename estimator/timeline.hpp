// `timeline`: month by month, each actor's inventory from its supply lines
// and the largest cluster it could assemble from it (the estimate pipeline,
// all actor-months evaluated as one batch), with the first month each
// reference cluster is overtaken. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "estimator/estimate.hpp"
#include "estimator/supply_simulation.hpp"

namespace clustercap {

struct TimelineMonth {
  supply::Month month = 0;
  std::vector<InventorySummary> inventory;
  double inventory_h100e = 0;
  std::vector<supply::Flow> flows;
  double retired = 0;
  std::vector<std::pair<std::string, double>> pools;  // HBM stacks / stockpiled dies left
  double site_power_w = 0;                            // of the cluster's site that month
  ClusterResult cluster;
  TrainingResult training;
  MetricValues metrics{};  // the month's cluster through the metrics table (costs among them)
  std::vector<ReferenceComparison> vs_reference;
};

struct Overtake {
  std::string reference;
  std::optional<supply::Month> first_month;  // nullopt: never within the horizon
};

// A limit that binds, in some month, on settings the file left out: the
// first such month, the chips it allows then, and those settings.
struct TimelineBindingDefaults {
  model::Constraint limit = model::Constraint::chips;
  supply::Month month = 0;
  double chips = 0;
  std::vector<DefaultedInput> defaults;
};

struct TimelineActor {
  std::string name;
  // One per limit, in the order they first bind on defaults (once per actor,
  // not per month).
  std::vector<TimelineBindingDefaults> binding_defaults;
  std::vector<TimelineMonth> months;
  std::vector<Overtake> overtakes;
  std::vector<std::pair<std::string, double>> cumulative_units;  // per supply item
};

struct TimelineResult {
  std::string scenario_name;
  std::string scenario_file;
  Precision precision = Precision::bf16;
  std::string export_rule;
  supply::TimelineSettings settings;
  std::vector<ReferenceResult> references;
  std::vector<TimelineActor> actors;
  // Inputs written as competing estimates and the one each used.
  std::vector<sweep::SourcedInput> sources_used;
  sweep::SourceChoice source_choice;
};

// Needs scenario.timeline.
TimelineResult run_timeline(const Scenario& scenario, const Catalog& catalog);

// The scenario whose actors are every actor-month of `timelines` (the
// supply simulation of `scenario`), actor by actor and month by month, each
// holding its stock that month as inventory and its sites' power as of that
// month; no supply lines. One estimate over it is the whole timeline.
Scenario actor_months(const Scenario& scenario,
                      const std::vector<supply::ActorTimeline>& timelines);

// The scenario with each actor's inventory replaced by its stock at the end
// of `month` and site power as of that month (used by `estimate` when a
// scenario has [[supply]]).
Scenario scenario_at_month(const Scenario& scenario, const Catalog& catalog, supply::Month month);

}  // namespace clustercap
