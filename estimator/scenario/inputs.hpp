// The numbers a sweep can vary: one entry per key that may be written as a
// distribution or listed in [sweep.grid]. The entry is the only place that
// states the key's unit, its scale to SI, its valid range (the loader reads
// the key with this very Range), what it sets in the model and what it can
// change, so the loader, the distribution and grid checks, bind_target, the
// list of keys in messages and the sweep engine cannot drift apart.
//
// Adding a sampleable key: one entry here, a Target, the model field
// Engine::apply sets for it (and, for a per-actor/site/line key, which
// candidates Engine::bind lets it touch); the compiler then asks for its name
// in plan_json.cpp's switch.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "estimator/scenario/uncertain.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

// What a sampled or grid-fixed value can change; the sweep engine decides
// from it which candidates it must re-size or re-power per sample.
enum class InputEffect {
  site_power,    // what a site can power, and so the cluster's size and FLOP/s
  cluster_size,  // the cluster's size or FLOP/s
  step_model,    // MFU only through the step model (the run length sets the model trained)
  outputs_only,  // only reported outputs (tokens, memory fit), never size or FLOP/s
  supply,        // what a timeline's supply delivers (stock per month): `sweep` on a [timeline]
  multi_site,    // clusters across WAN-linked sites only: those samples run `estimate`
                 // (multi_site.hpp)
};

struct InputSpec {
  // Dotted key with "[]" after each array of tables: "actor[].site[].power_mw".
  std::string_view pattern;
  std::string_view unit;  // config unit as written in the file ("MW", "days", "fraction")
  double scale_to_si;     // config unit to SI (MW -> W: 1e6, days -> s: 86400)
  Range range;            // valid values in config units
  bool whole;             // whole numbers only (chip counts)
  sweep::Target target;
  InputEffect effect;

  // The key as error messages name it: "actor.site.power_mw".
  std::string key() const;
  // Empty when `value` (config units) is valid; otherwise the rule it breaks
  // ("must be in [1, 3]", "must be a whole number").
  std::string check(double value) const;
  // Bounds samples are clamped to (config units): the range's, moved just
  // inside an open end, so a clamped sample still passes check().
  std::pair<double, double> clamp_bounds() const;
};

// Every sampleable key, in the order supported_keys() lists them.
const std::vector<InputSpec>& sweep_inputs();
// The entry of a target (every Target has exactly one).
const InputSpec& input_spec(sweep::Target target);
// The entry whose pattern is `pattern` ("actor[].site[].pue"), or null.
const InputSpec* find_input(std::string_view pattern);
// The range of the entry whose pattern is `pattern`, for loaders reading the
// key (RuntimeFailure when there is none: a programming error).
const Range& input_range(std::string_view pattern);
// The clamp bounds of any range, as clamp_bounds() (infinite ends: +-1e300).
std::pair<double, double> clamp_bounds(const Range& range);

}  // namespace clustercap
