#include "estimator/model/fat_tree.hpp"

#include <algorithm>
#include <cmath>

namespace clustercap::model {

double clos_capacity(double switch_radix, int tiers) {
  // Repeated multiplication: exact for the small tier counts used, and much
  // cheaper than pow() in the per-sample search.
  const double half = switch_radix / 2.0;
  double capacity = 2.0;
  for (int t = 0; t < tiers; ++t) capacity *= half;
  return capacity;
}

int tiers_needed(double endpoints_per_plane, double switch_radix) {
  if (endpoints_per_plane <= 0) return 0;
  // Radix >= 4 is validated, so capacity at least doubles per tier; 64 tiers
  // exceed any double-valued endpoint count.
  int tiers = 1;
  double capacity = switch_radix;  // 2 (k/2)^1
  while (capacity < endpoints_per_plane && tiers < 64) {
    capacity *= switch_radix / 2.0;
    ++tiers;
  }
  return tiers;
}

double max_endpoints(const FabricSpec& spec) {
  return spec.planes * clos_capacity(spec.switch_radix, spec.max_tiers);
}

namespace {

// Optical switch ports per endpoint in an l-tier fabric: every link end that
// is not at the NIC, less the leaf's down-ports when they are copper.
double optical_switch_ports_per_endpoint(int tiers, const FabricSpec& spec) {
  const double ports = 2.0 * tiers - 1.0 - (spec.copper_first_tier ? 1.0 : 0.0);
  return std::max(0.0, ports);
}

}  // namespace

FabricSize size_fabric(double endpoints, const FabricSpec& spec) {
  FabricSize size;
  size.endpoints = endpoints;
  if (endpoints <= 0) return size;
  const double per_plane = std::ceil(endpoints / spec.planes);
  size.tiers = tiers_needed(per_plane, spec.switch_radix);
  // A one-tier fabric is a single switch per plane.
  size.switches = spec.planes * std::ceil((2.0 * size.tiers - 1.0) * per_plane / spec.switch_radix);
  size.nic_transceivers = spec.copper_first_tier ? 0.0 : endpoints;
  size.switch_transceivers = std::ceil(optical_switch_ports_per_endpoint(size.tiers, spec) *
                                       endpoints / spec.switch_ports_per_transceiver);
  size.power_w = size.switches * spec.switch_w + size.nic_transceivers * spec.nic_transceiver_w +
                 size.switch_transceivers * spec.switch_transceiver_w;
  return size;
}

double power_per_endpoint_w(int tiers, const FabricSpec& spec) {
  const double nic = spec.copper_first_tier ? 0.0 : spec.nic_transceiver_w;
  const double optics = optical_switch_ports_per_endpoint(tiers, spec) /
                        spec.switch_ports_per_transceiver * spec.switch_transceiver_w;
  const double switches = (2.0 * tiers - 1.0) / spec.switch_radix * spec.switch_w;
  return nic + optics + switches;
}

}  // namespace clustercap::model
