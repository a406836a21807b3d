#include "power/facility.hpp"

namespace clustercap::power {

ArrayXd facility_power_w(const ArrayXd& pue, const ArrayXd& it_power_w) { return pue * it_power_w; }

ArrayXd it_budget_w(const ArrayXd& site_power_w, const ArrayXd& pue) { return site_power_w / pue; }

}  // namespace clustercap::power
