#include "estimator/training/machine.hpp"

#include <algorithm>

namespace clustercap::training {

Machine machine_for(const Chip& chip, Precision precision, int chips, int scaleup_domain,
                    double scaleout_bytes_per_s) {
  Machine m;
  m.chips = chips;
  m.precision = precision;
  m.peak_flops = chip.peak_flops(precision).value_or(0.0);
  m.bf16_peak_flops = chip.peak_flops(Precision::bf16).value_or(0.0);
  m.hbm_bytes = chip.hbm_bytes.value_or(0.0);
  // No default: a chip without the figure gets 0, which check_layout reports
  // (LayoutProblem::no_hbm_bandwidth) and predicted_mfu declines
  // (NoPrediction::no_memory_figures).
  m.hbm_bytes_per_s = chip.hbm_bandwidth_bytes_per_s.value_or(0.0);
  // A figure whose direction the source leaves unstated (Ascend HCCS) is
  // read as bidirectional, the vendors' usual convention and the cautious
  // reading: one direction gets half.
  if (chip.scaleup_unidirectional_bytes_per_s) {
    m.scaleup_bytes_per_s = *chip.scaleup_unidirectional_bytes_per_s;
  } else if (chip.scaleup_bidirectional_bytes_per_s) {
    m.scaleup_bytes_per_s = *chip.scaleup_bidirectional_bytes_per_s / 2;
  } else {
    m.scaleup_bytes_per_s = chip.scaleup_direction_unstated_bytes_per_s.value_or(64e9) / 2;
  }
  m.scaleup_domain = scaleup_domain;
  m.scaleup_mesh = chip.scaleup_topology == "mesh";
  m.matmul_ceiling = chip.matmul_efficiency.value_or(0.0);
  m.scaleout_bytes_per_s = scaleout_bytes_per_s;
  return m;
}

double mesh_share(const Machine& m, double group_chips) {
  if (!m.scaleup_mesh || m.scaleup_domain < 2 || group_chips <= 1) return 1.0;
  const double peers = m.scaleup_domain - 1.0;
  return std::clamp(group_chips - 1.0, 1.0, peers) / peers;
}

}  // namespace clustercap::training
