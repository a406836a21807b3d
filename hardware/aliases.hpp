// Short names people type for catalog entries ("h20", "gb200", "cm384",
// "colossus"), resolved to catalog ids wherever an id is taken. An exact id
// always wins; an alias that stands for several entries of the kinds a place
// accepts is ambiguous, and the caller reports the candidates instead of
// choosing one.
#pragma once

#include <string>
#include <vector>

#include "hardware/catalog.hpp"

namespace clustercap {

// Which kinds of catalog entry a place accepts (bit flags).
enum IdKinds : unsigned {
  kChipIds = 1U,
  kSystemIds = 2U,
  kClusterIds = 4U,
  kAnyIds = 7U,
};

struct IdLookup {
  enum class Result {
    exact,      // `word` is an id of an accepted kind
    alias,      // `word` is an alias for exactly one accepted entry: `id`
    ambiguous,  // `word` is an alias for several accepted entries: `candidates`
    unknown,    // neither
  };
  Result result = Result::unknown;
  std::string id;
  std::vector<std::string> candidates;
};

// Looks `word` up among the catalog's entries of `kinds`, ids first, then
// the alias table (case, "-", "_" and blanks ignored: "GB-200" is "gb200").
IdLookup look_up_id(const std::string& word, const Catalog& catalog, unsigned kinds);

// The rule for an ambiguous alias: "is ambiguous: it may mean "a", "b";
// write one of these ids".
std::string ambiguous_rule(const std::vector<std::string>& candidates);

// The catalog's name for an id of any kind ("NVIDIA H20"); empty if none.
std::string catalog_name(const std::string& id, const Catalog& catalog);

// Every id the alias table names (each must be a catalog id; a test checks).
std::vector<std::string> alias_target_ids();

// What an unknown word may have meant, for "did you mean": the ids of
// `kinds`, then every alias that stands for an entry of `kinds`.
std::vector<std::string> id_candidates(const Catalog& catalog, unsigned kinds);

}  // namespace clustercap
