#include "estimator/supply/wafer.hpp"

#include <algorithm>
#include <cmath>

namespace clustercap::supply {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

double dies_per_wafer(double die_area_mm2, double wafer_diameter_mm) {
  if (die_area_mm2 <= 0) return 0.0;
  const double radius = wafer_diameter_mm / 2.0;
  const double gross = kPi * radius * radius / die_area_mm2 -
                       kPi * wafer_diameter_mm / std::sqrt(2.0 * die_area_mm2);
  return std::max(0.0, std::floor(gross));
}

std::optional<YieldModel> parse_yield_model(std::string_view name) {
  if (name == "poisson") return YieldModel::poisson;
  if (name == "murphy") return YieldModel::murphy;
  return std::nullopt;
}

const char* to_string(YieldModel model) {
  return model == YieldModel::poisson ? "poisson" : "murphy";
}

double die_yield(YieldModel model, double die_area_mm2, double defects_per_cm2) {
  const double ad = die_area_mm2 / 100.0 * defects_per_cm2;  // mm2 -> cm2
  if (ad <= 0) return 1.0;
  if (model == YieldModel::poisson) return std::exp(-ad);
  const double f = (1.0 - std::exp(-ad)) / ad;
  return f * f;
}

}  // namespace clustercap::supply
