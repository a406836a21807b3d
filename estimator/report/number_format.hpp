// Number formatting for people (tables) and for machines (CSV).
// Machine forms use std::to_chars: shortest round-trip, locale-independent.
#pragma once

#include <string>

namespace clustercap::report {

// Shortest round-trip decimal ("27400000", "3.2e+25"); "" for NaN/inf.
std::string machine_number(double value);
// "179,328" (rounded to an integer).
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
