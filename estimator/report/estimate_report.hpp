// Reporters for `estimate`: they only format an EstimateResult, writing to
// the stream they are given. JSON follows README.md's JSON section (clustercap.estimate.v1).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "estimator/estimate.hpp"
#include "estimator/metrics.hpp"

namespace clustercap::report {

inline constexpr const char* kEstimateSchema = "clustercap.estimate.v1";

nlohmann::ordered_json estimate_to_json(const EstimateResult& result);
void write_estimate_json(const EstimateResult& result, std::ostream& out);
void write_estimate_table(const EstimateResult& result, std::ostream& out);
void write_estimate_csv(const EstimateResult& result, std::ostream& out);

// Whether the capex includes the systems. Prices are > 0 when given, so
// systems costing nothing had no price (no inventory price_usd, none in the
// catalog, no budget asking for one): the capex then leaves them out.
inline bool systems_priced(const ClusterResult& c, const MetricValues& metrics) {
  return !(c.systems > 0 && metrics[metric_index("capex_chips_usd")] <= 0);
}

}  // namespace clustercap::report
