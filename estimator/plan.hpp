// The candidate clusters of a scenario and the model batch that evaluates
// them: shared by `estimate` (one batch), `timeline` (all actor-months) and
// `sweep` (each sample re-fills the batch from sampled inputs).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/scenario/scenario.hpp"
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
  std::optional<double> price_per_chip;
  int price_line = -1;  // inventory line whose price_usd set it, or -1
};

std::vector<CandidateSpec> list_candidates(const Scenario& scenario, const Catalog& catalog);
model::ClusterBatch build_batch(const std::vector<CandidateSpec>& candidates, const Scenario& scenario);
double chosen_mfu(const CandidateSpec& c, const Scenario& scenario, std::string* basis);
std::string system_label(const System* system, const power::GenericServer& generic);

}  // namespace clustercap
