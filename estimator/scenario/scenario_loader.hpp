// Reads and validates a scenario file against the catalog.
//
// Every problem is collected and thrown once as InputErrors, each naming
// file:line:col, the key, the value and the rule: unknown keys (with a "did
// you mean"), wrong types, non-finite or out-of-range numbers, unknown chip,
// system, site or reference IDs, and settings the model cannot use (a chip
// without a peak at the chosen precision, a budget without a price, ...).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estimator/scenario/scenario.hpp"
#include "hardware/catalog.hpp"

namespace clustercap {

// `sources` (from `--sources`): source ids or reading names preferred for
// values written as competing estimates, replacing the file's [sources] use;
// an id no estimate in the file is by is an input error.
// `sets` (from `--set`, "KEY=VALUE" each, in order): values applied to the
// parsed text before it is read, checked as the file's own and reported as
// "--set #N:1:COL" (set_override.hpp).
Scenario load_scenario_text(const std::string& name, const std::string& text,
                            const Catalog& catalog, const std::vector<std::string>& sources = {},
                            const std::vector<std::string>& sets = {});
Scenario load_scenario_file(const std::string& path, const Catalog& catalog,
                            const std::vector<std::string>& sources = {},
                            const std::vector<std::string>& sets = {});
// configs/default.toml, embedded at build time.
Scenario load_default_scenario(const Catalog& catalog, const std::vector<std::string>& sources = {},
                               const std::vector<std::string>& sets = {});
// The text of a file embedded at build time (configs/default.toml,
// configs/validation/published-runs.toml); RuntimeFailure when it is not.
std::string_view embedded_config(std::string_view name);
const std::string& default_scenario_text();

}  // namespace clustercap
