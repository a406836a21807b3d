// `sweep` on a [timeline] scenario (estimator/sweep/timeline_sweep.hpp):
// supply inputs sampled and gridded through the input table, the timeline
// re-run per sample, policy levers as grid axes.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/report/timeline_sweep_report.hpp"
#include "estimator/scenario/inputs.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/timeline_sweep.hpp"
#include "estimator/timeline.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using sweep::Target;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

Scenario load(const std::string& text) { return load_scenario_text("t.toml", text, catalog()); }

std::vector<std::string> errors_for(const std::string& text) {
  return test::error_lines([&] { load(text); });
}

// Bitwise equality: "exactly the same number", without -Wfloat-equal.
bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// One actor holding H100s at 2025-01 that grow only by smuggling (a
// distribution), with a fixed MFU and no attrition: stock, cluster and
// FLOP/s can only grow month by month. Compared with xAI Colossus phase 2
// (150k H100 + 50k H200, hardware/data/clusters.toml).
std::string growing(const std::string& smuggled_per_year, const std::string& extra = "") {
  return R"([scenario]
name = "growing"
date = 2026-06-30

[timeline]
start = "2025-01"
end = "2027-12"

[training]
duration_days = 100
mfu = 0.4

[network]
switch_radix = 64
max_tiers = 3
planes = 8

[[actor]]
name = "A"
country = "CN"
centralize = true

[[actor.site]]
name = "S"
power_mw = 3000
pue = 1.2

[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 50000

[[supply]]
kind = "smuggling"
name = "smuggled"
actor = "A"
chip = "nvidia_h100_sxm"
start = "2025-01"
units_per_year = )" +
         smuggled_per_year + R"(

[[reference]]
id = "xai_colossus_1_phase2"
)" + extra;
}

const std::string kSmuggling = R"({ dist = "lognormal", p5 = 60000, p95 = 240000 })";

sweep::SweepOptions options(std::uint64_t samples, int threads = 1) {
  sweep::SweepOptions o;
  o.samples = samples;
  o.threads = threads;
  o.seed = 7;
  return o;
}

std::string json_of(const sweep::TimelineSweepResult& r) {
  std::ostringstream out;
  report::write_timeline_sweep_json(r, out);
  return out.str();
}

std::string pooled_path() {
  return (std::filesystem::path(CLUSTERCAP_SOURCE_DIR) / "configs" / "china-2026-pooled.toml")
      .string();
}

}  // namespace

TEST_CASE("supply keys can be distributions and grid axes, checked by their input-table range",
          "[estimator][sweep][timeline_sweep]") {
  // Units a year spread over months: the table's scale is 1/12.
  sweep::UncertainInput in;
  in.indexed_key = "supply[2].units_per_year";
  REQUIRE(sweep::bind_target(in));
  CHECK(in.target == Target::supply_units_per_year);
  CHECK(in.supply == 2);
  CHECK(in.scale == Approx(1.0 / 12));
  sweep::UncertainInput e;
  e.indexed_key = "actor[0].site[1].expansion[2].power_mw";
  REQUIRE(sweep::bind_target(e));
  CHECK(e.target == Target::site_expansion_power_w);
  CHECK(e.site == 1);
  CHECK(e.expansion == 2);

  const Scenario s = load(growing(kSmuggling));
  REQUIRE(s.sweep.inputs.size() == 1);
  CHECK(s.sweep.inputs[0].indexed_key == "supply[0].units_per_year");
  // The point value is the median: sqrt(60000 x 240000) = 120000 a year.
  CHECK(s.supply[0].units_per_month == Approx(120000.0 / 12));

  // The same rule for a value in the file and in [sweep.grid].
  const std::string rule = input_spec(Target::supply_units_per_year).range.rule();
  CHECK(errors_for(growing("-5")) ==
        std::vector<std::string>{"t.toml:38:18: supply.units_per_year = -5: " + rule});
  CHECK(
      errors_for(growing("1000", "[sweep.grid]\n\"supply[0].units_per_year\" = [1000, -5]\n")) ==
      std::vector<std::string>{"t.toml:43:30: sweep.grid.supply[0].units_per_year = -5: " + rule});
  // A key of another kind of line, or a line that does not exist.
  CHECK(errors_for(growing("1000", "[sweep.grid]\n\"supply[0].yield\" = [0.5]\n")) ==
        std::vector<std::string>{
            "t.toml:43:21: sweep.grid.supply[0].yield = [...]: has no effect: supply[0] is a "
            "smuggling line; only a production line has this key"});
  CHECK(errors_for(growing("1000", "[sweep.grid]\n\"supply[3].units_per_year\" = [5]\n")) ==
        std::vector<std::string>{
            "t.toml:43:30: sweep.grid.supply[3].units_per_year = [...]: names supply[3], which "
            "does not exist: indices are 0-based and this file has only supply[0]"});
}

