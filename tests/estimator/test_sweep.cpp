// Sweep engine: samplers, streaming quantiles, determinism and agreement
// with `estimate`.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "estimator/estimate.hpp"
#include "estimator/scenario/distribution.hpp"
#include "estimator/scenario/random.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/sketch.hpp"
#include "estimator/sweep/sweep.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::sweep;

namespace {

double sample_mean(const Distribution& d, int n) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += d.quantile(uniform(7, static_cast<std::uint64_t>(i), 0));
  return sum / n;
}

const char* kScenario = R"([scenario]
name = "sweep test"
[training]
duration_days = 100
[[actor]]
name = "lab"
[[actor.site]]
name = "dc"
power_mw = POWER
pue = 1.2
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = COUNT
[[reference]]
id = "xai_colossus_1_phase2"
)";

// `training`: more [training] lines.
Scenario scenario(const std::string& power, const std::string& count, const std::string& extra = "",
                  const std::string& training = "") {
  std::string text = kScenario;
  text.replace(text.find("POWER"), 5, power);
  text.replace(text.find("COUNT"), 5, count);
  text.replace(text.find("[training]\n"), 11, "[training]\n" + training);
  return load_scenario_text("s.toml", text + extra, test::builtin_catalog());
}

// Options for a sweep of n samples that keeps every sample's row.
SweepOptions keeping_rows(std::uint64_t n) {
  SweepOptions options;
  options.samples = n;
  options.keep_rows = n;
  return options;
}

}  // namespace

TEST_CASE("the inverse normal CDF matches tabulated values", "[sweep][dist]") {
  CHECK(normal_quantile(0.975) == Approx(1.959963985).epsilon(1e-8));
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-12));
  CHECK(normal_quantile(0.05) == Approx(-1.644853627).epsilon(1e-8));
  CHECK(normal_quantile(1e-10) == Approx(-6.361340902).epsilon(1e-7));
}

TEST_CASE("samplers reproduce their parameters", "[sweep][dist]") {
  // Lognormal fixed by p5 / p95 returns them as its 5th / 95th percentiles.
  const double mu = 0.5 * (std::log(213000.0) + std::log(1070000.0));
  const double sigma = (std::log(1070000.0) - std::log(213000.0)) / (2 * 1.6448536269514722);
  const Distribution ln = make_lognormal(mu, sigma);
  CHECK(ln.quantile(0.05) == Approx(213000).epsilon(1e-6));
  CHECK(ln.quantile(0.95) == Approx(1070000).epsilon(1e-6));
  CHECK(ln.median() == Approx(std::sqrt(213000.0 * 1070000.0)).epsilon(1e-6));
  // Uniform and triangular means: (a + b) / 2 and (a + m + b) / 3.
  CHECK(sample_mean(make_uniform(2, 6), 200000) == Approx(4).epsilon(0.005));
  CHECK(sample_mean(make_triangular(0, 1, 5), 200000) == Approx(2).epsilon(0.005));
  // PERT mean (min + 4 mode + max) / 6 = (0.30 + 1.80 + 0.52) / 6 = 0.4367.
  const Distribution pert = make_pert(0.30, 0.45, 0.52, 4);
  CHECK(sample_mean(pert, 200000) == Approx((0.30 + 4 * 0.45 + 0.52) / 6).epsilon(0.002));
  CHECK(pert.quantile(1e-9) >= 0.30);
  CHECK(pert.quantile(1 - 1e-9) <= 0.52);
  // Truncated normal stays inside its bounds.
  const Distribution n = make_normal(1.0, 0.5, 0.8, 1.5);
  for (double u : {1e-12, 0.3, 0.999999}) {
    CHECK(n.quantile(u) >= 0.8);
    CHECK(n.quantile(u) <= 1.5);
  }
  // Choice frequencies follow the weights 1:3.
  const Distribution c = make_choice({64, 128}, {1, 3});
  int high = 0;
  for (int i = 0; i < 100000; ++i)
    high += c.quantile(uniform(3, static_cast<std::uint64_t>(i), 0)) == 128;
  CHECK(high / 100000.0 == Approx(0.75).epsilon(0.01));
}

