// Loads the catalog from TOML text: the files embedded at build time
// (hardware/data/*.toml) plus any extra files a user passes with --hardware.
//
// Throws InputErrors listing every problem: unknown keys, wrong types,
// out-of-range values, missing sources/estimated, duplicate IDs and
// references to chips or systems that do not exist.
#pragma once

#include <string>
#include <vector>

#include "hardware/catalog.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// Generous physical bounds of catalog figures: they catch unit slips (W
// typed as kW, sparse figures pasted twice) without encoding today's
// hardware. `classify`'s hypothetical chip is checked against the same ones.
inline const Range kTflopsRange = Range::positive(1e7);     // dense TFLOPS / TOPS
inline const Range kBandwidthRange = Range::positive(1e7);  // GB/s (scale-up), TB/s (system HBM)
inline const Range kDieAreaRange = Range::positive(1e5);    // mm2
inline const Range kChipHbmBandwidthRange = Range::positive(1e4);  // TB/s per chip

struct TextSource {
  std::string name;  // shown in error messages (a path)
  std::string text;
};

Catalog load_catalog(const std::vector<TextSource>& sources);

// The embedded catalog files, in a fixed order.
std::vector<TextSource> builtin_catalog_sources();

// Embedded catalog plus the files at `extra_paths` (read from disk).
Catalog load_catalog_with_extra(const std::vector<std::string>& extra_paths);

}  // namespace clustercap
