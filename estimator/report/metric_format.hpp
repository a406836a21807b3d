// How reporters show a value of an output metric (estimator/metrics.hpp),
// by its MetricStyle.
#pragma once

#include <cmath>
#include <string>

#include "estimator/metrics.hpp"
#include "estimator/report/number_format.hpp"

namespace clustercap::report {

// For tables: "179,328", "27.4", "714,936", "3.20e25". A fixed-style value of
// four to six digits is grouped like a count (whole units), so a reader can
// read its size at a glance; from a million up it is scientific, like
// significant(), rather than a run of digits with false precision.
inline std::string metric_text(const Metric& metric, double value) {
  switch (metric.style) {
    case MetricStyle::count:
      return grouped_integer(value);
    case MetricStyle::fixed:
      return std::abs(value) >= 1e3 && std::abs(value) < 1e6 ? grouped_integer(value)
                                                             : significant(value);
    case MetricStyle::scientific:
      break;
  }
  return scientific(value, 3);
}

}  // namespace clustercap::report
