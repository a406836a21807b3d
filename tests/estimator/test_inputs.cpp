// The input table (estimator/scenario/inputs.hpp) and the checks every value
// of a sampleable key goes through, whether written in the file, drawn from a
// distribution or listed in [sweep.grid].
#include <algorithm>
#include <catch2/catch.hpp>
#include <climits>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/distribution.hpp"
#include "estimator/scenario/inputs.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/engine.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using sweep::Target;

namespace {

const char* kBase = R"([scenario]
name = "inputs"

[training]
duration_days = 100

[[actor]]
name = "lab"

[[actor.site]]
name = "dc"
power_mw = 300
pue = 1.2

[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 16384
)";

std::vector<std::string> errors_for(const std::string& text) {
  return test::error_lines([&] { load_scenario_text("s.toml", text, test::builtin_catalog()); });
}

Scenario load(const std::string& text) {
  return load_scenario_text("s.toml", text, test::builtin_catalog());
}

// A scenario with one value set per section ("training", "actor.site", ...),
// each section's keys in order; the sections every scenario needs come first.
std::string scenario_with(const std::string& section, const std::string& key,
                          const std::string& value) {
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> sections = {
      {"scenario", {{"name", "\"t\""}}},
      {"training", {{"duration_days", "100"}}},
      {"network", {}},
      {"power", {}},
      {"cost", {}},
      {"actor", {{"name", "\"lab\""}}},
      {"actor.site", {{"name", "\"dc\""}, {"power_mw", "300"}, {"pue", "1.2"}}},
      {"actor.inventory",
       {{"chip", "\"nvidia_h100_sxm\""}, {"count", "16384"}, {"price_usd", "25000"}}},
  };
  if (section == "actor.link") {  // a second site and the link between them
    sections.insert(sections.begin() + 7,
                    {"actor.site", {{"name", "\"dc2\""}, {"power_mw", "300"}, {"pue", "1.2"}}});
    sections.back().second.emplace_back("site", "\"dc\"");
    sections.push_back({"actor.link",
                        {{"sites", "[\"dc\", \"dc2\"]"},
                         {"bandwidth_tbps", "100"},
                         {key == "latency_ms" ? "latency_ms" : "distance_km", "100"}}});
  }
  // Infrequent synchronisation needs its penalty, and the penalty needs it.
  if (section == "training" && key == "sync_every_steps" && value != "1")
    sections[1].second.emplace_back("sync_penalty", "0.1");
  if (section == "training" && key == "sync_penalty")
    sections[1].second.emplace_back("sync_every_steps", "4");
  std::string text;
  for (auto& [name, keys] : sections) {
    if (name == section && (name != "actor.site" || keys[0].second == "\"dc\"")) {
      bool replaced = false;
      for (auto& kv : keys) {
        if (kv.first == key) kv.second = value, replaced = true;
      }
      if (!replaced) keys.emplace_back(key, value);
    }
    const bool array = name.rfind("actor", 0) == 0;
    text += (array ? "[[" : "[") + name + (array ? "]]\n" : "]\n");
    for (const auto& [k, v] : keys) text += k + " = " + v + "\n";
  }
  return text;
}

const std::string kKeysSentence =
    "training.goodput, training.mfu, training.duration_days, training.max_tokens, "
    "training.activation_memory_fraction, training.bytes_per_param, network.switch_w, "
    "network.nic_transceiver_w, network.switch_transceiver_w, power.system_overhead, "
    "actor.budget_usd, actor.site.power_mw, actor.site.pue, actor.inventory.count, "
    "actor.inventory.mfu, actor.inventory.price_usd, supply.wafers_per_month, supply.yield, "
    "supply.packages_per_month, supply.stockpile_draw_per_month, supply.stockpile_stacks, "
    "supply.stacks_per_month, supply.dies, supply.units_per_month, supply.units_per_year, "
    "supply.licensed_units_per_month, actor.attrition_per_year, actor.site.expansion.power_mw, "
    "cost.switch_usd, cost.transceiver_usd, "
    "cost.facility_usd_per_mw, cost.opex_fraction_per_year, cost.depreciation_years, "
    "actor.site.electricity_usd_per_mwh, actor.link.bandwidth_tbps, actor.link.distance_km, "
    "actor.link.latency_ms, actor.link.availability, training.sync_every_steps, "
    "training.sync_penalty";

}  // namespace

