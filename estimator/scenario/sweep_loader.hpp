// Reads distributions written where a scenario number belongs, and the
// [sweep] section (correlations, grid). Errors go to the shared Diagnostics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "estimator/scenario/scenario.hpp"
#include "hardware/catalog.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// A handler that parses distribution specs into scenario.sweep.inputs.
std::shared_ptr<DistributionHandler> distribution_handler(Scenario& scenario);

// [sources]: `use` (preferred source ids or reading names, in order; "mix"
// weights every sourced value's estimates) and `readings` (name = [ids]).
// A non-empty `command_line` (`--sources`) replaces `use`. Sets
// scenario.sweep.sources and .readings; must run before any value is read.
void read_sources_section(TableReader& root, Scenario& scenario,
                          const std::vector<std::string>& command_line);
// An error for each preferred source id no estimate in the scenario is by
// (file `where`: the scenario's file or "command line").
std::vector<InputError> unknown_sources(const Scenario& scenario, const std::string& where);

// [sweep]: [[sweep.correlation]] (a, b, spearman), [sweep.grid] (key = [values])
// and [sweep.policy] (policy levers, read_policy_levers).
void read_sweep_section(TableReader& root, Scenario& scenario);
// [sweep.policy]: categorical grid axes over supply policy (uncertain.hpp
// LeverKind): export_rule = ["2023-10", "none"], smuggling_enforcement =
// [1, 0.5], hbm_choke = ["off", "on"], site_expansions = ["on", "off"],
// licence.CHIP = ["open", "closed"], licence_cap.CHIP = [0, 50000].
void read_policy_levers(TableReader& policy, Scenario& scenario);

// After loading: every input must be a key a sweep can vary; names, pairs and
// grid axes unique; correlations consistent; every grid value valid for its
// key (input table) and able to reach the model.
void check_uncertain_inputs(Scenario& scenario, const Catalog& catalog, Diagnostics& diagnostics);

}  // namespace clustercap
