// Reporters for `sweep` on a [timeline] scenario (clustercap.timeline_sweep.v1):
// per actor and month the fan of stock, largest cluster and sustained
// FLOP/s, binding shares and P(exceeds) per reference; per reference the
// first month it is overtaken; grid points and policy levers side by side.
#pragma once

#include <ostream>

#include "estimator/sweep/timeline_sweep.hpp"

namespace clustercap::report {

inline constexpr const char* kTimelineSweepSchema = "clustercap.timeline_sweep.v1";

void write_timeline_sweep_table(const sweep::TimelineSweepResult& result, std::ostream& out);
void write_timeline_sweep_json(const sweep::TimelineSweepResult& result, std::ostream& out);
void write_timeline_sweep_csv(const sweep::TimelineSweepResult& result, std::ostream& out);

}  // namespace clustercap::report
