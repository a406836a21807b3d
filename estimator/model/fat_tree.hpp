// Scale-out fabric sizing: a non-blocking folded Clos (fat tree) of radix-k
// switches, optionally split into independent rail planes.
//
//   endpoints with l tiers   N_max = 2 (k/2)^l        (l=2: k^2/2, l=3: k^3/4)
//   switches                 (2l - 1) N / k
//   links                    l N  (NIC-to-leaf plus l-1 switch-to-switch tiers)
// (reference/methodology.md §3.1, after Al-Fares et al. 2008). Each link has
// two optical ends: one at the NIC, the rest on switch ports, where twin-port
// modules serve two ports. Pure functions; thread-safe.
#pragma once

namespace clustercap::model {

struct FabricSpec {
  double switch_radix = 64;   // ports per switch: QM9700 = 64 x 400G NDR (R27)
  int max_tiers = 3;          // deepest fabric the operator will build
  int planes = 1;             // independent rail planes; capacity scales with planes
  double port_gbps = 400;     // switch port speed; a chip uses ceil(scaleout/port) ports
  double nic_transceiver_w = 8;      // 400G single-port OSFP, 8 W typical (R27)
  double switch_transceiver_w = 15;  // 800G twin-port multimode OSFP, 15 W (R27)
  int switch_ports_per_transceiver = 2;
  double switch_w = 750;  // switch chassis without optics: not in the sources; an assumption
  bool copper_first_tier = false;  // DAC NIC-to-leaf links (no optics on the first hop)
};

struct FabricSize {
  double endpoints = 0;  // switch ports facing accelerators, all planes
  int tiers = 0;         // 0 for an empty fabric
  double switches = 0;
  double nic_transceivers = 0;
  double switch_transceivers = 0;
  double power_w = 0;  // switches + transceivers
  double transceivers() const { return nic_transceivers + switch_transceivers; }
};

// 2 (k/2)^l endpoints for one plane.
double clos_capacity(double switch_radix, int tiers);
// Smallest l >= 1 with clos_capacity >= endpoints_per_plane; 0 for no endpoints.
int tiers_needed(double endpoints_per_plane, double switch_radix);
// Most endpoints the spec can connect (all planes, max_tiers).
double max_endpoints(const FabricSpec& spec);
// Whole-switch, whole-module counts and power for `endpoints` (any size: the
// caller checks max_endpoints; tiers may then exceed max_tiers).
FabricSize size_fabric(double endpoints, const FabricSpec& spec);
// Power per endpoint of an l-tier fabric with fractional switches and modules:
// a smooth bound used to search the power-limited cluster size.
double power_per_endpoint_w(int tiers, const FabricSpec& spec);

}  // namespace clustercap::model
