// Strict, error-collecting access to TOML tables (toml++).
//
// Every loader reads its tables through TableReader, which
//  - checks type and range of each value and names file:line:col, the dotted
//    key, the value as written and the broken rule;
//  - remembers which keys were read, so report_unknown_keys() can reject
//    everything else with a "did you mean" from the keys it knows;
//  - never throws on bad input: errors go to the shared Diagnostics.
// Conversions to SI units happen in the loaders, right after reading.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hardware/common/input_error.hpp"

namespace clustercap {

// Closed or open bounds for a number; the rule text is derived from them.
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  bool min_inclusive = true;
  double max = std::numeric_limits<double>::infinity();
  bool max_inclusive = true;

  static Range positive(double max_value = 1e30) { return {0.0, false, max_value, true}; }
  static Range non_negative(double max_value = 1e30) { return {0.0, true, max_value, true}; }
  static Range closed(double lo, double hi) { return {lo, true, hi, true}; }
  // (0, 1]: utilisation-like fractions.
  static Range unit_fraction() { return {0.0, false, 1.0, true}; }

  bool contains(double x) const;
  // "must be > 0", "must be in [1, 8]", "must be <= 1e+30", ...
  std::string rule() const;
};

enum class Presence { optional, required };

// Formats a number the way a user would type it (shortest round-trip form).
std::string format_number(double value);
// A TOML node as written, for error messages: strings quoted, long ones cut.
std::string describe_node(const toml::node& node);

// Parses TOML text. On a syntax error adds one diagnostic (toml++ stops at
// the first) and returns nullopt. `name` is used in messages.
std::optional<toml::table> parse_toml(const std::string& name, std::string_view text,
                                      Diagnostics& diagnostics);

// Input files (scenario, catalog, validation cases) are capped at 64 MiB.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{64} << 20;

// Reads a whole file. A missing, unreadable or empty-named file, a directory
// and a file larger than kMaxInputFileBytes are input errors (exit 2); at most
// kMaxInputFileBytes + 1 bytes are read.
std::optional<std::string> read_text_file(const std::string& path, Diagnostics& diagnostics);

class TableReader;

// Called when a number is written as a table (a distribution such as
// { dist = "lognormal", p5 = 1, p95 = 3 }). It parses the spec, records it
// under `indexed_key` ("actor[1].site[0].power_mw") and returns the value to
// use for a point estimate (the median), or nullopt after reporting errors.
using DistributionHandler = std::function<std::optional<double>(
    TableReader& spec, const Range& range, const std::string& indexed_key)>;

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, std::string file,
              Diagnostics& diagnostics);

  std::optional<double> number(std::string_view key, const Range& range,
                               Presence presence = Presence::optional);
  // Accepts TOML integers and integral floats (1e6) inside the range.
  std::optional<std::int64_t> integer(std::string_view key, const Range& range,
                                      Presence presence = Presence::optional);
  std::optional<std::string> string(std::string_view key, Presence presence = Presence::optional);
  std::optional<bool> boolean(std::string_view key, Presence presence = Presence::optional);
  // Accepts a TOML date or a "YYYY-MM-DD" string naming a real calendar day
  // (no 2025-02-29, no 2025-04-31); returns "YYYY-MM-DD".
  std::optional<std::string> date(std::string_view key, Presence presence = Presence::optional);
  // Accepts a TOML date, "YYYY-MM-DD" (a real calendar day) or "YYYY-MM";
  // returns "YYYY-MM".
  std::optional<std::string> month(std::string_view key, Presence presence = Presence::optional);
  std::optional<std::vector<double>> number_list(std::string_view key,
                                                 Presence presence = Presence::optional);
  std::optional<std::vector<std::string>> string_list(std::string_view key,
                                                      Presence presence = Presence::optional);
  std::optional<TableReader> table(std::string_view key, Presence presence = Presence::optional);
  std::vector<TableReader> table_array(std::string_view key,
                                       Presence presence = Presence::optional);

  // Adds an error located at `key`'s value (or at this table when absent).
  // Line and column where `key`'s value starts (the table's own when the
  // key is absent), for errors reported after reading.
  std::pair<std::int64_t, std::int64_t> position(std::string_view key) const;
  // The file `key`'s value was parsed from (a --set's label for a value it
  // set; the table's file when the key is absent).
  const std::string& file_of(std::string_view key) const;
  // FILE:LINE:COL of this table, for "also defined at" in duplicate errors.
  std::string location() const;
  void error_at(std::string_view key, std::string rule);
  // Adds an error located at this table, naming `key` without a value.
  void error_missing(std::string_view key, std::string rule);
  // Rejects every key that no accessor above was asked for.
  void report_unknown_keys();

  // Lets numbers in this table and its sub-tables be distributions. Without a
  // handler a table where a number belongs is a type error.
  void allow_distributions(std::shared_ptr<DistributionHandler> handler) {
    distributions_ = std::move(handler);
  }
  // Path with array indices, e.g. "actor[1].site[0]": identifies one value.
  std::string indexed_key(std::string_view key) const;

  // Whether `key` is present (does not count as reading it).
  bool has(std::string_view key) const { return table_->contains(key); }
  // Every key present in the table, read or not.
  std::vector<std::string> keys() const;
  const std::string& path() const { return path_; }
  // The file the table was parsed from (a table added by a --set: "--set #N").
  const std::string& file() const;
  std::string key_path(std::string_view key) const;
  std::int64_t line() const;
  std::int64_t column() const;
  Diagnostics& diagnostics() const { return *diagnostics_; }

 private:
  const toml::node* find(std::string_view key, Presence presence, std::string_view expected);
  void type_error(std::string_view key, const toml::node& node, std::string_view expected);
  void add_error(const toml::node* at, std::string_view key, std::string rule);

  std::optional<double> checked_number(std::string_view key, const Range& range, Presence presence,
                                       bool whole);
  std::optional<double> distribution(std::string_view key, const toml::node& node,
                                     const Range& range);

  const toml::table* table_;
  std::string path_;
  std::string indexed_path_;
  std::shared_ptr<DistributionHandler> distributions_;
  std::string file_;
  Diagnostics* diagnostics_;
  std::vector<std::string> known_keys_;
};

}  // namespace clustercap
