// Inputs written as competing published estimates: which estimate a run
// uses, how sources are mixed, and what the reports say about them.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/distribution.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "tests/support.hpp"

namespace clustercap {
namespace {

// One actor, one site, one H100 line whose count is `count` (TOML), and an
// optional [sources] section.
std::string scenario_text(const std::string& count, const std::string& sources = "") {
  return sources + R"(
[scenario]
name = "sources"

[training]
precision = "bf16"
duration_days = 90

[[actor]]
name = "a"

[[actor.site]]
name = "s"
power_mw = 1000
pue = 1.2

[[actor.inventory]]
chip = "nvidia_h100_sxm"
source = "smuggled"
count = )" +
         count + "\n";
}

// Two published estimates: Epoch's 10,000 and CNAS's 4,000.
const std::string kTwo =
    "{ name = \"h100\", estimates = [\n"
    "  { by = \"epoch\", date = 2026-04-30, cite = \"docs/policy-supply.md §B.6\", value = "
    "10000 },\n"
    "  { by = \"cnas\", date = 2025-06-11, cite = \"docs/policy-supply.md §B.6\", value = 4000 },\n"
    "] }";

Scenario load(const std::string& text, const std::vector<std::string>& sources = {}) {
  return load_scenario_text("s.toml", text, test::builtin_catalog(), sources);
}

double count_of(const Scenario& s) { return s.actors[0].inventory[0].count; }

}  // namespace

TEST_CASE("a sourced value uses its first estimate unless the run prefers another source",
          "[sources]") {
  const Scenario first = load(scenario_text(kTwo));
  CHECK(count_of(first) == Approx(10000));
  REQUIRE(first.sweep.sourced.size() == 1);
  CHECK(first.sweep.sourced[0].used == 0);
  CHECK_FALSE(first.sweep.sourced[0].from_preference);

  CHECK(count_of(load(scenario_text(kTwo), {"cnas"})) == Approx(4000));
  // The first preferred source the value has.
  CHECK(count_of(load(scenario_text(kTwo), {"cnas", "epoch"})) == Approx(4000));
  CHECK(count_of(load(scenario_text(kTwo), {"epoch", "cnas"})) == Approx(10000));
  // A preferred source no estimate is by is a mistake, not a silent fallback.
  const auto errors = test::error_lines([] { load(scenario_text(kTwo), {"comerce"}); });
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "command line: --sources = \"comerce\": no estimate in s.toml is by this source; its "
        "sources: cnas, epoch");
  // The file's preference, and the command line's over it.
  const std::string file_prefers_cnas = "[sources]\nuse = [\"cnas\"]\n";
  CHECK(count_of(load(scenario_text(kTwo, file_prefers_cnas))) == Approx(4000));
  CHECK(count_of(load(scenario_text(kTwo, file_prefers_cnas), {"epoch"})) == Approx(10000));
  // The value's own `use` when no preference names one of its sources.
  std::string with_use = kTwo;
  with_use.insert(with_use.find("estimates"), "use = \"cnas\", ");
  CHECK(count_of(load(scenario_text(with_use))) == Approx(4000));
}

TEST_CASE("a named reading stands for its list of sources", "[sources]") {
  const std::string readings =
      "[sources]\n[sources.readings]\nlow = [\"cnas\", \"epoch\"]\nhigh = [\"epoch\"]\n";
  const Scenario low = load(scenario_text(kTwo, readings), {"low"});
  CHECK(count_of(low) == Approx(4000));
  CHECK(low.sweep.sources.reading == "low");
  CHECK(low.sweep.readings.size() == 2);
  CHECK(count_of(load(scenario_text(kTwo, readings), {"high"})) == Approx(10000));
}

TEST_CASE("mixing sources weights their estimates; the median is the generalised inverse",
          "[sources]") {
  // Equal weights on 10,000 and 4,000: F reaches 0.5 at 4,000.
  CHECK(count_of(load(scenario_text(kTwo), {"mix"})) == Approx(4000));
  // Weight 3 on Epoch: F(4,000) = 0.25, so the median is 10,000.
  std::string weighted = kTwo;
  weighted.insert(weighted.find("value = 10000"), "weight = 3, ");
  const Scenario s = load(scenario_text(weighted), {"mix"});
  CHECK(count_of(s) == Approx(10000));
  REQUIRE(s.sweep.inputs.size() == 1);
  const auto& dist = s.sweep.inputs[0].dist;
  CHECK(dist.kind == sweep::DistKind::mixture);
  CHECK(dist.quantile(0.2) == Approx(4000));
  CHECK(dist.quantile(0.3) == Approx(10000));
  CHECK(s.sweep.sourced[0].used == -1);
}

