// Examples are tests: every scenario in configs/ loads and estimates, and
// every number it reports is finite.
#include <cmath>
#include <filesystem>

#include <catch2/catch.hpp>

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
    for (std::size_t i = 0; i < j.size(); ++i) check_finite(j[i], path + "[" + std::to_string(i) + "]");
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