TEST_CASE("every sweep target has exactly one input-table entry, listed in supported_keys",
          "[estimator][inputs]") {
  const std::vector<Target> targets = {Target::goodput,
                                       Target::mfu,
                                       Target::duration_s,
                                       Target::max_tokens,
                                       Target::activation_memory_fraction,
                                       Target::bytes_per_param,
                                       Target::switch_w,
                                       Target::nic_transceiver_w,
                                       Target::switch_transceiver_w,
                                       Target::system_overhead,
                                       Target::actor_budget_usd,
                                       Target::site_power_w,
                                       Target::site_pue,
                                       Target::inventory_count,
                                       Target::inventory_mfu,
                                       Target::inventory_price_usd,
                                       Target::supply_wafers_per_month,
                                       Target::supply_yield,
                                       Target::supply_packages_per_month,
                                       Target::supply_stockpile_draw_per_month,
                                       Target::supply_stockpile_stacks,
                                       Target::supply_stacks_per_month,
                                       Target::supply_dies,
                                       Target::supply_units_per_month,
                                       Target::supply_units_per_year,
                                       Target::supply_licensed_units_per_month,
                                       Target::actor_attrition_per_year,
                                       Target::site_expansion_power_w,
                                       Target::cost_switch_usd,
                                       Target::cost_transceiver_usd,
                                       Target::cost_facility_usd_per_mw,
                                       Target::cost_opex_fraction_per_year,
                                       Target::cost_depreciation_years,
                                       Target::site_electricity_usd_per_mwh,
                                       Target::link_bandwidth_tbps,
                                       Target::link_distance_km,
                                       Target::link_latency_ms,
                                       Target::link_availability,
                                       Target::sync_every_steps,
                                       Target::sync_penalty};
  REQUIRE(sweep_inputs().size() == targets.size());
  for (Target t : targets) {
    const auto n = std::count_if(sweep_inputs().begin(), sweep_inputs().end(),
                                 [&](const InputSpec& s) { return s.target == t; });
    CHECK(n == 1);
    CHECK(input_spec(t).target == t);
  }
  // The sentence error messages have always shown, now generated.
  CHECK(sweep::supported_keys() == kKeysSentence);
}

TEST_CASE("the loader reads every sampleable key with its input-table range",
          "[estimator][inputs]") {
  for (const InputSpec& spec : sweep_inputs()) {
    // Supply keys need a [timeline]: test_timeline_sweep.cpp checks them.
    if (spec.effect == InputEffect::supply) continue;
    const std::string key = spec.key();
    const auto dot = key.rfind('.');
    const std::string section = key.substr(0, dot), name = key.substr(dot + 1);
    DYNAMIC_SECTION(key) {
      // Just past each finite end of the range.
      std::vector<double> outside = {spec.range.max * 2};
      outside.push_back(!spec.range.min_inclusive ? spec.range.min
                                                  : spec.range.min - (spec.whole ? 1 : 0.5));
      for (double value : outside) {
        const auto errors = errors_for(scenario_with(section, name, format_number(value)));
        REQUIRE(errors.size() == 1);
        CHECK_THAT(errors[0],
                   Catch::Contains(key + " = " + format_number(value) + ": " + spec.range.rule()));
      }
      // The range's own ends (or just inside an open one) load.
      const auto [lo, hi] = spec.clamp_bounds();
      CHECK(errors_for(scenario_with(section, name, format_number(hi))).empty());
      if (spec.range.min_inclusive)
        CHECK(errors_for(scenario_with(section, name, format_number(lo))).empty());
    }
  }
}