TEST_CASE("a point-mass timeline sweep reproduces timeline's numbers exactly",
          "[estimator][sweep][timeline_sweep]") {
  // A single value written as a choice of one: an input that never varies,
  // so one sample stands for all.
  const Scenario s = load(growing(R"({ dist = "choice", values = [90000] })"));
  REQUIRE(s.sweep.inputs.size() == 1);
  const TimelineResult t = run_timeline(s, catalog());
  const auto r = sweep::run_timeline_sweep(s, catalog(), options(24, 2));
  REQUIRE(r.samples == 1);
  REQUIRE(r.points.size() == 1);
  const auto& a = r.points[0].actors[0];
  REQUIRE(a.months.size() == t.actors[0].months.size());
  for (std::size_t k = 0; k < a.months.size(); ++k) {
    const TimelineMonth& tm = t.actors[0].months[k];
    for (std::size_t q = 0; q < sweep::kFanQuantiles.size(); ++q) {
      CHECK(same(a.months[k].quantiles[0][q], tm.inventory[0].count));
      CHECK(same(a.months[k].quantiles[1][q], tm.inventory_h100e));
      CHECK(same(a.months[k].quantiles[2][q], tm.cluster.chips));
      CHECK(same(a.months[k].quantiles[3][q], tm.cluster.sustained_flops));
    }
    const auto binding = static_cast<std::size_t>(tm.cluster.binding);
    CHECK(a.months[k].binding_share[binding] == Approx(1.0));
    const bool exceeds = tm.vs_reference[0].ratio_sustained_flops >= 1.0;
    CHECK(a.months[k].p_exceeds[0] == Approx(exceeds ? 1.0 : 0.0));
  }
  REQUIRE(t.actors[0].overtakes[0].first_month.has_value());
  for (const auto& q : a.overtakes[0].quantiles) CHECK(q == t.actors[0].overtakes[0].first_month);
}

TEST_CASE("a point-mass sweep of the pooled China scenario gives timeline's overtaking months",
          "[estimator][sweep][timeline_sweep][slow]") {
  // Only point estimates (its sourced starting stocks): one sample, the
  // file's values, as `timeline`.
  const Scenario s = load_scenario_file(pooled_path(), catalog());
  for (const auto& in : s.sweep.inputs) REQUIRE(in.fixed());
  const TimelineResult t = run_timeline(s, catalog());
  const auto r = sweep::run_timeline_sweep(s, catalog(), options(1000));
  CHECK(r.samples == 1);
  CHECK(r.inputs.empty());  // nothing sampled: the header says 0 uncertain inputs
  const auto& a = r.points[0].actors[0];
  for (std::size_t k = 0; k < a.months.size(); ++k) {
    CHECK(same(a.months[k].quantiles[2][2], t.actors[0].months[k].cluster.chips));
    CHECK(same(a.months[k].quantiles[3][2], t.actors[0].months[k].cluster.sustained_flops));
  }
  for (std::size_t ref = 0; ref < a.overtakes.size(); ++ref) {
    CHECK(a.overtakes[ref].quantiles[2] == t.actors[0].overtakes[ref].first_month);
  }
}

