#include "estimator/training/goodput.hpp"

namespace clustercap::training {

double goodput_from_failures(const FailureModel& f, double chips) {
  return goodput_from_failures_t(f.interruptions_per_chip_day, f.restart_hours, f.checkpoint_interval_hours,
                                 chips);
}

}  // namespace clustercap::training
