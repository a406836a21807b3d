// Reporters for `validate` (clustercap.validate.v3: each run has its file,
// group, chip family and precision, and the document the per-group, per-family
// and per-precision errors and the fitted constants; v2: a case whose layout
// cannot run has "fit": false, its reason and null predictions, and is left
// out of the errors; v1 printed such a case as predicted 0).
#pragma once

#include <ostream>
#include <string>

#include "estimator/validate.hpp"

namespace clustercap::report {

inline constexpr const char* kValidateSchema = "clustercap.validate.v3";

// The step model's reason a layout cannot run, in words with its figures:
// "needs 95.3 GB of memory per chip; the chip has 80 GB".
std::string layout_problem_text(const training::LayoutCheck& check);

void write_validate_table(const training::ValidationResult& result, std::ostream& out);
void write_validate_json(const training::ValidationResult& result, std::ostream& out);
void write_validate_csv(const training::ValidationResult& result, std::ostream& out);

}  // namespace clustercap::report