TEST_CASE("streaming quantiles stay within their documented bound", "[sweep][sketch]") {
  // 1e6 lognormal values: every reported quantile within 0.5% (relative) of
  // the exact sorted quantile.
  const Distribution d = make_lognormal(std::log(1e20), 1.0);
  QuantileSketch sketch;
  std::vector<double> values;
  values.reserve(1000000);
  for (std::uint64_t i = 0; i < 1000000; ++i) {
    const double x = d.quantile(uniform(11, i, 0));
    values.push_back(x);
    sketch.add(x);
  }
  std::sort(values.begin(), values.end());
  for (double q : kQuantiles) {
    const double exact =
        values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
    INFO("q = " << q);
    CHECK(std::fabs(sketch.quantile(q) / exact - 1) <= QuantileSketch::kRelativeError + 1e-12);
  }
  QuantileSketch constant;
  for (int i = 0; i < 10; ++i) constant.add(524160);
  CHECK(constant.quantile(0.5) == 524160);  // exact when all values agree
}

TEST_CASE("a sweep of point values reproduces estimate exactly", "[sweep]") {
  const Scenario s = scenario("100", "16384");
  const EstimateResult e = estimate(s, test::builtin_catalog());
  SweepOptions options;
  options.samples = 1000;
  const SweepResult r = run_sweep(s, test::builtin_catalog(), options);
  REQUIRE(r.points.size() == 1);
  const ActorSweep& a = r.points[0].actors[0];
  CHECK(r.samples == 1);  // nothing to draw
  CHECK(a.metrics[0].mean == e.actors[0].cluster.chips);
  CHECK(a.metrics[0].quantiles[3] == e.actors[0].cluster.chips);
  CHECK(a.metrics[1].mean == e.actors[0].cluster.facility_power_w / 1e6);
  CHECK(a.metrics[2].quantiles[3] == e.actors[0].cluster.sustained_flops);
  CHECK(a.metrics[3].mean == e.actors[0].training.train_flop);
  // The sweep divides by the reference's FLOP/s per unit of goodput times the
  // goodput ((x / g) x g): equal to estimate's ratio up to that round trip's
  // one rounding.
  CHECK(a.metrics[kBaseMetrics].mean ==
        Approx(e.actors[0].vs_reference[0].ratio_sustained_flops).epsilon(1e-15));
}

TEST_CASE("sweep results do not depend on the thread count", "[sweep]") {
  const Scenario s = scenario(R"({ dist = "uniform", min = 10, max = 60 })",
                              R"({ dist = "lognormal", p5 = 8000, p95 = 40000 })");
  SweepOptions one;
  one.samples = 20000;
  one.seed = 42;
  SweepOptions two = one;
  two.threads = 2;
  const SweepResult a = run_sweep(s, test::builtin_catalog(), one);
  const SweepResult b = run_sweep(s, test::builtin_catalog(), two);
  const auto& ma = a.points[0].actors[0].metrics;
  const auto& mb = b.points[0].actors[0].metrics;
  for (std::size_t m = 0; m < ma.size(); ++m) {
    CHECK(ma[m].mean == mb[m].mean);
    CHECK(ma[m].sd == mb[m].sd);
    CHECK(ma[m].quantiles == mb[m].quantiles);
  }
  CHECK(a.points[0].actors[0].binding_share == b.points[0].actors[0].binding_share);
}

TEST_CASE("power-bound samples move with site power, and the tornado says so", "[sweep]") {
  const Scenario s = scenario(R"({ dist = "uniform", min = 10, max = 60, name = "site_mw" })",
                              R"({ dist = "lognormal", p5 = 8000, p95 = 40000, name = "h100s" })");
  SweepOptions options;
  options.samples = 20000;
  const SweepResult r = run_sweep(s, test::builtin_catalog(), options);
  const ActorSweep& a = r.points[0].actors[0];
  // Both limits bind in a good share of samples.
  CHECK(a.binding_share[0] > 0.1);
  CHECK(a.binding_share[1] > 0.1);
  CHECK(a.binding_share[0] + a.binding_share[1] == Approx(1.0));
  REQUIRE(a.tornado.size() == 2);
  CHECK(a.tornado[0].swing > 0);
  REQUIRE(a.srrc.size() == 2);
  CHECK(a.srrc[0].srrc > 0.2);
  CHECK(a.srrc[1].srrc > 0.2);
  CHECK(a.srrc_r2 > 0.5);
  // Sustained FLOP/s quantiles are ordered.
  const auto& q = a.metrics[kSustained].quantiles;
  CHECK(std::is_sorted(q.begin(), q.end()));
}

