// Text from input files (actor, site, scenario, chip names), made safe for
// a terminal (CSV fields: csv_writer.hpp).
#pragma once

#include <string>

#include "hardware/common/printable.hpp"

namespace clustercap::report {

// Names from input files in a table (hardware/common/printable.hpp).
inline std::string terminal_text(const std::string& text) { return printable_text(text); }

}  // namespace clustercap::report
