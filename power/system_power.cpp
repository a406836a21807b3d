#include "power/system_power.hpp"

namespace clustercap::power {

bool has_system_it_power(const System* system) {
  return system != nullptr && clustercap::has_system_it_power(*system);  // the catalog's rule
}

bool has_power_basis(const Chip& chip, const System* system) {
  return has_system_it_power(system) || chip.tdp_w.has_value();
}

SystemPower system_it_power(const Chip& chip, const System* system, const GenericServer& generic) {
  SystemPower power;
  if (has_system_it_power(system)) {
    power.it_power_w = *system->power_w;
    power.chips_per_system = static_cast<double>(*system->chips);
    power.includes_scaleout = system->power_includes_scaleout;
    power.from_system = true;
    power.source_id = system->id;
    return power;
  }
  const double chips = static_cast<double>(
      system != nullptr && system->chips ? *system->chips : generic.chips_per_server);
  power.chips_per_system = chips;
  power.it_power_w = generic_server_it_power_w(server_tdp_w(chips, chip.tdp_w.value_or(0.0)),
                                               generic.system_overhead);
  power.source_id = chip.id;
  power.tdp_w = chip.tdp_w.value_or(0.0);
  power.system_overhead = generic.system_overhead;
  return power;
}

}  // namespace clustercap::power
