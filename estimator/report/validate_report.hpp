// Reporters for `validate` (clustercap.validate.v1).
#pragma once

#include <ostream>

#include "estimator/validate.hpp"

namespace clustercap::report {

inline constexpr const char* kValidateSchema = "clustercap.validate.v1";

void write_validate_table(const training::ValidationResult& result, std::ostream& out);
void write_validate_json(const training::ValidationResult& result, std::ostream& out);
void write_validate_csv(const training::ValidationResult& result, std::ostream& out);

}  // namespace clustercap::report
