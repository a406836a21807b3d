// Reporters for `hardware list` and `hardware show` (clustercap.hardware.v1).
// Figures are printed in the catalog's own units (bf16_tflops, hbm_gb, ...),
// with the estimated ones marked, so output can be checked against the data files.
#pragma once

#include <ostream>
#include <string>

#include "hardware/catalog.hpp"

namespace clustercap::report {

inline constexpr const char* kHardwareSchema = "clustercap.hardware.v1";

enum class HardwareKind { all, chip, system, cluster };

void write_hardware_list_table(const Catalog& catalog, HardwareKind kind, std::ostream& out);
void write_hardware_list_json(const Catalog& catalog, HardwareKind kind, std::ostream& out);
// One row per entry: kind, id, every key the listed entries set (units in the
// key names, as in the catalog), then `estimated` (keys, space-separated) and
// `sources` (URLs, space-separated; URLs hold no spaces).
void write_hardware_list_csv(const Catalog& catalog, HardwareKind kind, std::ostream& out);
// Returns false when `id` is not in the catalog.
bool write_hardware_show_table(const Catalog& catalog, const std::string& id, std::ostream& out);
bool write_hardware_show_json(const Catalog& catalog, const std::string& id, std::ostream& out);

}  // namespace clustercap::report
