#include "estimator/scenario/catalog_ids.hpp"

namespace clustercap {

void resolve_alias(TableReader& reader, std::string_view key, std::string& id, unsigned kinds,
                   const Catalog& catalog, std::vector<AliasUse>& used) {
  if (id.empty()) return;
  const IdLookup lookup = look_up_id(id, catalog, kinds);
  if (lookup.result == IdLookup::Result::alias) {
    used.push_back({id, lookup.id});
    id = lookup.id;
  } else if (lookup.result == IdLookup::Result::ambiguous) {
    reader.error_at(key, ambiguous_rule(lookup.candidates));
    id.clear();
  }
}

}  // namespace clustercap
