// Words for where the core's figures come from: an MFU's basis (override,
// prior, or the step model's fixed point with its layout, or why it gave
// none) and a system's IT power basis. The core returns these as data.
#pragma once

#include <string>
#include <vector>

#include "estimator/plan.hpp"
#include "power/system_power.hpp"

namespace clustercap::report {

// "tp 8 x cp 2 x pp 16 x dp 64, microbatch 1, interleave 8, recompute
// selective" (degrees of 1 other than tp, pp and dp left out).
std::string describe_layout(const training::Layout& layout);
// Why the fixed point gave no MFU: "no layout of a 1.2T-param model fits in
// memory (needs 95.3 GB per chip, has 80 GB)"; "" when it gave one.
std::string describe_no_prediction(const training::MfuPrediction& prediction);
// "step-model fixed point (631B params, layout ...; 3 iterations)", or
// "step model: <why not>".
std::string describe_prediction(const training::MfuPrediction& prediction);
// When chips idle (MfuPrediction::idles): "trains on 440,766 of 524,160
// chips at MFU 0.540, 0.454 per chip deployed: on all 524,160 the best layout
// runs at MFU 0.290" (or "no layout of the model runs on all 524,160"); ""
// otherwise.
std::string describe_idling(const training::MfuPrediction& prediction);
// One line: "scenario training.mfu", "catalog prior nvidia_h100_sxm.mfu_bf16",
// the fixed point, or the prior "(step model: <why not>)"; an override the
// file explains (mfu_basis) adds ": <its text>".
std::string describe_mfu_basis(const MfuBasis& basis);
// The same in a few words, for a table column: "step model" ("step, idling"
// when chips idle), "prior, no
// fit" (the step model fell back to the prior), "file, line" (an inventory
// line's mfu), "file, training" ([training] mfu), "catalog prior".
std::string mfu_basis_label(const MfuBasis& basis);
// A cluster of several chip types: each chip's basis, "chip: " before each
// when there is more than one, joined by "; ".
std::string describe_mfu_basis(const std::vector<MfuBasis>& parts);
// "nvidia_gb200_nvl72.power_kw = 132 kW", or
// "nvidia_h100_sxm.tdp_w = 700 W x 1.82 overhead x 8 chips".
std::string describe_power_basis(const power::SystemPower& power);

}  // namespace clustercap::report
