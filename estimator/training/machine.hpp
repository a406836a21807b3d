// The per-chip hardware the step-time model needs, read from the catalog.
#pragma once

#include "estimator/training/step_model.hpp"
#include "hardware/catalog.hpp"

namespace clustercap::training {

// Scale-up bandwidth is one direction: a catalogued one-way figure, or half
// the bidirectional one or of one whose direction is unstated (PCIe Gen4
// x16, 64 GB/s bidirectional, when the catalog has none).
Machine machine_for(const Chip& chip, Precision precision, int chips, int scaleup_domain,
                    double scaleout_bytes_per_s);

}  // namespace clustercap::training
