// Supply over time: hand derivations for wafers, yield, HBM, rules,
// attrition and budgets.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>

#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/supply/wafer.hpp"
#include "estimator/supply_simulation.hpp"
#include "estimator/timeline.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::supply;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

// A one-actor scenario from 2025-01 to `end`; `extra` adds settings and supply.
Scenario scenario(const std::string& actor_extra, const std::string& supply,
                  const std::string& end = "2025-12", const std::string& rule = "") {
  const std::string text =
      "[scenario]\nname = \"s\"\n" + (rule.empty() ? "" : "export_rule = \"" + rule + "\"\n") +
      "[training]\nduration_days = 100\n"
      "[timeline]\nstart = \"2025-01\"\nend = \"" +
      end +
      "\"\n"
      "[[actor]]\nname = \"A\"\ncountry = \"CN\"\n" +
      actor_extra + "\n[[actor.site]]\nname = \"S\"\npower_mw = 1000\npue = 1.2\n" + supply;
  return load_scenario_text("s.toml", text, catalog());
}

std::vector<ActorTimeline> run(const Scenario& s) {
  return simulate_supply(s, catalog(), *s.timeline);
}

double total_units(const ActorTimeline& t, const std::string& name) {
  for (const auto& [n, units] : t.cumulative_units) {
    if (n == name) return units;
  }
  return -1;
}

}  // namespace

TEST_CASE("a 665.61 mm2 die gives 80 candidates on a 300 mm wafer", "[estimator][supply]") {
  // pi 150^2 / 665.61 = 106.20; pi 300 / sqrt(2 x 665.61) = 25.83; 106.20 - 25.83 = 80.37.
  // (Morgan Stanley counts 78 for the 910B with a wider edge exclusion.)
  CHECK(dies_per_wafer(665.61) == Approx(80));
  // Two such dies per 910C package: 40 packages' worth per wafer before yield.
  CHECK(dies_per_wafer(100) == Approx(640));  // 706.86 - 66.64 = 640.2
}

TEST_CASE("yield models follow their formulas", "[estimator][supply]") {
  // A = 6.6561 cm2 at D0 = 0.1/cm2: Poisson exp(-0.66561) = 0.514.
  CHECK(die_yield(YieldModel::poisson, 665.61, 0.1) == Approx(std::exp(-0.66561)));
  // Murphy ((1 - e^-0.66561) / 0.66561)^2 = 0.5375.
  const double x = (1 - std::exp(-0.66561)) / 0.66561;
  CHECK(die_yield(YieldModel::murphy, 665.61, 0.1) == Approx(x * x));
}

TEST_CASE("13M stockpiled HBM stacks at 8 per 910C make ~1.6M packages", "[estimator][supply]") {
  // Unlimited wafers and packaging: HBM binds at 13e6 / 8 = 1,625,000.
  const Scenario s = scenario("", R"(
[[supply]]
kind = "hbm_pool"
name = "hbm"
actor = "A"
start = "2025-01"
stockpile_stacks = 13e6

[[supply]]
kind = "production"
name = "910c"
actor = "A"
chip = "huawei_ascend_910c"
start = "2025-01"
wafers_per_month = 1e6
yield = 1
hbm_stacks_per_package = 8
hbm_pool = "hbm"
)");
  const auto t = run(s).front();
  CHECK(total_units(t, "910c") == Approx(1625000));
  CHECK(t.months.front().flows.back().binding == "hbm");
  CHECK(t.months.front().flows.back().units == Approx(1625000));
  CHECK(t.months[1].flows.back().units == Approx(0));
}

TEST_CASE("a line's binding stage is wafers or HBM, whichever is shorter", "[estimator][supply]") {
  // 1,000 wafers x 80 dies x 0.5 yield = 40,000 dies = 20,000 two-die packages.
  const std::string wafer_bound = R"(
[[supply]]
kind = "hbm_pool"
name = "hbm"
actor = "A"
start = "2025-01"
stockpile_stacks = 1e9

[[supply]]
kind = "production"
name = "910c"
actor = "A"
chip = "huawei_ascend_910c"
start = "2025-01"
wafers_per_month = 1000
yield = 0.5
hbm_stacks_per_package = 8
hbm_pool = "hbm"
)";
  const auto w = run(scenario("", wafer_bound)).front();
  CHECK(w.months.front().flows.back().binding == "wafers");
  CHECK(w.months.front().flows.back().units == Approx(20000));
  CHECK(total_units(w, "910c") == Approx(12 * 20000));

  std::string hbm_bound = wafer_bound;
  hbm_bound.replace(hbm_bound.find("1e9"), 3, "80000");  // 80,000 / 8 = 10,000 packages once
  const auto h = run(scenario("", hbm_bound)).front();
  CHECK(h.months.front().flows.back().binding == "hbm");
  CHECK(h.months.front().flows.back().units == Approx(10000));
  CHECK(h.months[1].flows.back().units == Approx(0));
}

