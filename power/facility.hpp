// Facility power: what a site must supply for a given IT load.
//
// facility_w = PUE * (systems * system_it_w + network_w)   (docs/methodology.md §E4)
// All functions are elementwise over a batch; Eigen arrays hold one value per
// scenario. Pure and thread-safe.
#pragma once

#include <Eigen/Core>

namespace clustercap::power {

using Eigen::ArrayXd;

// T: double, or a vector of scenarios (estimator/model/lanes.hpp).
template <class T>
T facility_power_w(T pue, T it_power_w) {
  return pue * it_power_w;
}
template <class T>
T it_budget_w(T site_power_w, T pue) {
  return site_power_w / pue;
}

inline constexpr double kJoulesPerMwh = 3.6e9;  // 1e6 W x 3,600 s

// Energy of one training run in MWh: the cluster draws facility power for
// the whole wall-clock run (`duration_s`; goodput losses idle nothing, so
// they do not shorten it). 100 MW for 100 days = 240,000 MWh.
template <class T>
T energy_per_run_mwh(T facility_power_w, T duration_s) {
  return facility_power_w * duration_s / kJoulesPerMwh;
}

// Batch forms of facility_power_w and it_budget_w.
ArrayXd facility_power_w(const ArrayXd& pue, const ArrayXd& it_power_w);
ArrayXd it_budget_w(const ArrayXd& site_power_w, const ArrayXd& pue);

// Annual energy cost at average draw `load_fraction` of facility power.
inline double annual_energy_cost_usd(double facility_power_w, double usd_per_kwh,
                                     double load_fraction) {
  constexpr double kHoursPerYear = 8766.0;  // 365.25 days
  return facility_power_w / 1e3 * kHoursPerYear * load_fraction * usd_per_kwh;
}

}  // namespace clustercap::power
