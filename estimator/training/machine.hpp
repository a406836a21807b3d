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

// Share of the chip's scale-up bandwidth a collective over `group_chips`
// chips of one domain reaches (tier() in step_model.cpp, moe::all_to_all).
// 1 on a switched fabric. In a full mesh of D = scaleup_domain chips each
// chip has one link, B / (D - 1) per direction, to each peer. A reduce-
// scatter or all-gather of S bytes over g members of the mesh, run the way
// HCCL, RCCL and HCCL-on-Gaudi run it there (every chip sends each peer its
// 1/g piece straight over their own link, all links at once), moves
// S (g - 1) / g per chip over g - 1 links: S / (g B / (D - 1)) seconds,
// where a switch would take S (g - 1) / (g B). The mesh is thus a switched
// fabric of bandwidth B (g - 1) / (D - 1): TP 4 in an 8-NPU HCCS server
// reaches 3/7 of the chip's bandwidth, TP 8 all of it, a pair 1/7. An
// all-to-all among g members sends 1/g of its data to each peer over its
// own link: the same share. Members need not be consecutive (every pair has
// a link), so the stride does not matter.
double mesh_share(const Machine& m, double group_chips);

}  // namespace clustercap::training
