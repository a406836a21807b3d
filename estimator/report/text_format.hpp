// Text from input files (actor, site, scenario, chip names), made safe for
// the two places reporters put it: a terminal and a CSV field.
#pragma once

#include <string>

#include "hardware/common/printable.hpp"

namespace clustercap::report {

// RFC 4180: the field as is, or quoted when it holds a comma, a quote, CR or
// LF, with each quote doubled.
inline std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// Names from input files in a table (hardware/common/printable.hpp).
inline std::string terminal_text(const std::string& text) { return printable_text(text); }

}  // namespace clustercap::report
