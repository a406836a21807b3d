// Helpers shared by the unit tests.
#pragma once

#include <string>
#include <vector>

#include "hardware/catalog_loader.hpp"
#include "hardware/common/input_error.hpp"

namespace clustercap::test {

// The embedded catalog, parsed once per test binary.
inline const Catalog& builtin_catalog() {
  static const Catalog catalog = load_catalog(builtin_catalog_sources());
  return catalog;
}

// Runs `load` and returns its input errors as printed lines (none: empty).
template <typename Load>
std::vector<std::string> error_lines(Load load) {
  try {
    load();
  } catch (const InputErrors& e) {
    std::vector<std::string> lines;
    for (const auto& error : e.errors()) lines.push_back(error.to_string());
    return lines;
  }
  return {};
}

}  // namespace clustercap::test
