// Total cost of ownership of a cluster (docs/costs.md): capital for the
// systems, their scale-out network and the facility that houses and powers
// them, and the running cost of a training run (electricity, staff and
// maintenance, and the share of the capital the run uses up).
//
//   capex     = systems x system price
//             + switches x switch price + transceivers x transceiver price
//             + IT power x facility price per W of IT capacity
//   energy    = facility power x time (the cluster draws it for the whole run)
//   run cost  = capex x run / depreciation life + energy x electricity price
//             + capex x opex fraction per year x run in years
//
// The equations are templates over T = double or Pack (lanes.hpp), so
// `estimate` and the sweep kernel compute them with the same operations.
// Pure; thread-safe.
#pragma once

#include "estimator/model/fat_tree.hpp"
#include "estimator/model/lanes.hpp"
#include "power/facility.hpp"

namespace clustercap::model {

// The [cost] settings (one per scenario). Defaults and their sources are in
// docs/costs.md; each is an estimate and is listed among the defaulted
// inputs when a file leaves it out.
struct CostSpec {
  // One 64-port 400G InfiniBand switch (NVIDIA Quantum-2 class), USD:
  // $36k for the FS.com variant, about $50k for NVIDIA's (tech-talk-cto H100
  // cost model, 2024-08).
  double switch_usd = 36000;
  // One optical module, USD: $1.2-1.6M of optics for a 1,024-GPU two-tier
  // NDR fat tree (yobitel, 2026) over its 2,560 modules = $470-625; midpoint.
  double transceiver_usd = 550;
  // Facility (building, power and cooling plant) per W of IT capacity, USD:
  // Epoch's power infrastructure at 20% of an H100's $30k over 1.7 kW
  // all-in at PUE 1.2 = $6,000 / 1.417 kW IT = $4.2M per MW of IT (derived).
  double facility_usd_per_w = 4.2;
  // Staff and maintenance per year as a fraction of capex. No sourced
  // figure: 0 unless the file sets it (flagged as a default).
  double opex_fraction_per_year = 0.0;
  // Life over which capex is written off, s: 4 years (an assumption inside
  // the 3-6 years hyperscalers use; flagged as a default).
  double depreciation_s = 4.0 * 365.25 * 86400.0;
};

inline constexpr double kSecondsPerYear = 365.25 * 86400.0;

// Electricity price (USD/MWh) where a site names none, by the actor's
// country; 0 when the country has no sourced default (the caller then uses
// kDefaultElectricityUsdPerMwh and flags it). docs/costs.md.
double default_electricity_usd_per_mwh(const char* country);
// US industrial average, Jan 2026 (EIA): 9.29 c/kWh.
inline constexpr double kUsElectricityUsdPerMwh = 92.9;
// China industrial average, 2024 (China Briefing): 8.8 c/kWh.
inline constexpr double kChinaElectricityUsdPerMwh = 88.0;
// Any other country: the US figure, flagged as a default.
inline constexpr double kDefaultElectricityUsdPerMwh = kUsElectricityUsdPerMwh;

// Capital of a fabric's switches and optics.
template <class T>
T network_capex_usd_t(const FabricSizeT<T>& f, T switch_usd, T transceiver_usd) {
  return f.switches * switch_usd + (f.nic_transceivers + f.switch_transceivers) * transceiver_usd;
}

// Network capital per endpoint of an l-tier fabric with fractional switches
// and modules (a lower bound on the whole-unit cost, as
// power_per_endpoint_t is for power).
template <class T, class Tiers>
T network_usd_per_endpoint_t(Tiers tiers, const FabricT<T>& f, T switch_usd, T transceiver_usd) {
  const T nic = where(f.copper_first_tier != 0.0, splat<T>(0.0), splat<T>(1.0));
  const T modules =
      nic + optical_switch_ports_per_endpoint_t(tiers, f) / f.switch_ports_per_transceiver;
  return (2.0 * tiers - 1.0) / f.switch_radix * switch_usd + modules * transceiver_usd;
}

// The parts of a cluster's capex, USD.
template <class T>
struct CapexT {
  T chips, network, facility;
  T total() const { return chips + network + facility; }
};

// The cost of one run of `duration_s`: the capex written off over the
// depreciation life (none when the life is 0), electricity, and staff and
// maintenance.
template <class T>
T run_cost_usd_t(T capex_usd, T energy_usd, T duration_s, T depreciation_s,
                 T opex_fraction_per_year) {
  const T amortised =
      where(depreciation_s > 0.0, capex_usd * duration_s / depreciation_s, splat<T>(0.0));
  return amortised + energy_usd + capex_usd * opex_fraction_per_year * duration_s / kSecondsPerYear;
}

// USD per PFLOP/s-day of sustained compute; 0 without compute.
template <class T>
T usd_per_pflops_day_t(T run_cost_usd, T sustained_flops, T duration_s) {
  const T pflops_days = sustained_flops / 1e15 * duration_s / 86400.0;
  return where(pflops_days > 0.0, run_cost_usd / pflops_days, splat<T>(0.0));
}

}  // namespace clustercap::model
