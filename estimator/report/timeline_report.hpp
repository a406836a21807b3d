// Reporters for `timeline` (clustercap.timeline.v1).
#pragma once

#include <ostream>

#include "estimator/timeline.hpp"

namespace clustercap::report {

inline constexpr const char* kTimelineSchema = "clustercap.timeline.v1";

void write_timeline_table(const TimelineResult& result, std::ostream& out);
void write_timeline_json(const TimelineResult& result, std::ostream& out);
void write_timeline_csv(const TimelineResult& result, std::ostream& out);

}  // namespace clustercap::report
