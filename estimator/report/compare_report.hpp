// Reporters for `compare` (clustercap.compare.v1). Ratios are first item ÷
// this item, so `compare A B` reads "A has 1.67x B's compute".
#pragma once

#include <ostream>

#include "hardware/compare.hpp"

namespace clustercap::report {

inline constexpr const char* kCompareSchema = "clustercap.compare.v1";

void write_compare_table(const ComparisonResult& result, std::ostream& out);
void write_compare_json(const ComparisonResult& result, std::ostream& out);
void write_compare_csv(const ComparisonResult& result, std::ostream& out);

}  // namespace clustercap::report
