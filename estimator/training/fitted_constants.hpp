// The step model's calibrated constants in one table: each one's value,
// and either the published runs (validation case ids) it was fitted on or
// the source it was taken from. `clustercap validate` derives each case's
// group from it: a case is in-sample when any constant was fitted on it.
#pragma once

#include <string_view>
#include <vector>

namespace clustercap::training {

// The values themselves, used by the step model (step_model.cpp, moe.cpp)
// and listed with their basis by fitted_constants(); each one's derivation
// is beside its row in fitted_constants.cpp.
namespace calibrated {
inline constexpr double kMatmulCeiling = 0.66;     // largest share of peak a big BF16 GEMM reaches
inline constexpr double kHalfWidth = 380.0;        // hidden / TP at half the ceiling's gap
inline constexpr double kElementwiseBytes = 34.0;  // bytes per token-hidden element per layer (fwd)
inline constexpr double kFp8CeilingShare = 0.95;   // FP8 ceiling / BF16 ceiling
inline constexpr double kFp8CastBytes = 4.0;       // HBM bytes per FP8 GEMM input element cast
inline constexpr double kScaleupOverlapCost =
    0.15;  // compute share an overlapped NVLink collective takes
inline constexpr double kScaleoutOverlapCost = 0.02;  // same on the InfiniBand tier
inline constexpr double kGroupedGemmHalfTokens =
    200.0;                                           // tokens per expert at half GEMM efficiency
inline constexpr double kCollectiveLatencyS = 8e-6;  // per-collective latency, each tier's default
// Exposed host time per MoE layer per microbatch (forward and backward) of
// dropless routing: the device-to-host sync of the tokens per expert.
inline constexpr double kMoeHostSyncS = 1.5e-3;
// Achieved algorithm bandwidth of an expert dispatcher over the line rate
// one direction (moe::dispatcher_bandwidth_share), dispatch and combine
// together: HybridEP on one NVLink domain with up to 8 EP ranks in it and
// with more, HybridEP over InfiniBand, DeepEP on a multi-node NVLink
// domain (larger than 8 GPUs).
inline constexpr double kHybridEpScaleupShareSmall = 0.62;
inline constexpr double kHybridEpScaleupShareLarge = 0.51;
inline constexpr double kHybridEpScaleoutShare = 0.89;
inline constexpr double kDeepEpMnnvlShare = 0.29;
}  // namespace calibrated

struct FittedConstant {
  std::string_view name;   // as in namespace calibrated
  double value = 0;        // the value the step model uses
  std::string_view basis;  // how it was set: the fit, or the source read
  // Validation case ids the value was fitted on; empty when it was read from
  // a source rather than fitted.
  std::vector<std::string_view> fitted_on;
};

// Every constant of the step model (namespace calibrated), in its order. Thread-safe
// (a static table built once).
const std::vector<FittedConstant>& fitted_constants();

// True when some constant in `constants` was fitted on the case `case_id`.
bool in_sample(std::string_view case_id, const std::vector<FittedConstant>& constants);

}  // namespace clustercap::training