TEST_CASE("the H20 letter blocks imports from the month it takes effect", "[estimator][supply]") {
  const std::string imports = R"(
[[supply]]
kind = "import"
actor = "A"
chip = "nvidia_h20"
start = "2025-01"
units_per_month = 1000
)";
  const auto t = run(scenario("", imports, "2025-12", "2026-01")).front();
  for (int m = 0; m < 12; ++m) {
    INFO("month " << m + 1);
    const Flow& f = t.months[static_cast<std::size_t>(m)].flows.front();
    CHECK(f.units == Approx(m < 3 ? 1000 : 0));  // the letter is dated 2025-04-09
    CHECK(f.blocked == Approx(m < 3 ? 0 : 1000));
  }
  // The Dec 2024 package was in force when the letter came: the same three
  // months pass. Under the Oct 2023 rule alone the H20 (TPP 2,368) passes.
  const auto dec2024 = run(scenario("", imports, "2025-12", "2024-12")).front();
  CHECK(total_units(dec2024, "import nvidia_h20") == Approx(3000));
  const auto open = run(scenario("", imports, "2025-12", "2023-10")).front();
  CHECK(total_units(open, "import nvidia_h20") == Approx(12000));
  // A licence lets it through up to its cap.
  std::string licensed = imports + "licensed = true\nlicensed_units_per_month = 400\n";
  const auto lic = run(scenario("", licensed, "2025-12", "2026-01")).front();
  CHECK(total_units(lic, "import nvidia_h20") == Approx(3 * 1000 + 9 * 400));
}

TEST_CASE("attrition compounds monthly to the annual rate", "[estimator][supply]") {
  const std::string start =
      "attrition_per_year = 0.1\n[[actor.inventory]]\nchip = \"nvidia_h100_sxm\"\ncount = 100000\n";
  const auto t = run(scenario(start, "", "2026-12")).front();
  // (1 - 0.1)^(1/12) per month: 90,000 after 12 months, 81,000 after 24.
  CHECK(t.months[11].stocks.front().count == Approx(90000));
  CHECK(t.months[23].stocks.front().count == Approx(81000));
}

TEST_CASE("a yearly budget caps purchases and resets each January", "[estimator][supply]") {
  // $1B a year at $25,000 per H100 buys 40,000 of 100,000 smuggled a year.
  const std::string settings = "budget_usd_per_year = 1e9\n";
  const std::string smuggling = R"(
[[supply]]
kind = "smuggling"
actor = "A"
chip = "nvidia_h100_sxm"
start = "2025-01"
units_per_year = 120000
)";
  const auto t = run(scenario(settings, smuggling, "2026-12")).front();
  double y2025 = 0, y2026 = 0;
  for (const auto& m : t.months) (m.month / 12 == 2025 ? y2025 : y2026) += m.flows.front().units;
  CHECK(y2025 == Approx(40000));
  CHECK(y2026 == Approx(40000));
  // April spends the last of $1B (4 x 10,000 x $25,000); May is budget-bound.
  CHECK(t.months[3].flows.front().units == Approx(10000));
  CHECK(t.months[4].flows.front().binding == "budget");
}

TEST_CASE("timeline months are consistent for every shipped scenario with supply",
          "[estimator][supply][configs]") {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CLUSTERCAP_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".toml") continue;
    const Scenario s = load_scenario_file(entry.path().string(), catalog());
    if (!s.timeline) continue;
    ++checked;
    INFO(entry.path().filename().string());
    const TimelineResult r = run_timeline(s, catalog());
    for (const auto& a : r.actors) {
      CHECK(a.months.size() == static_cast<std::size_t>(s.timeline->end - s.timeline->start + 1));
      std::map<std::string, double> sums;
      for (const auto& m : a.months) {
        for (const auto& inv : m.inventory) CHECK(inv.count >= 0);
        for (const auto& [name, level] : m.pools) CHECK(level >= -1e-6);
        for (const auto& f : m.flows) {
          CHECK(f.units >= 0);
          sums[f.supply] += f.units;
          if (f.kind == SupplyKind::production) CHECK_FALSE(f.binding.empty());
        }
      }
      for (const auto& [name, total] : a.cumulative_units) CHECK(total == Approx(sums[name]));
    }
  }
  CHECK(checked >= 1);
}

TEST_CASE("a production line naming an HBM pool must say how many stacks a package takes",
          "[estimator][supply]") {
  // Without hbm_stacks_per_package the pool would gate nothing, silently.
  const auto errors = test::error_lines([] {
    scenario("", R"(
[[supply]]
kind = "hbm_pool"
name = "hbm"
actor = "A"
start = "2025-01"
stockpile_stacks = 1000

[[supply]]
kind = "production"
name = "910c"
actor = "A"
chip = "huawei_ascend_910c"
start = "2025-01"
wafers_per_month = 1e6
yield = 1
hbm_pool = "hbm"
)");
  });
  REQUIRE(errors.size() == 1);
  CHECK(
      errors[0] ==
      "s.toml:24:1: supply.hbm_stacks_per_package: required (> 0) when hbm_pool is named: the HBM "
      "stacks each package takes from \"hbm\"");
}

TEST_CASE("a timeline that ends before it starts is one error, not also a missing timeline",
          "[estimator][supply]") {
  const auto errors = test::error_lines([] {
    scenario("", R"(
[[supply]]
kind = "hbm_pool"
name = "hbm"
actor = "A"
start = "2025-01"
stockpile_stacks = 1000
)",
             "2024-06");
  });
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "s.toml:7:7: timeline.end = \"2024-06\": must not be before start (2025-01)");
}
