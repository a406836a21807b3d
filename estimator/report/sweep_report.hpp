// Reporters for `sweep` (clustercap.sweep.v1) and its per-sample rows.
#pragma once

#include <ostream>

#include "estimator/sweep/sweep.hpp"

namespace clustercap::report {

inline constexpr const char* kSweepSchema = "clustercap.sweep.v1";

void write_sweep_table(const sweep::SweepResult& result, std::ostream& out);
void write_sweep_json(const sweep::SweepResult& result, std::ostream& out);
void write_sweep_csv(const sweep::SweepResult& result, std::ostream& out);
void write_sweep_rows_csv(const sweep::SweepResult& result, std::ostream& out);

}  // namespace clustercap::report