TEST_CASE(
    "bind_target takes target, SI scale, whole-number rule and 0-based indices from the table",
    "[estimator][inputs]") {
  sweep::UncertainInput in;
  in.indexed_key = "actor[1].site[2].power_mw";
  REQUIRE(sweep::bind_target(in));
  CHECK(in.target == Target::site_power_w);
  CHECK(in.scale == Approx(1e6));
  CHECK(in.actor == 1);
  CHECK(in.site == 2);
  CHECK(in.inventory == -1);
  CHECK_FALSE(in.whole);

  sweep::UncertainInput count;
  count.indexed_key = "actor[0].inventory[3].count";
  REQUIRE(sweep::bind_target(count));
  CHECK(count.target == Target::inventory_count);
  CHECK(count.whole);
  CHECK(count.inventory == 3);

  sweep::UncertainInput days;
  days.indexed_key = "training.duration_days";
  REQUIRE(sweep::bind_target(days));
  CHECK(days.scale == Approx(86400));

  for (const char* bad :
       {"actor[0].site[0].name", "training[0].goodput", "actor[-1].budget_usd",
        "actor[].budget_usd", "actor[0].inventory[0].site[0].pue", "site[0].pue"}) {
    sweep::UncertainInput probe;
    probe.indexed_key = bad;
    CHECK_FALSE(sweep::bind_target(probe));
  }
  // An index too large for an int is bound (and then reported as missing),
  // not an uncaught std::out_of_range from std::stoi.
  sweep::UncertainInput huge;
  huge.indexed_key = "actor[99999999999999999999].budget_usd";
  REQUIRE(sweep::bind_target(huge));
  CHECK(huge.actor == INT_MAX);
}

TEST_CASE("grid values go through the key's range and whole-number checks at load, all at once",
          "[estimator][inputs][sweep]") {
  const std::string text = std::string(kBase) + R"(
[sweep.grid]
"actor[0].inventory[0].count" = [1000, -5000, 1.5]
"training.goodput" = [0.9, 7]
"actor[0].site[0].pue" = [0.01]
)";
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:20:33: sweep.grid.actor[0].inventory[0].count = -5000: must be in [0, "
            "10000000000]",
            "s.toml:20:33: sweep.grid.actor[0].inventory[0].count = 1.5: must be a whole number",
            "s.toml:21:22: sweep.grid.training.goodput = 7: must be in (0, 1]",
            "s.toml:22:26: sweep.grid.actor[0].site[0].pue = 0.01: must be in [1, 3]"});
}

TEST_CASE(
    "a grid key naming an actor, site or inventory line that does not exist is an input error",
    "[estimator][inputs][sweep]") {
  const std::string text = std::string(kBase) + R"(
[sweep.grid]
"actor[1].budget_usd" = [1e9]
"actor[0].site[1].power_mw" = [100]
"actor[0].inventory[2].mfu" = [0.4]
"actor[0].site[0].pue" = [1.1]
)";
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:20:25: sweep.grid.actor[1].budget_usd = [...]: names actor[1], which does not "
            "exist: "
            "indices are 0-based and this file has only actor[0]",
            "s.toml:21:31: sweep.grid.actor[0].site[1].power_mw = [...]: names actor[0].site[1], "
            "which does "
            "not exist: indices are 0-based and actor[0] has only site[0]",
            "s.toml:22:31: sweep.grid.actor[0].inventory[2].mfu = [...]: names "
            "actor[0].inventory[2], which "
            "does not exist: indices are 0-based and actor[0] has only inventory[0]"});
}

TEST_CASE("two grid axes setting the same value are an input error", "[estimator][inputs][sweep]") {
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "uniform", min = 1.1, max = 1.4, name = "site_pue" })");
  text += R"(
[sweep.grid]
"actor[0].site[0].pue" = [1.1]
site_pue = [1.3]
)";
  CHECK(errors_for(text) == std::vector<std::string>{
                                "s.toml:21:12: sweep.grid.site_pue = [...]: sets the same value as "
                                "sweep.grid.actor[0].site[0].pue, also defined at s.toml:20:26"});
}

TEST_CASE("a valid grid still loads and sweeps its values", "[estimator][inputs][sweep]") {
  const Scenario s = load(std::string(kBase) + R"(
[sweep.grid]
"actor[0].inventory[0].count" = [1000, 2000]
)");
  REQUIRE(s.sweep.grid.size() == 1);
  CHECK(s.sweep.grid[0].values == std::vector<double>{1000, 2000});
}

TEST_CASE("two distributions with the same name are an input error naming both places",
          "[estimator][inputs][sweep]") {
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "uniform", min = 1.1, max = 1.4, name = "x" })");
  text.replace(text.find("power_mw = 300"), 14,
               R"(power_mw = { dist = "uniform", min = 200, max = 400, name = "x" })");
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:13:7: actor.site.pue.name = \"x\": duplicate distribution name; also "
            "defined at s.toml:12:12"});
}