TEST_CASE("every statistic matches the per-sample rows it summarises", "[sweep]") {
  // With goodput fixed the ratios are summarised from the sustained FLOP/s;
  // with it sampled they are counted themselves. Either way the summary must
  // agree with the kept rows: quantiles within the sketch's bound of the
  // exact ones, means and shares to rounding.
  for (const std::string goodput : {"0.9", R"({ dist = "uniform", min = 0.5, max = 0.95 })"}) {
    const Scenario s =
        scenario(R"({ dist = "uniform", min = 10, max = 60 })",
                 R"({ dist = "lognormal", p5 = 8000, p95 = 40000 })",
                 "[[reference]]\nid = \"xai_colossus_1_phase3\"\n", "goodput = " + goodput + "\n");
    INFO("goodput " << goodput);
    SweepOptions options = keeping_rows(30000);
    options.threads = 2;
    const SweepResult r = run_sweep(s, test::builtin_catalog(), options);
    REQUIRE(r.rows.size() == 30000);
    const ActorSweep& a = r.points[0].actors[0];
    const std::size_t first = 1 + r.inputs.size();
    REQUIRE(a.metrics.size() == kBaseMetrics + 2);
    for (std::size_t m = 0; m < a.metrics.size(); ++m) {
      INFO(a.metrics[m].name);
      std::vector<double> column;
      double sum = 0;
      for (const auto& row : r.rows) {
        column.push_back(row[first + m]);
        sum += row[first + m];
      }
      double squares = 0;
      for (double x : column) squares += (x - sum / 30000) * (x - sum / 30000);
      std::sort(column.begin(), column.end());
      CHECK(a.metrics[m].mean == Approx(sum / 30000).epsilon(1e-12));
      CHECK(a.metrics[m].sd == Approx(std::sqrt(squares / 29999)).epsilon(1e-9));
      CHECK(a.metrics[m].min == Approx(column.front()).epsilon(1e-12));
      CHECK(a.metrics[m].max == Approx(column.back()).epsilon(1e-12));
      for (std::size_t q = 0; q < kQuantiles.size(); ++q) {
        const double exact = column[static_cast<std::size_t>(kQuantiles[q] * 29999)];
        CHECK(std::fabs(a.metrics[m].quantiles[q] / exact - 1) <=
              QuantileSketch::kRelativeError + 1e-12);
      }
    }
    for (std::size_t k = 0; k < 2; ++k) {
      double hits = 0;
      for (const auto& row : r.rows) hits += row[first + kBaseMetrics + k] >= 1.0 ? 1 : 0;
      CHECK(a.p_exceeds[k].second == hits / 30000);
    }
    for (std::size_t b = 0; b < 4; ++b) {
      double hits = 0;
      for (const auto& row : r.rows)
        hits += row[first + kBaseMetrics + 2] == static_cast<double>(b) ? 1 : 0;
      CHECK(a.binding_share[b] == hits / 30000);
    }
  }
}

TEST_CASE("a Gaussian copula gives the requested rank correlation", "[sweep]") {
  const Scenario s =
      scenario(R"({ dist = "uniform", min = 10, max = 60, name = "site_mw" })",
               R"({ dist = "lognormal", p5 = 8000, p95 = 40000, name = "h100s" })",
               "[[sweep.correlation]]\na = \"site_mw\"\nb = \"h100s\"\nspearman = 0.8\n");
  const SweepResult r = run_sweep(s, test::builtin_catalog(), keeping_rows(20000));
  REQUIRE(r.rows.size() == 20000);
  // Spearman of the two kept input columns.
  auto rank = [&](std::size_t col) {
    std::vector<std::size_t> order(r.rows.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return r.rows[a][col] < r.rows[b][col]; });
    std::vector<double> ranks(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) ranks[order[i]] = static_cast<double>(i);
    return ranks;
  };
  const auto ra = rank(1), rb = rank(2);
  const double n = static_cast<double>(ra.size());
  double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sa += ra[i];
    sb += rb[i];
  }
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - sa / n) * (rb[i] - sb / n);
    saa += (ra[i] - sa / n) * (ra[i] - sa / n);
    sbb += (rb[i] - sb / n) * (rb[i] - sb / n);
  }
  CHECK(sab / std::sqrt(saa * sbb) == Approx(0.8).margin(0.02));
}

TEST_CASE("a grid runs the sweep at each listed value", "[sweep]") {
  const Scenario s =
      scenario("100", "16384", "[sweep.grid]\n\"actor[0].site[0].power_mw\" = [10, 30]\n");
  const SweepResult r = run_sweep(s, test::builtin_catalog(), SweepOptions{});
  REQUIRE(r.points.size() == 2);
  CHECK(r.points[0].settings.front().second == 10);
  // 10 MW at PUE 1.2 holds fewer H100 than 30 MW; 30 MW holds all 16,384.
  CHECK(r.points[0].actors[0].metrics[0].mean < r.points[1].actors[0].metrics[0].mean);
  CHECK(r.points[1].actors[0].metrics[0].mean == 16384);
}