namespace {

// Every statistic of `a` and `b` the same, bit for bit.
void check_same(const sweep::TimelineAccumulator& a, const sweep::TimelineAccumulator& b) {
  CHECK(a.samples == b.samples);
  CHECK(a.bindings == b.bindings);
  CHECK(a.exceeds == b.exceeds);
  CHECK(a.first_hist == b.first_hist);
  REQUIRE(a.sketches.size() == b.sketches.size());
  for (std::size_t k = 0; k < a.sketches.size(); ++k) {
    for (double q : sweep::kFanQuantiles)
      CHECK(same(a.sketches[k].quantile(q), b.sketches[k].quantile(q)));
  }
}

// The pooled China scenario with `sets` applied: whether its samples share
// MFU fixed points, and its samples through the sweep's own path and
// through run_timeline, the same statistics bit for bit.
void check_samples_match_run_timeline(const std::vector<std::string>& sets, bool shared,
                                      std::uint64_t samples) {
  const Scenario s = load_scenario_file(pooled_path(), catalog(), {}, sets);
  const sweep::TimelinePointRunner lean(s, catalog(), {}, {}, 7);
  CHECK(lean.shares_predictions() == shared);
  sweep::TimelinePointRunner full(s, catalog(), {}, {}, 7);
  full.set_full_timelines(true);
  sweep::TimelineAccumulator by_sweep(lean.actors(), lean.months(), lean.references());
  sweep::TimelineAccumulator by_timeline(lean.actors(), lean.months(), lean.references());
  sweep::TimelinePointRunner::Scratch scratch;  // kept across both blocks, as a thread keeps it
  lean.run_block(0, samples / 2, by_sweep, scratch);
  lean.run_block(samples / 2, samples - samples / 2, by_sweep, scratch);
  full.run_block(0, samples, by_timeline);
  check_same(by_sweep, by_timeline);
}

const std::string kPooledSmuggling =
    "supply[7].units_per_year={ dist = \"lognormal\", p5 = 1.0e5, p95 = 3.0e5 }";

}  // namespace

TEST_CASE("a timeline sweep's samples give run_timeline's statistics, MFU fixed points shared",
          "[estimator][sweep][timeline_sweep][slow]") {
  // Supply inputs only: the step-model fixed points and the references are
  // the same in every sample, so they are shared across samples.
  check_samples_match_run_timeline(
      {kPooledSmuggling, "supply[1].dies={ dist = \"uniform\", min = 2.0e6, max = 3.0e6 }",
       "supply[2].yield={ dist = \"triangular\", min = 0.2, mode = 0.3, max = 0.4 }"},
      true, 24);
}

TEST_CASE("a timeline sweep's samples give run_timeline's statistics when [training] varies",
          "[estimator][sweep][timeline_sweep][slow]") {
  // Goodput sets each run's compute, so each sample has its own fixed points.
  check_samples_match_run_timeline(
      {kPooledSmuggling, "training.goodput={ dist = \"uniform\", min = 0.7, max = 0.95 }"}, false,
      8);
}

TEST_CASE("P(exceeds) per month never falls when every input only grows over time",
          "[estimator][sweep][timeline_sweep]") {
  const auto r = sweep::run_timeline_sweep(load(growing(kSmuggling)), catalog(), options(200));
  const auto& months = r.points[0].actors[0].months;
  bool rises = false;
  for (std::size_t k = 1; k < months.size(); ++k) {
    CHECK(months[k].p_exceeds[0] >= months[k - 1].p_exceeds[0]);
    rises = rises || months[k].p_exceeds[0] > months[k - 1].p_exceeds[0];
    for (std::size_t q = 0; q < sweep::kFanQuantiles.size(); ++q) {
      CHECK(months[k].quantiles[0][q] >= months[k - 1].quantiles[0][q]);
    }
  }
  CHECK(rises);  // the samples overtake in different months
  // P(overtaken by month m) is P(exceeds in month m) when stock only grows.
  const auto& o = r.points[0].actors[0].overtakes[0];
  for (std::size_t k = 0; k < months.size(); ++k)
    CHECK(o.p_by_month[k] == Approx(months[k].p_exceeds[0]));
}

