// Per-system IT power: what one building block of a cluster draws.
//
// Systems with a catalogued whole-system IT figure (DGX H100 10.2 kW,
// GB200 NVL72 132 kW, CloudMatrix 384 559 kW) use it. A chip without such a
// system is packed into generic servers and costs tdp_w * system_overhead
// per chip, where the overhead covers host CPUs, NICs, fans and PSU losses.
#pragma once

#include <string>

#include "hardware/catalog.hpp"

namespace clustercap::power {

// DGX H100: 10.2 kW maximum input for 8 x 700 W GPUs = 1,275 W per GPU,
// 1.82 x TDP; SemiAnalysis's 700 W GPU + ~575 W per GPU of CPU, NIC and PSU
// gives the same factor (docs/methodology.md §3.2, §3.3, R29).
inline constexpr double kDefaultSystemOverhead = 1.82;
// HGX/DGX-style 8-accelerator servers are the common packaging.
inline constexpr int kDefaultChipsPerServer = 8;

struct GenericServer {
  double system_overhead = kDefaultSystemOverhead;  // x TDP, >= 1
  int chips_per_server = kDefaultChipsPerServer;    // >= 1
};

struct SystemPower {
  double it_power_w = 0.0;         // one system, W
  double chips_per_system = 0.0;   // accelerators per system
  bool includes_scaleout = false;  // it_power_w already covers its share of the fabric
  // Where the figure comes from (reporters put it in words): the catalogued
  // system's whole-system IT power, or chips x tdp_w x system_overhead.
  bool from_system = false;
  std::string source_id;         // the system's id, or the chip's for generic servers
  double tdp_w = 0.0;            // generic servers: the chip's TDP, W
  double system_overhead = 0.0;  // generic servers: x TDP
};

// True when `system` has its own whole-system IT figure; otherwise (also
// for null) its chips are packed into generic servers.
bool has_system_it_power(const System* system);

// TDP of one generic server's chips: chips per server x chip TDP, W.
inline double server_tdp_w(double chips_per_server, double chip_tdp_w) {
  return chips_per_server * chip_tdp_w;
}
// IT power of one generic server: its chips' TDP x the system overhead.
// T: double, or a pack of sampled overheads (the sweep).
template <class T>
T generic_server_it_power_w(double server_tdp_w, T system_overhead) {
  return server_tdp_w * system_overhead;
}

// `system` may be null (generic server). Requires chip.tdp_w when the system
// has no usable IT power; callers validate that beforehand.
SystemPower system_it_power(const Chip& chip, const System* system, const GenericServer& generic);

// True when system_it_power() can give a figure for this chip/system pair.
bool has_power_basis(const Chip& chip, const System* system);

}  // namespace clustercap::power