TEST_CASE("a correlation repeated (either order) or of an input with itself is an input error",
          "[estimator][inputs][sweep]") {
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "uniform", min = 1.1, max = 1.4, name = "p" })");
  text.replace(text.find("power_mw = 300"), 14,
               R"(power_mw = { dist = "uniform", min = 200, max = 400, name = "w" })");
  text += R"(
[[sweep.correlation]]
a = "p"
b = "w"
spearman = 0.5

[[sweep.correlation]]
a = "w"
b = "p"
spearman = -0.5

[[sweep.correlation]]
a = "p"
b = "actor[0].site[0].pue"
spearman = 0.5
)";
  CHECK(errors_for(text) ==
        std::vector<std::string>{"s.toml:24:1: sweep.correlation.b = \"p\": correlates \"w\" and "
                                 "\"p\" again; also defined at "
                                 "s.toml:19:1",
                                 "s.toml:29:1: sweep.correlation.b = \"actor[0].site[0].pue\": "
                                 "names the same distribution as a "
                                 "(\"p\")"});
}

TEST_CASE(
    "inconsistent correlations are an input error at the correlation that breaks them, at load",
    "[estimator][inputs][sweep]") {
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "uniform", min = 1.1, max = 1.4, name = "a" })");
  text.replace(text.find("power_mw = 300"), 14,
               R"(power_mw = { dist = "uniform", min = 200, max = 400, name = "b" })");
  text.replace(text.find("count = 16384"), 13,
               R"(count = { dist = "uniform", min = 1000, max = 2000, name = "c" })");
  text += R"(
[[sweep.correlation]]
a = "a"
b = "b"
spearman = 0.5

[[sweep.correlation]]
a = "b"
b = "c"
spearman = 0.5

[[sweep.correlation]]
a = "a"
b = "c"
spearman = -0.9
)";
  const std::vector<std::string> expected = {
      "s.toml:29:1: sweep.correlation = \"a\" ~ \"c\": the correlations are inconsistent (their "
      "matrix is "
      "not positive definite); this one contradicts the ones at s.toml:19:1, s.toml:24:1"};
  CHECK(errors_for(text) == expected);
}

TEST_CASE("two expansions of a site in the same month are an input error naming both places",
          "[estimator][inputs][supply]") {
  std::string text = kBase;
  text.replace(text.find("pue = 1.2\n"), 10, R"(pue = 1.2

[[actor.site.expansion]]
from = "2026-01"
power_mw = 500

[[actor.site.expansion]]
from = 2026-01-15
power_mw = 900
)");
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:20:8: actor.site.expansion.from = 2026-01-15: a second expansion of this "
            "site in the same month; also defined at s.toml:15:1"});
}

TEST_CASE("impossible calendar dates are input errors wherever dates and months are read",
          "[estimator][inputs][scenario]") {
  auto with_date = [](const std::string& date) {
    std::string text = kBase;
    text.replace(text.find("name = \"inputs\"\n"), 16,
                 "name = \"inputs\"\ndate = \"" + date + "\"\n");
    return errors_for(text);
  };
  CHECK(with_date("2025-02-31") ==
        std::vector<std::string>{"s.toml:3:8: scenario.date = \"2025-02-31\": is not a calendar "
                                 "date: 2025-02 has 28 days"});
  CHECK(with_date("2025-02-29") ==
        std::vector<std::string>{"s.toml:3:8: scenario.date = \"2025-02-29\": is not a calendar "
                                 "date: 2025-02 has 28 days"});
  CHECK(with_date("2025-04-31") ==
        std::vector<std::string>{"s.toml:3:8: scenario.date = \"2025-04-31\": is not a calendar "
                                 "date: 2025-04 has 30 days"});
  CHECK(with_date("2025-13-01") ==
        std::vector<std::string>{
            "s.toml:3:8: scenario.date = \"2025-13-01\": must be a date like 2025-12-31"});
  CHECK(with_date("2025-01-00") ==
        std::vector<std::string>{
            "s.toml:3:8: scenario.date = \"2025-01-00\": must be a date like 2025-12-31"});
  CHECK(with_date("2024-02-29").empty());
  CHECK(with_date("2000-02-29").empty());
  CHECK(with_date("1900-02-29").size() == 1);
  // Months: a timeline start written as a date.
  std::string text =
      std::string(kBase) + "\n[timeline]\nstart = \"2025-02-30\"\nend = \"2025-13\"\n";
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:20:9: timeline.start = \"2025-02-30\": is not a calendar date: 2025-02 has 28 "
            "days",
            "s.toml:21:7: timeline.end = \"2025-13\": must be a month like 2025-03"});
}

