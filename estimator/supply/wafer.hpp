// Die output of a wafer: candidates per 300 mm wafer and yield models.
// Pure functions (docs/policy-supply.md §B.2 for the Ascend inputs).
#pragma once

#include <optional>
#include <string_view>

namespace clustercap::supply {

inline constexpr double kWaferDiameterMm = 300.0;

// Standard gross-die estimate with edge loss:
//   DPW = pi (d/2)^2 / S - pi d / sqrt(2 S)
// for die area S (mm2) on a wafer of diameter d (mm); rounded down, >= 0.
double dies_per_wafer(double die_area_mm2, double wafer_diameter_mm = kWaferDiameterMm);

enum class YieldModel { poisson, murphy };
std::optional<YieldModel> parse_yield_model(std::string_view name);
const char* to_string(YieldModel model);

// Fraction of good dies for die area A (mm2) at defect density D0 (per cm2):
// Poisson exp(-A D0); Murphy ((1 - exp(-A D0)) / (A D0))^2.
double die_yield(YieldModel model, double die_area_mm2, double defects_per_cm2);

}  // namespace clustercap::supply
