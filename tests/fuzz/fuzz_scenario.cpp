// libFuzzer target: scenario text -> loader + validation -> one estimate.
// Bad input must end in InputErrors (exit 2 in the CLI); anything else a
// crash, a sanitizer report, another exception or a non-finite figure is a
// bug. See README "Fuzzing" for how to run it.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"
#include "hardware/common/input_error.hpp"

namespace {

const clustercap::Catalog& catalog() {
  static const clustercap::Catalog c =
      clustercap::load_catalog(clustercap::builtin_catalog_sources());
  return c;
}

void require_finite(double x) {
  if (!std::isfinite(x)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // configs are small; keep runs fast
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const clustercap::Scenario scenario =
        clustercap::load_scenario_text("fuzz.toml", text, catalog());
    if (scenario.timeline && scenario.timeline->end - scenario.timeline->start > 120) return 0;
    const clustercap::EstimateResult result = clustercap::estimate(scenario, catalog());
    for (const auto& a : result.actors) {
      require_finite(a.cluster.chips);
      require_finite(a.cluster.facility_power_w);
      require_finite(a.cluster.sustained_flops);
      require_finite(a.training.train_flop);
      require_finite(a.training.params);
      require_finite(a.training.tokens);
    }
  } catch (const clustercap::InputErrors&) {
    // the expected outcome for bad input
  }
  return 0;
}
