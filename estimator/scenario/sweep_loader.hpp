// Reads distributions written where a scenario number belongs, and the
// [sweep] section (correlations, grid). Errors go to the shared Diagnostics.
#pragma once

#include <memory>

#include "estimator/scenario/scenario.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// A handler that parses distribution specs into scenario.sweep.inputs.
std::shared_ptr<DistributionHandler> distribution_handler(Scenario& scenario);

// [sweep]: [[sweep.correlation]] (a, b, spearman) and [sweep.grid] (key = [values]).
void read_sweep_section(TableReader& root, Scenario& scenario);

// After loading: every input must be a key a sweep can vary.
void check_uncertain_inputs(Scenario& scenario, Diagnostics& diagnostics);

}  // namespace clustercap