TEST_CASE("the median first-overtake month matches timeline at the medians' inputs",
          "[estimator][sweep][timeline_sweep]") {
  // The first month falls as smuggling grows (monotone), so its median is
  // the first month at the median smuggling rate, which `timeline` runs.
  const Scenario s = load(growing(kSmuggling));
  const TimelineResult t = run_timeline(s, catalog());
  const auto at_median = t.actors[0].overtakes[0].first_month;
  REQUIRE(at_median.has_value());
  const auto r = sweep::run_timeline_sweep(s, catalog(), options(401));
  const auto& o = r.points[0].actors[0].overtakes[0];
  CHECK(o.quantiles[2] == at_median);
  // And the spread is real: the 5th and 95th percentiles differ.
  REQUIRE(o.quantiles[0].has_value());
  CHECK(*o.quantiles[0] < *at_median);
}

TEST_CASE("timeline sweep output is byte-identical across thread counts",
          "[estimator][sweep][timeline_sweep]") {
  const Scenario s = load(growing(kSmuggling));
  const std::string one = json_of(sweep::run_timeline_sweep(s, catalog(), options(100, 1)));
  CHECK(one == json_of(sweep::run_timeline_sweep(s, catalog(), options(100, 2))));
  CHECK(one == json_of(sweep::run_timeline_sweep(s, catalog(), options(100, 3))));
}

TEST_CASE("policy levers are grid axes: H20 channel x smuggling enforcement, a month per setting",
          "[estimator][sweep][timeline_sweep]") {
  // The growing actor also imports 40,000 H20 a month; the Jan 2026 rule
  // history names the H20 for licensing from 2025-04 (hardware/rules/).
  std::string text = growing("120000", R"(
[[supply]]
kind = "import"
name = "H20"
actor = "A"
chip = "nvidia_h20"
start = "2025-01"
units_per_month = 40000

[sweep.policy]
smuggling_enforcement = [1, 0]
[sweep.policy.licence]
nvidia_h20 = ["closed", "open"]
)");
  text.replace(text.find("date = "), 0, "export_rule = \"2026-01\"\n");
  const Scenario s = load(text);
  REQUIRE(s.sweep.levers.size() == 2);
  const auto r = sweep::run_timeline_sweep(s, catalog(), options(1000, 2));
  CHECK(r.samples == 1);  // no distribution: one sample per setting
  REQUIRE(r.points.size() == 4);
  // Levers in file order, the last varying fastest.
  using Setting = std::pair<std::string, std::string>;
  CHECK(r.points[0].levers ==
        std::vector<Setting>{{"smuggling_enforcement", "1"}, {"licence.nvidia_h20", "closed"}});
  CHECK(r.points[3].levers ==
        std::vector<Setting>{{"smuggling_enforcement", "0"}, {"licence.nvidia_h20", "open"}});
  // The file leaves the H20 unlicensed with smuggling as written: point 0
  // is `timeline` on the file.
  const TimelineResult t = run_timeline(s, catalog());
  CHECK(r.points[0].actors[0].overtakes[0].quantiles[2] == t.actors[0].overtakes[0].first_month);
  // H20 stock at the horizon's end: 3 months delivered while closed (the
  // rule names it from 2025-04), all 36 while open: 120,000 vs 1,440,000.
  const auto h20_at_end = [&](const TimelineResult& run) {
    for (const auto& line : run.actors[0].months.back().inventory) {
      if (line.chip_id == "nvidia_h20") return line.count;
    }
    return 0.0;
  };
  CHECK(h20_at_end(t) == Approx(120000));
  Scenario open = s;
  sweep::apply_lever(open, catalog(), s.sweep.levers[1], 1);
  CHECK(h20_at_end(run_timeline(open, catalog())) == Approx(1440000));
  // Opening the channel only adds chips; stopping smuggling only removes them.
  const auto month = [&](std::size_t p) {
    const auto m = r.points[p].actors[0].overtakes[0].quantiles[2];
    return m ? *m : r.end + 1;
  };
  CHECK(month(1) <= month(0));
  CHECK(month(2) >= month(0));
  CHECK(month(2) > month(0));  // without smuggling the 50,000 H100 never grow
  std::ostringstream table;
  report::write_timeline_sweep_table(r, table);
  CHECK_THAT(table.str(), Catch::Contains("point 1: smuggling_enforcement = 1, "
                                          "licence.nvidia_h20 = open"));
}