TEST_CASE("choice weights near the largest double keep their proportions",
          "[estimator][inputs][sweep]") {
  const sweep::Distribution d = sweep::make_choice({1, 2}, {1e308, 1e308});
  CHECK(d.quantile(0.25) == Approx(1));
  CHECK(d.quantile(0.75) == Approx(2));
  const sweep::Distribution skewed = sweep::make_choice({1, 2}, {1e308, 3e307});
  CHECK(skewed.cumulative[0] == Approx(1 / 1.3).epsilon(1e-12));
  // Through the loader: accepted, and the median is a listed value.
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "choice", values = [1.1, 1.3], weights = [1e308, 1e308] })");
  const Scenario s = load(text);
  REQUIRE(s.sweep.inputs.size() == 1);
  CHECK(s.sweep.inputs[0].sample(0.25) == Approx(1.1));
  CHECK(s.sweep.inputs[0].sample(0.75) == Approx(1.3));
  // Non-finite weights are rejected.
  std::string inf = kBase;
  inf.replace(inf.find("pue = 1.2"), 9,
              R"(pue = { dist = "choice", values = [1.1, 1.3], weights = [inf, 1] })");
  CHECK(errors_for(inf) ==
        std::vector<std::string>{
            "s.toml:13:58: actor.site.pue.weights = inf: every element must be a finite number"});
}

TEST_CASE("samples stay inside the key's range at open ends and counts are whole and non-negative",
          "[estimator][inputs][sweep]") {
  std::string text = kBase;
  text.replace(text.find("duration_days = 100"), 19,
               "duration_days = 100\ngoodput = { dist = \"normal\", mean = 0.5, sd = 0.25 }");
  text.replace(text.find("count = 16384"), 13,
               R"(count = { dist = "normal", mean = 100, sd = 55 })");
  text.replace(text.find("power_mw = 300"), 14,
               R"(power_mw = { dist = "normal", mean = 300, sd = 150 })");
  const Scenario s = load(text);
  REQUIRE(s.sweep.inputs.size() == 3);
  for (const auto& in : s.sweep.inputs) {
    const InputSpec& spec = input_spec(in.target);
    for (double u : {1e-12, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-12}) {
      const double x = in.sample(u);
      INFO(in.indexed_key << " at u = " << u << ": " << x);
      CHECK(spec.check(x).empty());
      const double z = sweep::normal_quantile(u);
      CHECK(spec.check(in.sample_at_normal(z)).empty());
    }
  }
}

TEST_CASE("what a sampled input can change follows its table entry's effect",
          "[estimator][inputs][sweep]") {
  auto engine_for = [](const std::string& replace, const std::string& with) {
    std::string text = kBase;
    text.replace(text.find(replace), replace.size(), with);
    return load(text);
  };
  {
    const Scenario s =
        engine_for("pue = 1.2", R"(pue = { dist = "uniform", min = 1.1, max = 1.4 })");
    const sweep::Engine e(s, test::builtin_catalog(), {});
    REQUIRE(e.candidates() == 1);
    CHECK(e.power_sampled(0));
    CHECK(e.size_sampled(0));
  }
  {
    const Scenario s =
        engine_for("count = 16384", R"(count = { dist = "uniform", min = 1000, max = 2000 })");
    const sweep::Engine e(s, test::builtin_catalog(), {});
    CHECK_FALSE(e.power_sampled(0));
    CHECK(e.size_sampled(0));
  }
  {
    const Scenario s = engine_for(
        "duration_days = 100",
        "duration_days = 100\nmax_tokens = { dist = \"uniform\", min = 1e12, max = 2e12 }");
    const sweep::Engine e(s, test::builtin_catalog(), {});
    CHECK_FALSE(e.power_sampled(0));
    CHECK_FALSE(e.size_sampled(0));
  }
}

