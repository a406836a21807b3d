// `estimate`: for each actor, the largest single training cluster it can
// assemble, what binds it, and what it could train (docs/methodology.md §5).
//
// Every (chip type, system, site) an actor could build is one candidate; all
// candidates of all actors are evaluated as one batch by the same model the
// sweep engine uses, and each actor's cluster is its candidate with the most
// sustained FLOP/s. Pure: no I/O; throws only on internal inconsistencies.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "estimator/metrics.hpp"
#include "estimator/model/cluster_batch.hpp"
#include "estimator/model/wan.hpp"
#include "estimator/plan.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/training/mfu_fixed_point.hpp"
#include "estimator/training/step_model.hpp"
#include "hardware/catalog.hpp"
#include "power/system_power.hpp"

namespace clustercap {

// What the scenario's export rule says about a chip the actor holds.
struct ExportFlag {
  std::string rule;                // vintage id
  std::string status;              // "3A090.a", "outside 3A090", ...
  bool controlled = false;         // a licence is required for this destination
  std::vector<std::string> named;  // licence requirements outside the thresholds
};

struct InventorySummary {
  std::string chip_id;
  double count = 0;
  double h100e = 0;  // count * dense peak / H100 dense peak, at the scenario precision
  std::vector<std::pair<SupplySource, double>> by_source;  // in first-seen order
  std::optional<ExportFlag> export_control;                // set when the scenario names a rule
};

// Chips each limit of the model's table allows (whole systems), indexed by
// model::Constraint: chips held, what the site's power supports, what the
// fabric can connect, what the budget buys. +inf (model::kNoLimit) where a
// limit does not apply (budget without one).
using ClusterLimits = std::array<double, model::kLimitCount>;

struct NetworkSummary {
  int tiers = 0;
  double switches = 0;
  double transceivers = 0;
  double endpoints = 0;
  double power_w = 0;
  bool included_in_system_power = false;
  int planes = 0;  // independent fabric planes (plan.hpp candidate_fabric)
  // Where `planes` comes from when the file does not set network.planes.
  std::optional<DefaultedInput> planes_default;
};

// One site's part of a cluster (a single-site cluster has one).
struct SiteShare {
  std::string name;
  double chips = 0;
  double systems = 0;
  double it_power_w = 0;
  double facility_power_w = 0;
  double mfu = 0;  // inside the site, before the WAN
};

// How a cluster spanning sites is linked (model/wan.hpp).
struct WanSummary {
  std::vector<std::string> ring;    // site names in ring order
  std::vector<std::string> links;   // "A - B", the links the ring uses
  double bandwidth_bits_per_s = 0;  // the slowest link's
  double hop_latency_s = 0;         // the longest hop's, one way
  double availability = 1.0;        // product over the links used
  double params = 0;                // model whose gradient is all-reduced
  double batch_tokens = 0;          // tokens per optimizer step
  bool batch_from_file = false;     // [training] batch_tokens, else the fixed point's rule
  int sync_every_steps = 1;
  double sync_penalty = 0;
  std::string sync_penalty_basis;
  double sustained_flops_before_wan = 0;  // the sites together
  model::WanStep step;
};

struct ClusterResult {
  std::string chip_id;
  std::string system_id;  // empty: generic servers
  std::string system_label;
  std::string site;
  double site_power_w = 0;
  double pue = 0;
  double chips = 0;  // deployed: what the limits allow (the "largest cluster")
  // Chips the training layout uses: `chips`, unless the step model trains on
  // fewer because the best layout on all of them runs worse (the prediction's
  // chips_used; mfu is then per chip deployed, so sustained_flops holds).
  double training_chips = 0;
  double systems = 0;
  double chips_per_system = 0;
  model::Constraint binding = model::Constraint::chips;
  ClusterLimits limits{};  // zeros until set (a hand-built result must not print garbage)
  double system_it_power_w = 0;
  power::SystemPower system_power;  // where system_it_power_w comes from
  double it_power_w = 0;
  double facility_power_w = 0;
  NetworkSummary network;
  double peak_flops = 0;
  double mfu = 0;
  MfuBasis mfu_basis;
  // [training] mfu_model = "step-model" and nothing overrode it: the fixed
  // point was run (mfu_prediction.predicted says whether it gave the MFU).
  bool mfu_step_model = false;
  training::MfuPrediction mfu_prediction;
  double sustained_flops = 0;
  double h100e = 0;
  // Where the chips are: one entry per site the cluster spans, largest
  // first; `wan` set when it spans more than one.
  std::vector<SiteShare> sites;
  std::optional<WanSummary> wan;
  // Costs (the figures are metrics): the site's electricity price (across
  // sites: each site's price weighted by its facility power, so energy cost
  // is the sum of the sites') and whether any is its country's default; the
  // actor's budget (+inf: none).
  double electricity_usd_per_mwh = 0;
  bool electricity_defaulted = false;
  double budget_usd = model::kNoLimit;
};

struct TrainingResult {
  double duration_s = 0;
  double goodput = 0;
  double train_flop = 0;
  double params = 0;
  double tokens = 0;
  double params_compute_optimal = 0;
  double params_memory_limit = 0;
  double model_train_flop = 0;
  model::ModelLimit limited_by = model::ModelLimit::compute;
  // With a [workload]: the fastest layout that fits, and what it achieves.
  bool has_workload = false;
  std::string workload_name;
  bool workload_fits = false;
  training::Layout layout;
  training::StepBreakdown step;
  double step_time_s = 0;
  double predicted_mfu = 0;
  double tokens_per_s = 0;               // after goodput
  double days_to_train = 0;              // the workload's tokens
  std::uint64_t layouts_evaluated = 0;   // valid layouts (0: none divides the chips)
  std::uint64_t layouts_fitting = 0;     // of which fit in memory, before the scenario's tp/pp
  double min_memory_per_chip_bytes = 0;  // over the valid layouts; 0 when there are none
  double hbm_per_chip_bytes = 0;
  // The scale-out bandwidth per chip the step model used and where it comes
  // from: "network.port_gbps" (the file sets it), "catalog" (the chip's or
  // system's NIC figure) or "default port_gbps" (neither).
  double scaleout_gbps = 0;
  std::string scaleout_source;
};

struct ReferenceResult {
  std::string id;
  std::string name;
  double chips = 0;
  double h100e = 0;
  // Same precision, goodput and MFU basis as the actors: [training] mfu if
  // set, else the step-model fixed point at the whole cluster's size (each
  // chip type as if it made up the cluster), else the catalog priors.
  double sustained_flops = 0;
  double mfu = 0;                   // sustained / (peak x goodput)
  std::vector<MfuBasis> mfu_basis;  // one per chip type
  std::optional<double> power_w;
  std::string power_scope;
};

struct ReferenceComparison {
  std::string reference;
  double ratio_sustained_flops = 0;
  double ratio_chips = 0;
  double ratio_h100e = 0;
  std::optional<double> ratio_power;
};

struct CandidateSummary {
  std::string chip_id;
  std::string system_label;
  std::string site;
  double chips = 0;
  model::Constraint binding = model::Constraint::chips;
  double sustained_flops = 0;
  double facility_power_w = 0;
  double mfu = 0;
  MfuBasis mfu_basis;
};

struct ActorResult {
  std::string name;
  bool centralize = false;
  std::vector<InventorySummary> inventory;
  double inventory_count = 0;
  double inventory_h100e = 0;
  ClusterResult cluster;
  TrainingResult training;
  // The output metrics table's figures for `cluster` (kMetrics order,
  // estimator/metrics.hpp); zeros when the actor has no cluster.
  MetricValues metrics{};
  std::vector<ReferenceComparison> vs_reference;
  std::vector<CandidateSummary> candidates;  // best first
  std::vector<std::string> warnings;
  // The catalog figures `cluster` was computed from, with their sources.
  std::vector<CitedFigure> catalog_figures;
  // Settings the file left out that the cluster's binding limit depends on
  // (plan.hpp limit_defaults); reporters name them among the warnings.
  std::vector<DefaultedInput> binding_defaults;
};

struct EstimateResult {
  std::string scenario_name;
  std::string scenario_file;
  std::string scenario_date;
  std::string description;
  Precision precision = Precision::bf16;
  std::string export_rule;  // vintage id or empty
  // Inputs written as distributions; a point estimate uses their medians.
  std::vector<std::pair<std::string, double>> medians_used;
  // Inputs written as competing estimates, each with the one this run used,
  // and the run's source preference.
  std::vector<sweep::SourcedInput> sources_used;
  sweep::SourceChoice source_choice;
  std::vector<ActorResult> actors;
  std::vector<ReferenceResult> references;
};

EstimateResult estimate(const Scenario& scenario, const Catalog& catalog);

// Dense peak of `chip` divided by the H100 SXM's, at `precision`; 0 when
// either is missing from the catalog.
double h100_equivalents_per_chip(const Chip& chip, Precision precision, const Catalog& catalog);

// Two steps of estimate(), for a caller that needs them without the rest (a
// timeline sweep's samples, sweep/timeline_sweep.cpp): an actor's inventory
// per chip type (ActorResult::inventory), and a reference cluster's figures
// under the scenario's settings (EstimateResult::references).
std::vector<InventorySummary> inventory_summary(const Actor& actor, Precision precision,
                                                const Catalog& catalog);
ReferenceResult reference_result(const ReferenceCluster& cluster, const Scenario& scenario,
                                 const Catalog& catalog);
// estimate()'s order of preference among an actor's candidates (indices
// into `out`): most sustained FLOP/s first; then more chips; then the order
// given (catalog order).
void sort_by_preference(std::vector<std::size_t>& candidates, const model::ClusterResults& out);

}  // namespace clustercap