namespace {

// Runs the default sweep and, for each kept sample, `estimate` on the file
// with that sample's drawn values written in; calls check(row value, estimate
// value, what) on every compared output.
template <typename Check>
void compare_samples_with_estimate(const std::string& training_extra, Check check) {
  std::ifstream file(std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml");
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string text = buffer.str();
  REQUIRE(text.find("dist =") != std::string::npos);
  text.replace(text.find("[training]\n"), 11, "[training]\n" + training_extra);
  const Scenario s = load_scenario_text("default.toml", text, test::builtin_catalog());
  SweepOptions options = keeping_rows(40);
  options.seed = 9;
  const SweepResult r = run_sweep(s, test::builtin_catalog(), options);
  REQUIRE(r.rows.size() == 40);
  const std::size_t inputs = r.inputs.size();
  const std::size_t per_actor = (r.row_columns.size() - 1 - inputs) / s.actors.size();
  for (const auto& row : r.rows) {
    // Correlations name distributions; with values in their place they go.
    std::string fixed =
        std::regex_replace(text, std::regex("\\[\\[sweep\\.correlation\\]\\][^\\[]*"), "");
    // ... and so does the preference among sources.
    fixed = std::regex_replace(fixed, std::regex("\nuse = \\[[^\\]]*\\]"), "");
    for (std::size_t i = 0; i < inputs; ++i) {
      const std::regex spec("\\{ dist = [^}]*name = \"" + r.inputs[i] + "\" \\}");
      // A value written as sourced estimates: { name = "X", estimates = [...] }.
      const std::regex sourced("\\{ name = \"" + r.inputs[i] + "\", estimates = \\[[^\\]]*\\] \\}");
      char value[64];
      std::snprintf(value, sizeof value, "%.17g", row[1 + i]);
      fixed = std::regex_replace(fixed, spec, value);
      fixed = std::regex_replace(fixed, sourced, value);
    }
    const EstimateResult e =
        estimate(load_scenario_text("default.toml", fixed, test::builtin_catalog()),
                 test::builtin_catalog());
    for (std::size_t a = 0; a < s.actors.size(); ++a) {
      const std::size_t base = 1 + inputs + a * per_actor;
      INFO("sample " << row[0] << ", actor " << a);
      // Every swept entry of the metrics table, in order.
      std::size_t m = 0;
      for (std::size_t k = 0; k < kMetricCount; ++k) {
        if (kMetrics[k].swept) check(row[base + m++], e.actors[a].metrics[k], kMetrics[k].name);
      }
      check(row[base + 1], e.actors[a].cluster.facility_power_w / 1e6, "facility_power_mw");
      check(row[base + per_actor - 1], static_cast<double>(e.actors[a].cluster.binding), "binding");
    }
  }
}

}  // namespace

TEST_CASE("the sweep summarises energy per run, which moves with the sampled run length",
          "[sweep]") {
  // configs/default.toml samples the run (60-270 days) and the power, so the
  // energy spreads; every sample is facility power x run length (the
  // sample-by-sample test below checks each against estimate).
  const Scenario s = load_default_scenario(test::builtin_catalog());
  SweepOptions options = keeping_rows(400);
  options.samples = 400;
  const SweepResult r = run_sweep(s, test::builtin_catalog(), options);
  const auto names = metric_names(r.references);
  const auto at = std::find(names.begin(), names.end(), "energy_per_run_mwh");
  REQUIRE(at != names.end());
  const auto m = static_cast<std::size_t>(at - names.begin());
  const std::size_t facility = static_cast<std::size_t>(
      std::find(names.begin(), names.end(), "facility_power_mw") - names.begin());
  const std::size_t days = static_cast<std::size_t>(
      std::find(r.row_columns.begin(), r.row_columns.end(), "run_days") - r.row_columns.begin());
  REQUIRE(days < r.row_columns.size());
  const std::size_t per_actor = names.size() + 1;
  for (std::size_t a = 0; a < s.actors.size(); ++a) {
    const MetricSummary& e = r.points[0].actors[a].metrics[m];
    INFO(s.actors[a].name);
    CHECK(e.name == "energy_per_run_mwh");
    CHECK(e.sd > 0);
    CHECK(e.quantiles[0] <= e.quantiles[3]);
    CHECK(e.quantiles[3] <= e.quantiles[6]);
    CHECK(e.quantiles[6] > e.quantiles[0]);
    const std::size_t base = 1 + r.inputs.size() + a * per_actor;
    for (const auto& row : r.rows) {
      CHECK(row[base + m] == Approx(row[base + facility] * row[days] * 24).epsilon(1e-12));
    }
  }
}

TEST_CASE("every sample of the default sweep equals estimate at that sample's values", "[sweep]") {
  // The sweep sizes candidates with the model's limit functions and reruns
  // the full model on winners only; `estimate` runs everything. Writing a
  // sample's drawn values back into the file must give the same clusters.
  // With MFU priors the two are the same arithmetic, so equal to the bit.
  compare_samples_with_estimate("mfu_model = \"prior\"\n",
                                [](double sweep_value, double estimate_value, const char* what) {
                                  INFO(what);
                                  CHECK(sweep_value == estimate_value);
                                });
}

TEST_CASE("with the step model, sweep samples agree with estimate within the MFU table's error",
          "[sweep]") {
  // The sweep looks MFU up in a table of the fixed point (12 x 8 nodes,
  // bilinear in log chips and log compute) where `estimate` runs the fixed
  // point itself. The fixed point is not smooth -- the model shape and the
  // batch step as the cluster grows -- so between nodes the table is off by
  // 0.02 MFU on average and by up to ~0.2 where the exact value steps
  // (training/mfu_fixed_point.hpp). Near a tie the two may pick different
  // chips, so only the FLOP/s, which the choice maximises, are compared:
  // typically within a few percent, never more than 50%.
  std::vector<double> errors;
  compare_samples_with_estimate(
      "", [&errors](double sweep_value, double estimate_value, const char* what) {
        if (std::string(what) != "sustained_flops") return;
        INFO(what);
        CHECK(sweep_value == Approx(estimate_value).epsilon(0.5));
        errors.push_back(std::fabs(sweep_value / estimate_value - 1));
      });
  REQUIRE(errors.size() == 80);
  std::sort(errors.begin(), errors.end());
  const double median = errors[errors.size() / 2];
  INFO("median relative error " << median << ", worst " << errors.back());
  CHECK(median < 0.08);
}

TEST_CASE("a scenario built in code is held to the loader's grid checks", "[sweep][inputs]") {
  // A library caller may add axes to a loaded scenario: the same rules apply
  // (an index that does not exist, a value outside the key's range).
  Scenario s = scenario("100", "16384");
  s.sweep.grid.push_back({"actor[3].site[0].power_mw", {50.0}, 0});
  s.sweep.grid.push_back({"training.goodput", {7.0}, 0});
  const auto errors =
      test::error_lines([&] { run_sweep(s, test::builtin_catalog(), SweepOptions{}); });
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find("sweep.grid.actor[3].site[0].power_mw") != std::string::npos);
  CHECK(errors[0].find("0-based") != std::string::npos);
  CHECK(errors[1].find("sweep.grid.training.goodput = 7: must be in (0, 1]") != std::string::npos);
}