TEST_CASE("a grid key whose value the model would ignore is an input error",
          "[estimator][inputs][sweep]") {
  // Before: every grid value gave the same answer (the line's own mfu and
  // price_usd, or the failure model's goodput, were used instead).
  const std::string text = std::string(kBase) + R"(
[sweep.grid]
"actor[0].inventory[0].mfu" = [0.1, 0.9]
"actor[0].inventory[0].price_usd" = [1e4]
)";
  CHECK(errors_for(text) == std::vector<std::string>{
                                "s.toml:20:31: sweep.grid.actor[0].inventory[0].mfu = [...]: has "
                                "no effect: that inventory line "
                                "sets no mfu; write mfu on it to vary it",
                                "s.toml:21:37: sweep.grid.actor[0].inventory[0].price_usd = [...]: "
                                "has no effect: that inventory "
                                "line sets no price_usd; write price_usd on it to vary it"});
  std::string failures = kBase;
  failures.replace(failures.find("duration_days = 100"), 19,
                   "duration_days = 100\ninterruptions_per_chip_day = 0.0001\nrestart_hours = 1\n"
                   "checkpoint_interval_hours = 1");
  failures += "\n[sweep.grid]\n\"training.goodput\" = [0.5]\n";
  CHECK(errors_for(failures) ==
        std::vector<std::string>{
            "s.toml:23:22: sweep.grid.training.goodput = [...]: has no effect: goodput "
            "follows from the [training] failure model"});
  std::string own_mfu = kBase;
  own_mfu.replace(own_mfu.find("count = 16384"), 13, "count = 16384\nmfu = 0.4");
  CHECK(errors_for(own_mfu + "\n[sweep.grid]\n\"training.mfu\" = [0.3]\n") ==
        std::vector<std::string>{
            "s.toml:21:18: sweep.grid.training.mfu = [...]: has no effect: every "
            "inventory line sets its own mfu"});
  CHECK(errors_for(std::string(kBase) + "\n[sweep.grid]\n\"training.mfu\" = [0.3]\n").empty());
  // Written on the line, the same keys load.
  std::string written = kBase;
  written.replace(written.find("count = 16384"), 13, "count = 16384\nmfu = 0.4\nprice_usd = 20000");
  CHECK(errors_for(written + text.substr(std::string(kBase).size())).empty());
}

TEST_CASE("inventory lines pooled into one cluster must agree on mfu and price_usd",
          "[estimator][inputs][scenario]") {
  // Before: the cluster took the first line's mfu and price; the second's were ignored.
  const std::string second = R"(
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 1000
mfu = 0.5
price_usd = 40000
)";
  CHECK(errors_for(std::string(kBase) + second) ==
        std::vector<std::string>{"s.toml:22:7: actor.inventory.mfu = 0.5: pools with the line at "
                                 "s.toml:15:1 (same chip, system and "
                                 "site: one cluster, which takes that line's mfu); give the lines "
                                 "one mfu (not a distribution) or "
                                 "merge them",
                                 "s.toml:23:13: actor.inventory.price_usd = 40000: pools with the "
                                 "line at s.toml:15:1 (same chip, "
                                 "system and site: one cluster, which takes that line's "
                                 "price_usd); give the lines one price_usd "
                                 "(not a distribution) or merge them"});
  // Equal values, or another chip, pool or stand apart without error.
  std::string same = kBase;
  same.replace(same.find("count = 16384"), 13, "count = 16384\nmfu = 0.5\nprice_usd = 40000");
  CHECK(errors_for(same + second).empty());
  std::string other = second;
  other.replace(other.find("nvidia_h100_sxm"), 15, "nvidia_h200_sxm");
  CHECK(errors_for(std::string(kBase) + other).empty());
  // A distribution on a pooled line's mfu would be sampled for nothing.
  std::string sampled = same + second;
  sampled.replace(sampled.rfind("mfu = 0.5"), 9,
                  R"(mfu = { dist = "uniform", min = 0.4, max = 0.6 })");
  CHECK(errors_for(sampled).size() == 1);
}

TEST_CASE("a repeated supply name names where it was first defined",
          "[estimator][inputs][supply]") {
  const std::string line = R"(
[[supply]]
kind = "import"
actor = "lab"
chip = "nvidia_h100_sxm"
start = "2025-01"
units_per_month = 100
)";
  const std::string text =
      std::string(kBase) + "\n[timeline]\nstart = \"2025-01\"\nend = \"2025-12\"\n" + line + line;
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:30:1: supply.name: duplicate supply name for this actor; give each "
            "line a distinct name (also defined at s.toml:23:1)"});
}

