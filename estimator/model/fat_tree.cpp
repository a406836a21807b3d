#include "estimator/model/fat_tree.hpp"

namespace clustercap::model {

double clos_capacity(double switch_radix, int tiers) {
  return clos_capacity_t<double>(switch_radix, tiers);
}

int tiers_needed(double endpoints_per_plane, double switch_radix) {
  return static_cast<int>(tiers_needed_t<double>(endpoints_per_plane, switch_radix));
}

double max_endpoints(const FabricSpec& spec) {
  return spec.planes * clos_capacity(spec.switch_radix, spec.max_tiers);
}

FabricSize size_fabric(double endpoints, const FabricSpec& spec) {
  const FabricSizeT<double> s = size_fabric_t(endpoints, fabric_values<double>(spec));
  FabricSize size;
  size.endpoints = endpoints;
  size.tiers = static_cast<int>(s.tiers);
  size.switches = s.switches;
  size.nic_transceivers = s.nic_transceivers;
  size.switch_transceivers = s.switch_transceivers;
  size.power_w = s.power_w;
  return size;
}

double power_per_endpoint_w(int tiers, const FabricSpec& spec) {
  return power_per_endpoint_t<double>(tiers, fabric_values<double>(spec));
}

}  // namespace clustercap::model
