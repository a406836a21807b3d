// Scale-out fabric sizing: a non-blocking folded Clos (fat tree) of radix-k
// switches, optionally split into independent rail planes.
//
//   endpoints with l tiers   N_max = 2 (k/2)^l        (l=2: k^2/2, l=3: k^3/4)
//   switches                 (2l - 1) N / k
//   links                    l N  (NIC-to-leaf plus l-1 switch-to-switch tiers)
// (docs/methodology.md §3.1, after Al-Fares et al. 2008). Each link has
// two optical ends: one at the NIC, the rest on switch ports, where twin-port
// modules serve two ports. Pure functions; thread-safe.
#pragma once

#include "estimator/model/lanes.hpp"

namespace clustercap::model {

// Switch and transceiver defaults: NVIDIA's QM9700 switch and OSFP modules
// (docs/methodology.md R27; power figures in docs/methodology.md §3.2).
struct FabricSpec {
  double switch_radix = 64;          // ports per switch: QM9700 = 64 x 400G NDR
  int max_tiers = 3;                 // deepest fabric the operator will build
  int planes = 1;                    // independent rail planes; capacity scales with planes
  double port_gbps = 400;            // switch port speed; a chip uses ceil(scaleout/port) ports
  double nic_transceiver_w = 8;      // 400G single-port OSFP, 8 W typical
  double switch_transceiver_w = 15;  // 800G twin-port multimode OSFP, 15 W
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

// A FabricSpec's numbers as values of T (double, or a Pack of eight).
// clang-format off
#define CLUSTERCAP_FABRIC_FIELDS(X) \
  X(switch_radix)                   \
  X(max_tiers)                      \
  X(planes)                         \
  X(nic_transceiver_w)              \
  X(switch_transceiver_w)           \
  X(switch_ports_per_transceiver)   \
  X(switch_w)                       \
  X(copper_first_tier) /* 1 or 0 */
// clang-format on
template <class T>
struct FabricT {
#define CLUSTERCAP_FABRIC_FIELD(name) T name;
  CLUSTERCAP_FABRIC_FIELDS(CLUSTERCAP_FABRIC_FIELD)
#undef CLUSTERCAP_FABRIC_FIELD
};
template <class T>
FabricT<T> fabric_values(const FabricSpec& s) {
  return {splat<T>(s.switch_radix),
          splat<T>(s.max_tiers),
          splat<T>(s.planes),
          splat<T>(s.nic_transceiver_w),
          splat<T>(s.switch_transceiver_w),
          splat<T>(s.switch_ports_per_transceiver),
          splat<T>(s.switch_w),
          splat<T>(s.copper_first_tier ? 1.0 : 0.0)};
}

template <class T>
struct FabricSizeT {
  T tiers, switches, nic_transceivers, switch_transceivers, power_w;
};

// The equations, once, for one scenario or eight (lanes.hpp). The counts
// below are whole numbers held in doubles: exact far beyond any fabric size.
// 2 (k/2)^l by repeated multiplication: exact, and cheaper than pow().
template <class T>
T clos_capacity_t(T switch_radix, T tiers) {
  const T half = switch_radix / 2.0;
  T capacity = splat<T>(2.0);
  for (int t = 0; any(t < tiers); ++t) capacity = where(t < tiers, capacity * half, capacity);
  return capacity;
}

// The same for a tier count shared by every lane.
template <class T>
T clos_capacity_t(T switch_radix, int tiers) {
  const T half = switch_radix / 2.0;
  T capacity = splat<T>(2.0);
  for (int t = 0; t < tiers; ++t) capacity = capacity * half;
  return capacity;
}

// Smallest l >= 1 holding the endpoints (0 for none). Radix >= 4 is
// validated, so capacity at least doubles per tier and 64 tiers exceed any
// double-valued count.
template <class T>
T tiers_needed_t(T per_plane, T switch_radix) {
  T tiers = splat<T>(1.0);
  T capacity = switch_radix;  // 2 (k/2)^1
  for (int t = 1; t < 64; ++t) {
    const auto grow = capacity < per_plane;
    if (!any(grow)) break;
    capacity = where(grow, capacity * (switch_radix / 2.0), capacity);
    tiers = where(grow, tiers + 1.0, tiers);
  }
  return where(per_plane > 0.0, tiers, splat<T>(0.0));
}

// Optical switch ports per endpoint: every link end not at the NIC, less the
// leaf's down-ports when they are copper.
template <class T, class Tiers>
T optical_switch_ports_per_endpoint_t(Tiers tiers, const FabricT<T>& f) {
  return vmax(splat<T>(0.0), 2.0 * tiers - 1.0 - f.copper_first_tier);
}

template <class T>
FabricSizeT<T> size_fabric_t(T endpoints, const FabricT<T>& f) {
  const T per_plane = vceil(endpoints / f.planes);
  FabricSizeT<T> size;
  size.tiers = tiers_needed_t(per_plane, f.switch_radix);
  // A one-tier fabric is a single switch per plane.
  size.switches = f.planes * vceil((2.0 * size.tiers - 1.0) * per_plane / f.switch_radix);
  size.nic_transceivers = where(f.copper_first_tier != 0.0, splat<T>(0.0), endpoints);
  size.switch_transceivers = vceil(optical_switch_ports_per_endpoint_t(size.tiers, f) * endpoints /
                                   f.switch_ports_per_transceiver);
  size.power_w = size.switches * f.switch_w + size.nic_transceivers * f.nic_transceiver_w +
                 size.switch_transceivers * f.switch_transceiver_w;
  const auto empty = !(endpoints > 0.0);
  const T zero = splat<T>(0.0);
  return {where(empty, zero, size.tiers), where(empty, zero, size.switches),
          where(empty, zero, size.nic_transceivers), where(empty, zero, size.switch_transceivers),
          where(empty, zero, size.power_w)};
}

template <class T, class Tiers>
T power_per_endpoint_t(Tiers tiers, const FabricT<T>& f) {
  const T nic = where(f.copper_first_tier != 0.0, splat<T>(0.0), f.nic_transceiver_w);
  const T optics = optical_switch_ports_per_endpoint_t(tiers, f) / f.switch_ports_per_transceiver *
                   f.switch_transceiver_w;
  const T switches = (2.0 * tiers - 1.0) / f.switch_radix * f.switch_w;
  return nic + optics + switches;
}

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