TEST_CASE("policy levers name what they change, all errors at once",
          "[estimator][sweep][timeline_sweep]") {
  // Without a [timeline] there is no supply for a lever to change.
  const std::string no_timeline = R"([scenario]
name = "n"
[training]
duration_days = 100
[[actor]]
name = "A"
[[actor.site]]
name = "S"
power_mw = 100
pue = 1.2
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 100
[sweep.policy]
hbm_choke = ["on", "of"]
)";
  CHECK(errors_for(no_timeline) ==
        std::vector<std::string>{
            "t.toml:15:13: sweep.policy.hbm_choke = [...]: \"of\" is not a setting of "
            "this lever; settings: \"off\", \"on\" (did you mean \"off\"?)"});
  CHECK(errors_for(std::string(no_timeline).replace(no_timeline.find("\"of\""), 4, "\"off\"")) ==
        std::vector<std::string>{"t.toml:15:13: sweep.policy.hbm_choke = [...]: policy levers "
                                 "change a timeline's supply; this file has no [timeline]"});
  CHECK(errors_for(growing("1000",
                           "[sweep.policy]\nhbm_choke = [\"on\"]\nexport_rule = "
                           "[\"2023-10\", \"2099-01\"]\n[sweep.policy.licence]\n"
                           "nvidia_h20 = [\"open\"]\n")) ==
        std::vector<std::string>{
            "t.toml:43:13: sweep.policy.hbm_choke = [...]: has no effect: this file has no "
            "[[supply]] hbm_pool line",
            "t.toml:44:15: sweep.policy.export_rule = \"2099-01\": unknown rule vintage (did you "
            "mean \"2026-01\"?)",
            "t.toml:46:14: sweep.policy.licence.nvidia_h20 = [...]: has no effect: no [[supply]] "
            "import line brings \"nvidia_h20\""});
}

TEST_CASE("lever settings are checked as they are read, and the grid they make is capped",
          "[estimator][sweep][timeline_sweep]") {
  CHECK(errors_for(growing("1000", "[sweep.policy]\nsmuggling_enforcement = [1, 11]\n")) ==
        std::vector<std::string>{
            "t.toml:43:25: sweep.policy.smuggling_enforcement = [...]: 11 must be in [0, 10]"});
  CHECK(errors_for(growing("1000", "[sweep.policy]\nsmuggling_enforcement = []\n")) ==
        std::vector<std::string>{
            "t.toml:43:25: sweep.policy.smuggling_enforcement = [...]: must list at least one "
            "setting"});
  // 2 numeric values x 3 settings = 6 points, over a cap of 5.
  const Scenario s = load(growing("1000",
                                  "[sweep.grid]\n\"supply[0].units_per_year\" = [1000, 2000]\n"
                                  "[sweep.policy]\nsmuggling_enforcement = [1, 0.5, 0]\n"));
  sweep::SweepOptions o = options(10);
  o.max_points = 5;
  CHECK(test::error_lines([&] { sweep::run_timeline_sweep(s, catalog(), o); }) ==
        std::vector<std::string>{
            "t.toml:42:1: sweep.grid: has 6 points with [sweep.policy], more than the cap of 5; "
            "use fewer values or raise the cap with --max-points (SweepOptions::max_points)"});
  o.max_points = 6;
  CHECK(sweep::run_timeline_sweep(s, catalog(), o).points.size() == 6);
}
