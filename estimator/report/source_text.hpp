// Words and JSON for inputs written as competing published estimates: which
// estimate a run used, and the others beside it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "estimator/scenario/uncertain.hpp"

namespace clustercap::report {

// "epoch (2025-09-30, docs/policy-supply.md §B.3)" or "mix of epoch, commerce".
std::string used_estimate_text(const sweep::SourcedInput& input);
// Why this estimate: "--sources", "[sources] use", "the value's use" or "the first listed".
std::string chosen_by_text(const sweep::SourcedInput& input, const sweep::SourceChoice& choice);
// The table's block: "N inputs have competing published estimates (HINT):"
// and a two-space indented line per input, each ending in '\n'; empty
// without sourced inputs.
std::string sources_table_text(const std::vector<sweep::SourcedInput>& inputs,
                               const sweep::SourceChoice& choice, const std::string& hint);
// {"preference": [...], "reading": "...", "inputs": [{input, key, used, chosen_by, value,
//  estimates: [{by, date, cite, note, weight, point, median, p5, p95}]}]}
nlohmann::json sources_json(const std::vector<sweep::SourcedInput>& inputs,
                            const sweep::SourceChoice& choice);

}  // namespace clustercap::report