TEST_CASE("a mixture of two uniform sources has the quantiles of their weighted CDF",
          "[sources][distribution]") {
  // U(0, 1) and U(2, 3), weights 1 and 1: F(x) = x / 2 on [0, 1], 1/2 on
  // [1, 2], 1/2 + (x - 2) / 2 on [2, 3].
  const auto mix =
      sweep::make_mixture({sweep::make_uniform(0, 1), sweep::make_uniform(2, 3)}, {1, 1});
  CHECK(mix.quantile(0.25) == Approx(0.5).margin(1e-6));
  CHECK(mix.quantile(0.75) == Approx(2.5).margin(1e-6));
  CHECK(mix.median() == Approx(1.0).margin(1e-3));
  CHECK(mix.cdf(2.5) == Approx(0.75).margin(1e-6));
  // The CDFs the bisection reads, one per kind.
  CHECK(sweep::make_triangular(0, 1, 2).cdf(1) == Approx(0.5));
  CHECK(sweep::make_lognormal(0, 1).cdf(1) == Approx(0.5));
  CHECK(sweep::make_normal(5, 2, -1e300, 1e300).cdf(5) == Approx(0.5));
  CHECK(sweep::make_choice({1, 2, 3}, {1, 1, 2}).cdf(2) == Approx(0.5));
  CHECK(sweep::make_pert(0, 5, 10, 4).cdf(5) == Approx(0.5).margin(1e-3));
}

TEST_CASE("a sourced distribution is sampled by the sweep like any other", "[sources][sweep]") {
  const std::string text = scenario_text(
      "{ name = \"h100\", estimates = [\n"
      "  { by = \"epoch\", date = 2026-04-30, cite = \"docs/policy-supply.md §B.6\", dist = "
      "\"uniform\", min = 2000, max = 6000 },\n"
      "  { by = \"cnas\", date = 2025-06-11, cite = \"docs/policy-supply.md §B.6\", value = 1000 "
      "},\n"
      "] }");
  const Scenario epoch = load(text);
  CHECK(count_of(epoch) == Approx(4000));
  sweep::SweepOptions options;
  options.samples = 4000;
  const auto spread = sweep::run_sweep(epoch, test::builtin_catalog(), options);
  const auto& chips = spread.points[0].actors[0].metrics[0];
  REQUIRE(chips.name == "chips");
  CHECK(chips.quantiles[0] == Approx(2200).epsilon(0.03));  // p5 of U(2000, 6000)
  CHECK(chips.quantiles[6] == Approx(5800).epsilon(0.03));  // p95
  // CNAS's point estimate does not vary: every sample holds 1,000 chips.
  const auto fixed = sweep::run_sweep(load(text, {"cnas"}), test::builtin_catalog(), options);
  CHECK(fixed.fixed_inputs == 1);
  CHECK(fixed.points[0].actors[0].metrics[0].sd == Approx(0).margin(1e-9));
  CHECK(fixed.points[0].actors[0].tornado.empty());
}

TEST_CASE("estimate names the estimate each sourced input used and the others", "[sources]") {
  const EstimateResult e = estimate(load(scenario_text(kTwo), {"cnas"}), test::builtin_catalog());
  std::ostringstream table;
  report::write_estimate_table(e, table);
  CHECK(table.str().find(
            "1 input has competing published estimates (--sources ID picks one, sweep "
            "--by-source compares them):\n"
            "  h100 = 4,000: cnas 4,000 (2025-06-11, docs/policy-supply.md §B.6); chosen by "
            "--sources\n"
            "      other estimates: epoch 10,000 (2026-04-30, docs/policy-supply.md §B.6)\n") !=
        std::string::npos);
  // The point estimate uses no distribution, so none is listed as a median.
  CHECK(table.str().find("inputs are distributions") == std::string::npos);
  std::ostringstream json;
  report::write_estimate_json(e, json);
  CHECK(json.str().find("\"used\": \"cnas\"") != std::string::npos);
  CHECK(json.str().find("\"chosen_by\": \"--sources\"") != std::string::npos);
}

TEST_CASE("sourced estimates are checked whole, every error at once", "[sources]") {
  const auto errors = test::error_lines([] {
    load(
        scenario_text("{ name = \"h100\", estimates = [\n"
                      "  { by = \"Epoch\", date = 2026-04-30, cite = \"x\", value = 1 },\n"
                      "  { by = \"cnas\", cite = \"x\", value = -5 },\n"
                      "] }"));
  });
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].find("estimates.by = \"Epoch\": must be a source id") != std::string::npos);
  CHECK(errors[1].find("estimates.date: missing") != std::string::npos);
  CHECK(errors[2].find("estimates.value = -5: must be in [0, 10000000000]") != std::string::npos);
}

}  // namespace clustercap
