#include "estimator/model/goodput.hpp"

namespace clustercap::model {

double goodput_from_failures(const FailureModel& f, double chips) {
  return goodput_from_failures_t(f.interruptions_per_chip_day, f.restart_hours,
                                 f.checkpoint_interval_hours, chips);
}

}  // namespace clustercap::model
