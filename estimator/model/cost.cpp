#include "estimator/model/cost.hpp"

#include <cstring>

namespace clustercap::model {

double default_electricity_usd_per_mwh(const char* country) {
  if (country == nullptr) return 0.0;
  if (std::strcmp(country, "US") == 0) return kUsElectricityUsdPerMwh;
  if (std::strcmp(country, "CN") == 0) return kChinaElectricityUsdPerMwh;
  return 0.0;
}

}  // namespace clustercap::model
