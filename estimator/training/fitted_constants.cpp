#include "estimator/training/fitted_constants.hpp"

#include <algorithm>

namespace clustercap::training {
namespace {

// The ten rows of Narayanan et al. 2021, Table 1 (configs/validation/published-runs.toml).
constexpr std::string_view kMegatron2021[] = {
    "megatron2021-1.7B", "megatron2021-3.6B", "megatron2021-7.5B", "megatron2021-18B",
    "megatron2021-39B",  "megatron2021-76B",  "megatron2021-145B", "megatron2021-310B",
    "megatron2021-530B", "megatron2021-1T"};
// The four other cases of the original 14-case set.
constexpr std::string_view kLlama3AndNemotron[] = {
    "llama3-405b-stage-8k-8192", "llama3-405b-stage-8k-16384", "llama3-405b-stage-128k-16384",
    "nemotron4-340b"};

std::vector<std::string_view> megatron2021() {
  return {std::begin(kMegatron2021), std::end(kMegatron2021)};
}

std::vector<std::string_view> original_fourteen() {
  std::vector<std::string_view> ids = megatron2021();
  ids.insert(ids.end(), std::begin(kLlama3AndNemotron), std::end(kLlama3AndNemotron));
  return ids;
}

}  // namespace

const std::vector<FittedConstant>& fitted_constants() {
  // Values restate step_model.cpp's (its constants are file-local); the
  // commit that introduced them (4141570) names what each was set from.
  static const std::vector<FittedConstant> table = {
      {"kMatmulCeiling",
       0.66,
       "set above the 52% of peak Megatron's 530B and 1T rows reach end to end "
       "(Narayanan et al. 2021, Table 1)",
       {"megatron2021-530B", "megatron2021-1T"}},
      {"kHalfWidth", 380.0,
       "fitted so the Megatron 2021 table's 1.7B-1T rows (0.43-0.52 MFU) fall in line",
       megatron2021()},
      {"kElementwiseBytes",
       34.0,
       "activation bytes per token-hidden element per layer, Korthikanti et al. 2022 "
       "(arXiv 2205.05198)",
       {}},
      // No source is given for 0.85: it was chosen with the whole original
      // set in view, so all of it counts as in-sample for this one.
      {"kDpOverlap", 0.85,
       "share of the data-parallel reduction hidden behind backward; no source, chosen "
       "against the original 14 cases",
       original_fourteen()},
      {"kCollectiveLatencyS",
       8e-6,
       "NCCL ring launch latency within a node (order of magnitude)",
       {}},
  };
  return table;
}

bool in_sample(std::string_view case_id, const std::vector<FittedConstant>& constants) {
  return std::any_of(constants.begin(), constants.end(), [&](const FittedConstant& c) {
    return std::find(c.fitted_on.begin(), c.fitted_on.end(), case_id) != c.fitted_on.end();
  });
}

}  // namespace clustercap::training