TEST_CASE("a budget grid on an actor holding chips with no price is an input error",
          "[estimator][inputs][sweep]") {
  // Before: an unpriced line cost nothing, so every budget gave the same cluster.
  const std::string grid = "\n[sweep.grid]\n\"actor[0].budget_usd\" = [1e3, 1e12]\n";
  std::string unpriced = kBase;
  unpriced.replace(unpriced.find("nvidia_h100_sxm"), 15, "nvidia_h800_sxm");
  CHECK(errors_for(unpriced + grid) ==
        std::vector<std::string>{
            "s.toml:20:25: sweep.grid.actor[0].budget_usd = [...]: has no effect on "
            "\"nvidia_h800_sxm\": the catalog has no price for it; write price_usd on its "
            "inventory line"});
  std::string priced = unpriced;
  priced.replace(priced.find("count = 16384"), 13, "count = 16384\nprice_usd = 20000");
  CHECK(errors_for(priced + grid).empty());
  CHECK(errors_for(std::string(kBase) + grid).empty());  // the catalog prices the H100
}

TEST_CASE(
    "a grid key naming a distribution that failed to parse is reported once, where it is written",
    "[estimator][inputs][sweep]") {
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "uniform", min = 1.4, max = 1.1, name = "p" })");
  const auto errors = errors_for(text + "\n[sweep.grid]\np = [1.2]\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0],
             Catch::StartsWith("s.toml:13:44: actor.site.pue.max = 1.1: must be greater than min"));
}

TEST_CASE("every value a choice lists must be valid for its key", "[estimator][inputs][sweep]") {
  // Before: a rare value outside the range was clamped to the bound, and a
  // fractional count rounded, so the sweep drew values the file never listed.
  std::string text = kBase;
  text.replace(text.find("pue = 1.2"), 9,
               R"(pue = { dist = "choice", values = [1.2, 1.3, 0.5], weights = [10, 10, 1] })");
  text.replace(text.find("count = 16384"), 13,
               R"(count = { dist = "choice", values = [1000, 2000.5], weights = [1, 1] })");
  CHECK(errors_for(text) ==
        std::vector<std::string>{
            "s.toml:13:7: actor.site.pue.values = 0.5: must be in [1, 3]",
            "s.toml:17:9: actor.inventory.count.values = 2000.5: must be a whole number"});
}

TEST_CASE("a distribution named like another key is an input error", "[estimator][inputs][sweep]") {
  // Before: the grid key "actor[0].site[0].pue" set the power, which the
  // distribution of that name varies, and left the PUE alone.
  std::string text = kBase;
  text.replace(
      text.find("power_mw = 300"), 14,
      R"(power_mw = { dist = "uniform", min = 200, max = 400, name = "actor[0].site[0].pue" })");
  CHECK(errors_for(text + "\n[sweep.grid]\n\"actor[0].site[0].pue\" = [1.5]\n") ==
        std::vector<std::string>{
            "s.toml:12:12: actor.site.power_mw.name = \"actor[0].site[0].pue\": is a key "
            "a sweep can set, not a name for this distribution; choose another name"});
  // Its own indexed key as a name is harmless.
  std::string own = kBase;
  own.replace(
      own.find("power_mw = 300"), 14,
      R"(power_mw = { dist = "uniform", min = 200, max = 400, name = "actor[0].site[0].power_mw" })");
  CHECK(errors_for(own).empty());
}

TEST_CASE("the README lists exactly the keys the input table lets vary", "[inputs][readme]") {
  std::ifstream file(std::string(CLUSTERCAP_SOURCE_DIR) + "/README.md");
  REQUIRE(file);
  std::stringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  const std::string open = "keeps this list equal to it): ";
  const auto from = text.find(open);
  REQUIRE(from != std::string::npos);
  const auto to = text.find(". Samples outside", from);
  REQUIRE(to != std::string::npos);
  std::string listed;
  for (char c : text.substr(from + open.size(), to - from - open.size())) {
    if (c == '`') continue;
    listed += c == '\n' ? ' ' : c;
  }
  CHECK(listed == sweep::supported_keys());
}
