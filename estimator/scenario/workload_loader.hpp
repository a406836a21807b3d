// Reads a [workload] table (model shape and batch) into a training::Workload;
// shared by scenario files and `validate` cases.
#pragma once

#include "estimator/training/step_model.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// Parameters follow from the shape when `params` is absent. An optional `cp`
// becomes forced_cp (it must divide seq_len). Reports invalid shapes (heads
// not dividing hidden, ...) on the reader.
training::Workload read_workload(TableReader& reader, bool tokens_required);

// Parameters of a transformer of this shape (attention, MLP with all
// experts, one or two vocab x hidden embedding matrices); norms and biases
// (under 0.01%) are left out.
double parameter_count(const training::Workload& w);
double active_parameter_count(const training::Workload& w);

}  // namespace clustercap
