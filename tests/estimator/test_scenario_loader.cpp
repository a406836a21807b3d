#include <catch2/catch.hpp>

#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"
#include "hardware/common/input_error.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

const char* kMinimal = R"([scenario]
name = "minimal"

[training]
duration_days = 50

[[actor]]
name = "lab"

[[actor.site]]
name = "dc"
power_mw = 30
pue = 1.2

[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 16384
)";

std::vector<std::string> errors_for(const std::string& text) {
  return test::error_lines([&] { load_scenario_text("s.toml", text, catalog()); });
}

}  // namespace

TEST_CASE("a minimal scenario loads with defaults and SI units", "[estimator][scenario]") {
  const Scenario s = load_scenario_text("s.toml", kMinimal, catalog());
  CHECK(s.name == "minimal");
  CHECK(s.training.duration_s == Approx(50 * 86400.0));
  CHECK(s.training.precision == Precision::bf16);
  CHECK(s.training.goodput == Approx(0.9));
  REQUIRE(s.actors.size() == 1);
  CHECK(s.actors[0].sites[0].power_w == Approx(30e6));
  CHECK(s.actors[0].inventory[0].count == Approx(16384));
  CHECK(s.network.switch_radix == Approx(64));
}

TEST_CASE("all scenario errors are reported at once, in file order", "[estimator][scenario]") {
  std::string text = kMinimal;
  text.replace(text.find("power_mw = 30"), 13, "power_mw = -30");
  text.replace(text.find("duration_days"), 13, "duraton_days");
  text.replace(text.find("nvidia_h100_sxm"), 15, "nvidia_h100");
  const auto errors = errors_for(text);
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "s.toml:4:1: training.duration_days: missing required key (a number)");
  CHECK(errors[1] ==
        "s.toml:5:1: training.duraton_days = 50: unknown key (did you mean \"duration_days\"?)");
  CHECK(errors[2] == "s.toml:12:12: actor.site.power_mw = -30: must be in (0, 1000000]");
  CHECK(errors[3] ==
        "s.toml:16:8: actor.inventory.chip = \"nvidia_h100\": unknown chip id (did you mean "
        "\"nvidia_h100_sxm\"?)");
}

TEST_CASE("settings the model cannot use are input errors", "[estimator][scenario]") {
  SECTION("a budget needs a price") {
    std::string text = kMinimal;
    text.replace(text.find("nvidia_h100_sxm"), 15, "nvidia_h800_sxm");
    text.replace(text.find("name = \"lab\""), 12, "name = \"lab\"\nbudget_usd = 1e9");
    const auto errors = errors_for(text);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] ==
          "s.toml:16:1: actor.inventory.price_usd: required: the actor has "
          "budget_usd and the catalog has no price for \"nvidia_h800_sxm\"");
  }
  SECTION("the chip needs a peak at the chosen precision") {
    std::string text = kMinimal;
    text.replace(text.find("duration_days = 50"), 18, "duration_days = 50\nprecision = \"fp8\"");
    text.replace(text.find("nvidia_h100_sxm"), 15, "huawei_ascend_910b");
    const auto errors = errors_for(text);
    REQUIRE(errors.size() == 1);  // no second error about the MFU prior: mfu would not help
    CHECK(errors[0] ==
          "s.toml:17:8: actor.inventory.chip = \"huawei_ascend_910b\": has no "
          "dense fp8 peak in the catalog; choose another [training] precision");
  }
}
