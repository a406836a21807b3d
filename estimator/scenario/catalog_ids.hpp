// Catalog ids typed in a scenario (inventory chip and system, supply chip and
// system, reference id): an alias from hardware/aliases.hpp stands for its id.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "estimator/scenario/scenario.hpp"
#include "hardware/aliases.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// Replaces `id`, read from `key` of `reader`, by the catalog id it is an
// alias for (among entries of `kinds`) and records the use in `used`. An
// ambiguous alias is an error at `key` naming the candidates, and `id` is
// cleared so no second error follows. An exact id or an unknown word is left
// as it is (the caller reports unknown ones with id_candidates()).
void resolve_alias(TableReader& reader, std::string_view key, std::string& id, unsigned kinds,
                   const Catalog& catalog, std::vector<AliasUse>& used);

}  // namespace clustercap
