// Examples are tests: every scenario in configs/ loads and estimates, and
// every number it reports is finite.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"

using namespace clustercap;
namespace fs = std::filesystem;

namespace {

void check_finite(const nlohmann::ordered_json& j, const std::string& path) {
  if (j.is_number()) {
    INFO(path);
    CHECK(std::isfinite(j.get<double>()));
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) check_finite(value, path + "." + key);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      check_finite(j[i], path + "[" + std::to_string(i) + "]");
  }
}

}  // namespace

TEST_CASE("every scenario in configs/ estimates with finite results", "[estimator][configs]") {
  const Catalog catalog = load_catalog(builtin_catalog_sources());
  int count = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CLUSTERCAP_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".toml") continue;
    ++count;
    DYNAMIC_SECTION(entry.path().filename().string()) {
      const Scenario s = load_scenario_file(entry.path().string(), catalog);
      const EstimateResult r = estimate(s, catalog);
      REQUIRE_FALSE(r.actors.empty());
      for (const auto& a : r.actors) CHECK(a.cluster.chips > 0);
      check_finite(report::estimate_to_json(r), "");
    }
  }
  CHECK(count >= 1);
}

TEST_CASE("the embedded default scenario is configs/default.toml", "[estimator][configs]") {
  const Catalog catalog = load_catalog(builtin_catalog_sources());
  const Scenario embedded = load_default_scenario(catalog);
  const Scenario on_disk = load_scenario_file(
      (fs::path(CLUSTERCAP_SOURCE_DIR) / "configs" / "default.toml").string(), catalog);
  CHECK(embedded.name == on_disk.name);
  CHECK(embedded.actors.size() == on_disk.actors.size());
}

TEST_CASE("the Llama 3.1 405B scenario reproduces the published run", "[estimator][configs]") {
  // Published: 3.8e25 FLOP (model card / Epoch) and ~27 MW (Epoch: 16,000 x
  // ~1,700 W). By hand: 16,384 x 989.5 TFLOPS x MFU 0.41 x goodput 0.9 x 78.4
  // days = 4.04e25 FLOP (+6%). Tolerance 10%: the paper's step MFU spans
  // 0.38-0.43 and goodput is only bounded (>90%).
  const Catalog catalog = load_catalog(builtin_catalog_sources());
  const Scenario s = load_scenario_file(
      (fs::path(CLUSTERCAP_SOURCE_DIR) / "configs" / "llama3-405b.toml").string(), catalog);
  const ActorResult a = estimate(s, catalog).actors[0];
  CHECK(a.training.train_flop == Approx(16384 * 989.5e12 * 0.41 * 0.9 * 78.4 * 86400));
  CHECK(a.training.train_flop == Approx(3.8e25).epsilon(0.10));
  CHECK(a.cluster.facility_power_w == Approx(27e6).epsilon(0.10));
  // Compute-optimal size for that compute is ~580B, the same order as 405B.
  CHECK(a.training.params == Approx(std::sqrt(a.training.train_flop / 120)));
}
