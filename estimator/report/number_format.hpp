// Number formatting for people (tables) and for machines (CSV).
// Machine forms use std::to_chars: shortest round-trip, locale-independent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clustercap::report {

// Shortest round-trip decimal ("27400000", "3.2e+25"); "" for NaN/inf.
std::string machine_number(double value);

// Whole-number figures (counts of chips, systems, switches, transceivers;
// the limits) print alike in JSON, CSV and tables, and never through a
// conversion that can wrap:
//  - |value| <= 2^53, where every integer is a double: the exact integer,
//    rounded to nearest ("179328"; tables group the digits, "179,328");
//  - beyond 2^53: the shortest round-trip double in scientific form, the
//    same text JSON prints for it ("1.4757395258967641e+20", "1e+20"); not
//    clamped, so the magnitude stays visible, and no digits it lacks;
//  - +inf, a limit that does not apply ("no limit"): JSON null, an empty
//    CSV field, "none" in tables.
// A NaN, -inf or negative count is a bug upstream: checked_count throws
// RuntimeFailure (exit 1) instead of printing it.
inline constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53
// The value rounded to an integer when |value| <= 2^53; none beyond (or NaN/inf).
std::optional<std::int64_t> exact_integer(double value);
// `value` when it is a count (>= 0 or +inf); otherwise throws
// RuntimeFailure "internal: WHAT = VALUE: a count must be >= 0".
double checked_count(double value, const char* what);
// A checked count for CSV: "179328", "1.25e+19", "" for +inf.
std::string whole_number(double value, const char* what = "count");
// "179,328" (rounded to an integer); beyond 2^53 the shortest round-trip
// double; "n/a" for NaN/inf.
std::string grouped_integer(double value);
// Three significant figures, no exponent below 1e6: "27.4", "0.813", "1.46e+06".
std::string significant(double value, int digits = 3);
// "3.2e25" style with `digits` significant figures.
std::string scientific(double value, int digits = 2);
// "27.4 MW", "559 kW", "8 W": power with a readable prefix.
std::string power(double watts);
// "1.2x", "0.77x".
std::string ratio(double value);
// "405B", "1.3T", "8.0B" for parameter and token counts.
std::string count_with_suffix(double value);

}  // namespace clustercap::report
