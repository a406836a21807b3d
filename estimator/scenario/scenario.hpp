// A scenario: who holds which accelerators where, with what power, network
// and training settings, and which reference clusters to compare against.
//
// Plain structs with defaults (the defaults are documented here and in
// configs/default.toml). SI units inside; the loader converts from the
// unit-suffixed config keys (power_mw, duration_days, ...).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "estimator/model/cost.hpp"
#include "estimator/model/fat_tree.hpp"
#include "estimator/model/goodput.hpp"
#include "estimator/scenario/uncertain.hpp"
#include "estimator/supply/supply.hpp"
#include "estimator/training/step_model.hpp"
#include "hardware/export_control.hpp"
#include "hardware/precision.hpp"
#include "power/system_power.hpp"

namespace clustercap {

enum class SupplySource { unspecified, imports, smuggled, domestic, stockpile };
const char* to_string(SupplySource source);

struct Site {
  std::string name;
  double power_w = 0;  // facility power the site can supply, W (> 0)
  double pue = 1.2;    // facility / IT power, [1, 3]
  // Electricity price, USD/MWh (> 0): as written, else the actor's country
  // default (model/cost.hpp; then electricity_defaulted).
  double electricity_usd_per_mwh = 0;
  bool electricity_defaulted = false;
};

// A WAN link between two of an actor's sites ([[actor.link]]): a run may
// span linked sites (model/wan.hpp).
struct SiteLink {
  std::string site_a, site_b;       // site names as written
  int a = 0, b = 0;                 // indices into the actor's sites
  double bandwidth_bits_per_s = 0;  // each direction (bandwidth_tbps x 1e12)
  // One way: latency_ms as written, or distance_km over fibre at 2e5 km/s.
  double latency_s = 0;
  std::optional<double> distance_km;  // when the file gives distance
  double availability = 1.0;          // share of time the link is up, (0, 1]
  std::int64_t line = 0;
};

struct InventoryLine {
  std::string chip_id;
  std::string system_id;  // empty: the chip's default system, else generic servers
  std::string site;       // empty: the actor's only site (or any, when centralising)
  double count = 0;       // chips, whole number >= 0
  SupplySource source = SupplySource::unspecified;
  std::optional<double> price_usd;  // per chip; overrides the catalog
  std::optional<double> mfu;        // overrides [training] mfu and the catalog prior
  std::string mfu_basis;            // why `mfu` is used (a source); only with mfu; may be empty
  std::int64_t line = 0;            // where it was defined, for messages
};

struct Actor {
  std::string name;
  std::string country;  // ISO code ("CN"); matched against the export rule's destinations
  // true: every chip can be moved to whichever single site gives the largest
  // cluster (the government-pools-its-chips case); false: chips stay where
  // the inventory puts them.
  bool centralize = false;
  std::optional<double> budget_usd;  // caps accelerator purchases; none = no cap
  std::vector<Site> sites;
  std::vector<SiteLink> links;           // WAN links between sites; none: one site per cluster
  std::vector<InventoryLine> inventory;  // the stock at the timeline's start
  supply::ActorSupply supply;
};

// Where a cluster's MFU comes from when no inventory line and no [training]
// mfu sets it ([training] mfu_model).
enum class MfuModel {
  // The step-time model's MFU for the largest compute-optimal dense model
  // the cluster trains in the run, found as a fixed point (model size
  // depends on MFU and MFU on model size); the catalog prior, with the
  // reason, when no layout of that model fits.
  step_model,
  prior,  // the catalog's per-chip prior (runs at 1k-16k chips)
};
const char* to_string(MfuModel model);  // "step-model", "prior"

struct TrainingSettings {
  Precision precision = Precision::bf16;
  double duration_s = 100.0 * 86400.0;  // required in files; 100 days here
  // Llama 3 405B: >90% effective training time over 54 days (docs/methodology.md R24).
  double goodput = 0.9;
  std::optional<double> mfu;  // overrides every chip's catalog prior and the step model
  std::string mfu_basis;      // why `mfu` is used (a source); only with mfu; may be empty
  MfuModel mfu_model = MfuModel::step_model;
  // Mixed-precision Adam: bf16 weights and grads + fp32 master, m, v (docs/methodology.md R17).
  double bytes_per_param = 16.0;
  // Share of HBM reserved for activations and buffers in the memory-fit
  // check. An assumption, not a sourced figure; set it per scenario.
  double activation_memory_fraction = 0.25;
  std::optional<double> max_tokens;  // data available; none = unlimited
  // Across WAN-linked sites only (model/wan.hpp): tokens per optimizer step
  // (none: the MFU fixed point's batch rule for the model trained, 60M
  // tokens at 405B growing as N^0.36, docs/methodology.md §2.6), inner
  // steps per WAN synchronisation (1: synchronous; more: DiLoCo-style,
  // arXiv 2311.08105) and the share of the compute's value that infrequent
  // synchronisation loses (required with sync_every_steps > 1: never free).
  std::optional<double> batch_tokens;
  int sync_every_steps = 1;
  double sync_penalty = 0;
  std::string sync_penalty_basis;  // the source of sync_penalty
  // When set, goodput follows from failures at the cluster's size.
  std::optional<model::FailureModel> failures;
};

// True when a chip needs no catalog MFU prior under these settings: an
// inventory line's mfu or [training] mfu sets it, or the step model predicts
// it, which needs the chip's HBM bandwidth (the prior is then only the
// fallback when no layout fits). An extra chip given with --hardware thus
// needs no MFU prior under the default mfu_model.
inline bool mfu_supplied(const std::optional<double>& line_mfu, const TrainingSettings& t,
                         const Chip& chip) {
  if (line_mfu || t.mfu) return true;
  return t.mfu_model == MfuModel::step_model && chip.hbm_bandwidth_bytes_per_s.has_value();
}

// Where a setting's value comes from when the file does not write it.
enum class DefaultSource {
  code,     // the constant beside the field (this header, fat_tree.hpp, system_power.hpp)
  catalog,  // the candidate's system in the catalog (network.planes: its scaleout_rails)
};

// A scenario setting the file left out: its key as a file writes it
// ("network.planes"), the value the model uses (`name` instead for a named
// setting such as precision "bf16"), and where that comes from. catalog_id
// names the catalog entry when source is catalog.
struct DefaultedInput {
  std::string key;
  double value = 0;
  std::string name;  // non-empty for a named (non-numeric) setting
  DefaultSource source = DefaultSource::code;
  std::string catalog_id;
};

// A short name written where a catalog id belongs ("h20" for nvidia_h20).
struct AliasUse {
  std::string alias;  // as written
  std::string id;     // the catalog id it stands for
};

struct Scenario {
  std::string file;  // where it was loaded from ("configs/default.toml" when embedded)
  std::string name;
  std::string date;  // "YYYY-MM-DD" or empty
  std::string description;
  TrainingSettings training;
  model::FabricSpec network;
  model::CostSpec cost;  // [cost]: prices of network and facility, opex, depreciation
  power::GenericServer generic_server;
  std::vector<Actor> actors;
  std::vector<std::string> reference_ids;
  // [scenario] export_rule: inventories of chips this rule controls for an
  // actor's country are flagged in the estimate (never dropped).
  std::optional<export_control::Vintage> export_rule;
  // Every vintage up to export_rule, oldest first: the timeline applies, each
  // month, the latest one in effect (and chips named by any of them).
  std::vector<export_control::Vintage> export_rule_history;
  std::vector<supply::SupplyItem> supply;
  std::optional<supply::TimelineSettings> timeline;
  // Numbers written as distributions (point runs use their medians),
  // correlations and grid axes for `sweep`.
  sweep::SweepSpec sweep;
  // [workload]: a model to train; estimate then searches its parallel layout.
  std::optional<training::Workload> workload;
  std::optional<int> workload_tp, workload_pp;  // forced degrees
  // Every defaultable setting of [training], [network] and [power] the file
  // does not write, in reading order, at its code default (network.planes:
  // the system's catalog rails where it has them, see plan.hpp). Site pue and
  // duration_days are required, so never defaulted.
  std::vector<DefaultedInput> defaulted;
  // Every alias the file (or a --set) used, in reading order; the CLI notes each.
  std::vector<AliasUse> aliases_used;
  // The entry for `key`, or null when the file writes it.
  const DefaultedInput* find_default(const std::string& key) const {
    for (const auto& d : defaulted)
      if (d.key == key) return &d;
    return nullptr;
  }
};

}  // namespace clustercap
