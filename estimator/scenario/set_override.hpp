// `--set KEY=VALUE`: one scenario value given on the command line, applied to
// the parsed scenario table before the loader reads it, so a value is checked
// by the same code, with the same rules, whichever way it comes.
//
// KEY is the TOML key path with an index after each array of tables:
// "actor[0].site[0].power_mw", "training.mfu". Indices are 0-based; an index
// equal to the array's length, or "+", appends a new table
// ("actor[0].site[+].name"); a part with dots or brackets is quoted as in
// TOML (sweep.grid."actor[0].site[0].power_mw"). VALUE is a TOML value ("300", "\"a b\"", "true",
// "{ dist = \"lognormal\", p5 = 1, p95 = 3 }", "[1, 2]"); text that is not
// valid TOML and does not start with a quote, "[" or "{" is taken as a string
// ("chip=nvidia_h100").
//
// Every value and table a set creates carries its source "--set #N" (N: the
// set's 1-based position on the command line) at line 1 and the column where
// it starts in the argument KEY=VALUE, so the loader's errors name it
// "--set #2:1:26: actor.site.power_mw = -5: must be > 0".
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <string>
#include <vector>

#include "hardware/common/input_error.hpp"

namespace clustercap {

// One step of a key path: a table key, optionally indexed into an array.
struct SetStep {
  enum class Index { none, at, append };
  std::string name;
  Index index = Index::none;
  std::size_t position = 0;  // Index::at: the 0-based index
  std::size_t column = 1;    // 1-based column of `name` in the argument
};

// One parsed `--set`.
struct SetOverride {
  std::string label;  // "--set #2": the file name its errors carry
  std::string text;   // the argument as given, KEY=VALUE
  std::string key;    // KEY as given
  std::vector<SetStep> steps;
  toml::table value;  // holds the parsed VALUE under "v", with its source
};

// "--set #N" for the n-th (1-based) --set.
std::string set_label(std::size_t ordinal);

// Parses each "KEY=VALUE" (in command-line order). Every malformed one is
// reported to `diagnostics`; the well-formed ones are returned.
std::vector<SetOverride> parse_sets(const std::vector<std::string>& arguments,
                                    Diagnostics& diagnostics);

// Applies each set to `root`, in order: replaces or adds the value, creating
// missing tables and appending array elements as the key asks. A path that
// cannot be followed (an index out of range, an index on a table, a key
// through a value) is reported to `diagnostics`; that set is skipped.
void apply_sets(toml::table& root, std::vector<SetOverride>& sets, Diagnostics& diagnostics);

}  // namespace clustercap