TEST_CASE("a grid point's rank regression is the one its own sweep gives", "[sweep]") {
  // The grid axis leaves every input's draws alone, so the second point
  // reuses the first point's rank design; it must give what a sweep of that
  // point alone (which builds its own) gives, bit for bit.
  Scenario two = load_default_scenario(test::builtin_catalog());
  two.sweep.grid.clear();
  two.sweep.grid.push_back({"actor[0].site[0].power_mw", {200, 339}});
  Scenario one = two;
  one.sweep.grid.back().values = {339};
  SweepOptions options;
  options.samples = 600;
  const SweepResult grid = run_sweep(two, test::builtin_catalog(), options);
  const SweepResult alone = run_sweep(one, test::builtin_catalog(), options);
  REQUIRE(grid.points.size() == 2);
  REQUIRE(alone.points.size() == 1);
  for (std::size_t a = 0; a < alone.points[0].actors.size(); ++a) {
    const ActorSweep& x = grid.points[1].actors[a];
    const ActorSweep& y = alone.points[0].actors[a];
    REQUIRE(!y.srrc.empty());
    REQUIRE(x.srrc.size() == y.srrc.size());
    for (std::size_t i = 0; i < y.srrc.size(); ++i) {
      CHECK(x.srrc[i].input == y.srrc[i].input);
      CHECK(x.srrc[i].srrc == Approx(y.srrc[i].srrc).epsilon(0));
    }
    CHECK(x.srrc_r2 == Approx(y.srrc_r2).epsilon(0));
  }
}
