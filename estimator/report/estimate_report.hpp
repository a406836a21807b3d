// Reporters for `estimate`: they only format an EstimateResult, writing to
// the stream they are given. JSON follows README.md's JSON section (clustercap.estimate.v1).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "estimator/estimate.hpp"

namespace clustercap::report {

inline constexpr const char* kEstimateSchema = "clustercap.estimate.v1";

nlohmann::ordered_json estimate_to_json(const EstimateResult& result);
void write_estimate_json(const EstimateResult& result, std::ostream& out);
void write_estimate_table(const EstimateResult& result, std::ostream& out);
void write_estimate_csv(const EstimateResult& result, std::ostream& out);

}  // namespace clustercap::report
