// Reads a [workload] table (model shape and batch) into a training::Workload;
// shared by scenario files and `validate` cases.
#pragma once

#include "estimator/training/step_model.hpp"
#include "hardware/toml_reader.hpp"

namespace clustercap {

// Parameters follow from the shape when `params` is absent. Reports invalid
// shapes (heads not dividing hidden, ...) on the reader.
training::Workload read_workload(TableReader& reader, bool tokens_required);

// Parameters of a transformer of this shape (attention, MLP with all
// experts, embeddings).
double parameter_count(const training::Workload& w);
double active_parameter_count(const training::Workload& w);

}  // namespace clustercap
