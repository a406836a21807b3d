// Reads the supply parts of a scenario: [timeline], [[supply]], and the
// per-actor attrition, yearly budget and site expansions. Errors go to the
// shared Diagnostics like the rest of the scenario loader.
#pragma once

#include "estimator/scenario/scenario.hpp"
#include "hardware/catalog.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// Reads a "YYYY-MM" or date value as a month; reports errors.
std::optional<supply::Month> read_month(TableReader& reader, std::string_view key,
                                        Presence presence);

void read_actor_supply_settings(TableReader& actor_reader, Actor& actor);
void read_site_expansions(TableReader& site_reader, const Site& site, Actor& actor);
void read_timeline(TableReader& root, Scenario& scenario);
// After actors are read: [[supply]] items, checked against actors and the catalog.
void read_supply(TableReader& root, Scenario& scenario, const Catalog& catalog);

}  // namespace clustercap
