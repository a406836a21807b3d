// The step model's calibrated constants in one table: each one's value,
// and either the published runs (validation case ids) it was fitted on or
// the source it was taken from. `clustercap validate` derives each case's
// group from it: a case is in-sample when any constant was fitted on it.
#pragma once

#include <string_view>
#include <vector>

namespace clustercap::training {

struct FittedConstant {
  std::string_view name;   // as in estimator/training/step_model.cpp
  double value = 0;        // the value step_model.cpp uses
  std::string_view basis;  // how it was set: the fit, or the source read
  // Validation case ids the value was fitted on; empty when it was read from
  // a source rather than fitted.
  std::vector<std::string_view> fitted_on;
};

// Every constant of the step model, in step_model.cpp's order. Thread-safe
// (a static table built once).
const std::vector<FittedConstant>& fitted_constants();

// True when some constant in `constants` was fitted on the case `case_id`.
bool in_sample(std::string_view case_id, const std::vector<FittedConstant>& constants);

}  // namespace clustercap::training
