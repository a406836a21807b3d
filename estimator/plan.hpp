// The candidate clusters of a scenario and the model batch that evaluates
// them: shared by `estimate` (one batch), `timeline` (all actor-months) and
// `sweep` (each sample re-fills the batch from sampled inputs).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/scenario/scenario.hpp"
#include "estimator/training/mfu_fixed_point.hpp"
#include "hardware/catalog.hpp"

namespace clustercap {

// One cluster an actor could build: a chip type in one packaging at one site.
struct CandidateSpec {
  std::size_t actor = 0;
  const Chip* chip = nullptr;
  const System* system = nullptr;  // null: generic servers
  const Site* site = nullptr;
  int site_index = 0;
  double chips_held = 0;
  std::vector<int> lines;              // inventory lines (indices) whose chips it holds
  std::optional<double> mfu_override;  // from the first inventory line that sets one
  int mfu_line = -1;                   // that line, or -1
  std::string mfu_basis;               // that line's mfu_basis (why its mfu)
  std::optional<double> price_per_chip;
  int price_line = -1;  // inventory line whose price_usd set it, or -1
};

// How a candidate's MFU was chosen. Precedence: the inventory line's `mfu`,
// then [training] mfu, then (mfu_model = "step-model") the step-model fixed
// point at the candidate's assembled size, falling back to the catalog
// prior with the reason, then the prior.
// Where an MFU came from, as data (report/mfu_text.hpp puts it in words).
enum class MfuSource {
  inventory_line,  // the inventory line's mfu
  training,        // [training] mfu
  prior,           // the catalog's prior for the chip at the precision
};
struct MfuBasis {
  MfuSource source = MfuSource::prior;  // the override, or the prior the step model falls back to
  std::string chip_id;                  // the prior's chip
  Precision precision = Precision::bf16;
  std::string reason;                  // the file's mfu_basis beside the override it used
  bool step_model = false;             // the fixed point was asked for (uses_step_model)
  training::MfuPrediction prediction;  // its result when step_model
};
struct MfuChoice {
  double mfu = 0;
  MfuBasis basis;
};

std::vector<CandidateSpec> list_candidates(const Scenario& scenario, const Catalog& catalog);

// The fabric candidate c is sized with: [network] as the file writes it,
// each key left out at its default. A left-out network.planes is the
// system's scaleout_rails from the catalog -- each rail of the vendor's
// reference design built as its own fat tree (fat_tree.hpp's independent
// planes), traffic between rails crossing the scale-up domain -- and
// FabricSpec's one plane when the catalog has no rails for the system.
model::FabricSpec candidate_fabric(const CandidateSpec& c, const Scenario& scenario);
// network.planes for candidate c when the file leaves it out (its value and
// source, as candidate_fabric uses it); none when the file sets it.
std::optional<DefaultedInput> planes_default(const CandidateSpec& c, const Scenario& scenario);
// The settings the file left out that limit `limit` of candidate c depends
// on, with the value and source the model uses (network.planes as in
// candidate_fabric); empty when the file writes all of them. From the
// equations (cluster_row.hpp): every limit rounds to whole systems, so with
// generic servers power.chips_per_server (for chips held and budget only
// where the rounding drops chips); network: switch_radix, max_tiers, planes,
// and port_gbps when the catalog gives the chip's scale-out bandwidth (ports
// per chip); power: power.system_overhead for generic servers and, unless
// the system's power covers its scale-out, the fabric's power (switch_radix,
// planes, port_gbps as above, the transceiver and switch watts, ports per
// transceiver; not copper_first_tier, whose default is the all-optical
// reference fabric). Site pue is required, so never defaulted; chips held
// and budget depend on no other setting.
std::vector<DefaultedInput> limit_defaults(const CandidateSpec& c, const Scenario& scenario,
                                           model::Constraint limit);

// The batch for `candidates` with each candidate's MFU chosen as above. For
// step-model candidates this assembles the clusters first (their size sets
// the compute and so the model), runs the fixed point at each one's chip
// count (memoised over identical inputs) and stores the MFU in batch.mfu;
// `mfu` (if given) receives every candidate's choice. `predictions` (if
// given) is that memo, kept by the caller across batches: only for batches
// whose scenarios give predict_mfu the same inputs but the chip count (a
// timeline sweep's samples that vary supply alone).
using MfuMemo = std::map<std::tuple<const Chip*, const System*, double>, training::MfuPrediction>;
model::ClusterBatch build_batch(const std::vector<CandidateSpec>& candidates,
                                const Scenario& scenario, std::vector<MfuChoice>* mfu = nullptr,
                                MfuMemo* predictions = nullptr);
// The MFU precedence, written once for candidates and reference clusters:
// an inventory line's `mfu` (`line_mfu`; none for references), then
// [training] mfu, then the chip's catalog prior, with its basis -- the MFU a
// cluster gets when the step model is not used or predicts nothing.
// `line_reason`: that line's mfu_basis.
double chosen_mfu(const std::optional<double>& line_mfu, const Chip& chip, const Scenario& scenario,
                  MfuBasis* basis = nullptr, const std::string& line_reason = {});
double chosen_mfu(const CandidateSpec& c, const Scenario& scenario, MfuBasis* basis = nullptr);
// Puts a step-model prediction into `choice`: its MFU when it predicted one;
// the basis keeps the prediction either way (and so the reason when not).
void apply_prediction(MfuChoice& choice, const training::MfuPrediction& prediction);
std::string system_label(const System* system, const power::GenericServer& generic);

// --- Step-model MFU (issue 6), shared with `estimate`'s reference clusters
// and the sweep engine.

// True when no inventory line or [training] sets mfu and [training]
// mfu_model is "step-model": then the candidate's MFU is the fixed point,
// and a sweep should look it up in the candidate's MfuTable per sample
// rather than keep batch.mfu fixed.
bool uses_step_model(const std::optional<double>& line_mfu, const Scenario& scenario);
bool uses_step_model(const CandidateSpec& c, const Scenario& scenario);
// What the step model sees: the chip at the scenario's precision, the
// system's scale-up domain (generic servers: chips per server), and the
// system's or chip's NIC bandwidth per chip (one fabric port of port_gbps
// when the catalog has neither). `chips` is left 0.
// [network] port_gbps, when the file sets it, replaces the catalog figure.
training::Machine step_machine(const Chip& chip, const System* system, const Scenario& scenario);
// Whether the scenario file sets [network] port_gbps (not the default).
bool port_gbps_given(const Scenario& scenario);
// Goodput of a cluster of `chips` under [training]: as given, or from the
// failure model at this size (model::goodput_t, the choice every path makes).
double scenario_goodput(const Scenario& scenario, double chips);
// Training FLOP per unit of MFU for `chips` of `chip`: chips x dense peak x
// goodput (scenario_goodput) x duration (model::compute_per_unit_mfu_t).
double compute_per_unit_mfu(const Chip& chip, const Scenario& scenario, double chips);
// Largest model the outcome model allows at `chips` (memory and data caps,
// cluster_batch.hpp); the fixed point never goes past it. The two caps
// apart: parameters `chips` of `chip` hold, and the data's (inf without
// max_tokens).
double params_cap(const Chip& chip, const Scenario& scenario, double chips);
double memory_params_cap(const Chip& chip, const Scenario& scenario, double chips);
double data_params_cap(const Scenario& scenario);
// The fixed point for one cluster of `chips` (the candidate's chip and
// system under the scenario), started from the chip's prior, with chips
// allowed to idle (training::predicted_mfu_idling: the MFU is per chip of
// the cluster, the layout may train on fewer).
training::MfuPrediction predict_mfu(const Chip& chip, const System* system,
                                    const Scenario& scenario, double chips);
// The same with the run's compute per unit of MFU and its model-size caps
// given (a cluster of several chip types sets them from all of them): the
// memory cap of all `chips` (a subset holds its share) and the data cap.
training::MfuPrediction predict_mfu(const Chip& chip, const System* system,
                                    const Scenario& scenario, double chips, double c1_flop,
                                    double memory_params_cap, double data_params_cap);
// MfuTable for a step-model candidate over [chips_min, chips_max] x
// [c1_min, c1_max] FLOP of C1 (compute_per_unit_mfu) on the fixed node
// lattice (mfu_fixed_point.hpp), exact at the points (exact_chips[k],
// exact_c1_flop[k]) (pass the point estimate's chips and C1 to make it
// exact there). Nodes where no layout fits hold the candidate's fallback
// (chosen_mfu). The memory cap is the scenario's per-chip one; the data cap
// its max_tokens. Lattice nodes come from the process-wide node memo when
// an earlier table on the same machine solved them; thread-safe.
training::MfuTableBuild build_mfu_table(const CandidateSpec& c, const Scenario& scenario,
                                        double chips_min, double chips_max, double c1_min_flop,
                                        double c1_max_flop,
                                        const std::vector<double>& exact_chips = {},
                                        const std::vector<double>& exact_c1_flop = {});

}  // namespace clustercap
