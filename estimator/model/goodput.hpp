// Goodput from failures: the share of wall time that advances training when
// interruptions arrive at a rate per chip-day and each one costs a restart
// plus, on average, half a checkpoint interval of lost work.
//   failures per hour  lambda = chips * rate_per_chip_day / 24
//   goodput            1 / (1 + lambda * (restart_h + interval_h / 2))
// Llama 3 405B: 419 unexpected interruptions in 54 days on 16,384 GPUs and
// >90% effective training time (arXiv 2407.21783, section 3.3.4).
#pragma once

namespace clustercap::model {

struct FailureModel {
  double interruptions_per_chip_day = 0;
  double restart_hours = 0;
  double checkpoint_interval_hours = 0;
};

// T: double, or a vector of scenarios (estimator/model/lanes.hpp).
template <class T>
T goodput_from_failures_t(T interruptions_per_chip_day, T restart_hours,
                          T checkpoint_interval_hours, T chips) {
  const T per_hour = chips * interruptions_per_chip_day / 24.0;
  const T lost_per_failure = restart_hours + checkpoint_interval_hours / 2.0;
  return 1.0 / (1.0 + per_hour * lost_per_failure);
}

double goodput_from_failures(const FailureModel& f, double chips);

}  // namespace clustercap::model
