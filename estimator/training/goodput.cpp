#include "estimator/training/goodput.hpp"

namespace clustercap::training {

double goodput_from_failures(const FailureModel& f, double chips) {
  const double per_hour = chips * f.interruptions_per_chip_day / 24.0;
  const double lost_per_failure = f.restart_hours + f.checkpoint_interval_hours / 2.0;
  return 1.0 / (1.0 + per_hour * lost_per_failure);
}

}  // namespace clustercap::training
