// Property tests over random valid inputs: monotonicity of the cluster
// model, consistency of reported totals, and estimate = point-value sweep.
#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "estimator/estimate.hpp"
#include "estimator/model/cluster_batch.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "tests/estimator/random_batch.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::model;

namespace {

constexpr int kCases = 400;

}  // namespace

TEST_CASE("more site power never yields fewer chips; a higher PUE never more", "[invariants]") {
  std::mt19937_64 rng(20261121);
  ClusterBatch base = test::random_batch(rng, kCases);
  ClusterBatch more_power = base;
  more_power.site_power_w *= 1.37;
  ClusterBatch higher_pue = base;
  higher_pue.pue = (base.pue * 1.15).min(3.0);
  const ClusterResults r0 = evaluate_clusters(base);
  const ClusterResults r1 = evaluate_clusters(more_power);
  const ClusterResults r2 = evaluate_clusters(higher_pue);
  for (int i = 0; i < kCases; ++i) {
    INFO("case " << i);
    CHECK(r1.chips[i] >= r0.chips[i]);
    CHECK(r1.limit[static_cast<std::size_t>(Constraint::power)][i] >=
          r0.limit[static_cast<std::size_t>(Constraint::power)][i]);
    CHECK(r2.chips[i] <= r0.chips[i]);
    CHECK(r2.limit[static_cast<std::size_t>(Constraint::power)][i] <=
          r0.limit[static_cast<std::size_t>(Constraint::power)][i]);
  }
}

TEST_CASE("more chips held never yields less sustained FLOP/s", "[invariants]") {
  std::mt19937_64 rng(7);
  ClusterBatch base = test::random_batch(rng, kCases);
  ClusterBatch more = base;
  more.chips_held *= 2.5;
  const ClusterResults r0 = evaluate_clusters(base);
  const ClusterResults r1 = evaluate_clusters(more);
  for (int i = 0; i < kCases; ++i) {
    INFO("case " << i);
    CHECK(r1.sustained_flops[i] >= r0.sustained_flops[i]);
    CHECK(r1.train_flop[i] >= r0.train_flop[i]);
  }
}

TEST_CASE("the binding limit is the cluster size and everything fits the site", "[invariants]") {
  std::mt19937_64 rng(99);
  const ClusterBatch b = test::random_batch(rng, kCases);
  const ClusterResults r = evaluate_clusters(b);
  for (int i = 0; i < kCases; ++i) {
    INFO("case " << i);
    CHECK(r.limit[static_cast<std::size_t>(r.binding[i])][i] == r.chips[i]);
    for (const auto& l : r.limit) CHECK(r.chips[i] <= l[i]);
    CHECK(r.facility_power_w[i] <= b.site_power_w[i] * (1 + 1e-12));
    CHECK(r.facility_power_w[i] == Approx(b.pue[i] * r.it_power_w[i]));
    const double fabric = b.system_includes_scaleout[i] != 0 ? 0.0 : r.network_power_w[i];
    CHECK(r.it_power_w[i] == Approx(r.systems[i] * b.system_it_power_w[i] + fabric));
    CHECK(std::isfinite(r.params[i]));
    CHECK(r.model_train_flop[i] <= r.train_flop[i] * (1 + 1e-12));
  }
}

TEST_CASE("JSON totals equal the sums of their parts", "[invariants]") {
  const Scenario s = load_default_scenario(test::builtin_catalog());
  const auto j = report::estimate_to_json(estimate(s, test::builtin_catalog()));
  for (const auto& actor : j["actors"]) {
    double count = 0, h100e = 0;
    for (const auto& item : actor["inventory"]) {
      count += item["count"].get<double>();
      h100e += item["h100e"].get<double>();
    }
    CHECK(actor["inventory_total"]["count"].get<double>() == Approx(count));
    CHECK(actor["inventory_total"]["h100e"].get<double>() == Approx(h100e));
    const auto& c = actor["cluster"];
    CHECK(c["chips"].get<double>() ==
          c["systems"].get<double>() * c["chips_per_system"].get<double>());
    CHECK(c["facility_power_mw"].get<double>() ==
          Approx(c["it_power_mw"].get<double>() * c["pue"].get<double>()));
    CHECK(c["sustained_flops"].get<double>() ==
          Approx(c["peak_flops"].get<double>() * c["mfu"].get<double>() *
                 actor["training"]["goodput"].get<double>()));
  }
}

TEST_CASE("estimate equals a point-value sweep on random scenarios", "[invariants]") {
  std::mt19937_64 rng(5);
  for (int k = 0; k < 10; ++k) {
    const int power = 5 + static_cast<int>(rng() % 500);
    const int count = 1000 + static_cast<int>(rng() % 400000);
    const std::string text =
        "[scenario]\nname = \"p\"\n[training]\nduration_days = 90\n"
        "[[actor]]\nname = \"a\"\n[[actor.site]]\nname = \"s\"\npower_mw = " +
        std::to_string(power) +
        "\npue = 1.25\n[[actor.inventory]]\nchip = \"huawei_ascend_910c\"\n"
        "count = " +
        std::to_string(count) + "\n";
    const Scenario s = load_scenario_text("p.toml", text, test::builtin_catalog());
    const EstimateResult e = estimate(s, test::builtin_catalog());
    const sweep::SweepResult r =
        sweep::run_sweep(s, test::builtin_catalog(), sweep::SweepOptions{});
    INFO("power " << power << " count " << count);
    CHECK(r.points[0].actors[0].metrics[0].mean == e.actors[0].cluster.chips);
    CHECK(r.points[0].actors[0].metrics[2].mean == e.actors[0].cluster.sustained_flops);
  }
}

namespace {

// A random scenario with every number inside its documented range
// (scenario_loader.cpp), spread log-uniformly over the wide ones.
std::string random_in_range_scenario(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, unit(rng)); };
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const auto number = [](double v) {
    char buffer[64];
    const auto end =
        std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::scientific).ptr;
    return std::string(buffer, end);
  };
  const char* chips[] = {"nvidia_h100_sxm",    "huawei_ascend_910c",   "nvidia_h20",
                         "huawei_ascend_910b", "nvidia_a100_sxm_80gb", "nvidia_gb200_gpu",
                         "nvidia_b200_hgx"};
  std::ostringstream t;
  t << "[scenario]\nname = \"random\"\n\n[training]\nduration_days = "
    << number(log_uniform(1, 36500)) << "\nbytes_per_param = " << number(log_uniform(1, 64))
    << "\nactivation_memory_fraction = " << number(0.95 * unit(rng)) << "\n";
  if (pick(2) == 0) t << "mfu = " << number(log_uniform(1e-3, 1)) << "\n";
  if (pick(2) == 0) t << "max_tokens = " << number(log_uniform(1, 1e18)) << "\n";
  if (pick(3) == 0) {  // goodput or the failure model, not both
    t << "interruptions_per_chip_day = " << number(log_uniform(1e-6, 1))
      << "\nrestart_hours = " << number(1000 * unit(rng))
      << "\ncheckpoint_interval_hours = " << number(1000 * unit(rng)) << "\n";
  } else {
    t << "goodput = " << number(log_uniform(0.01, 1)) << "\n";
  }
  t << "\n[network]\nswitch_radix = " << 2 * (2 + pick(2047)) << "\nmax_tiers = " << 1 + pick(6)
    << "\nplanes = " << 1 + pick(64) << "\nport_gbps = " << number(log_uniform(1e-2, 1e5))
    << "\nnic_transceiver_w = " << number(1e4 * unit(rng))
    << "\nswitch_transceiver_w = " << number(1e4 * unit(rng))
    << "\nswitch_w = " << number(1e6 * unit(rng)) << "\n";
  t << "\n[power]\nsystem_overhead = " << number(1 + 9 * unit(rng))
    << "\nchips_per_server = " << 1 + pick(4096) << "\n";
  const bool budget = pick(2) == 0;
  t << "\n[[actor]]\nname = \"a\"\n";
  if (budget) t << "budget_usd = " << number(log_uniform(1, 1e15)) << "\n";
  t << "\n[[actor.site]]\nname = \"s\"\npower_mw = " << number(log_uniform(1e-3, 1e6))
    << "\npue = " << number(1 + 2 * unit(rng)) << "\n";
  // Lines of one chip pool into one cluster, so they share one price.
  std::map<int, double> prices;
  for (int line = 0, lines = 1 + pick(2); line < lines; ++line) {
    const int chip = pick(7);
    t << "\n[[actor.inventory]]\nchip = \"" << chips[chip]
      << "\"\ncount = " << static_cast<std::int64_t>(std::floor(log_uniform(1, 1e10 + 1) - 1))
      << "\n";
    if (budget) {
      const double price = log_uniform(1e-5, 1e9);
      t << "price_usd = " << number(prices.emplace(chip, price).first->second) << "\n";
    }
  }
  return t.str();
}

// Every number in a JSON tree is finite and >= 0 (nulls are "no value").
void check_figures(const nlohmann::ordered_json& j, const std::string& path) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) check_figures(value, path + "." + key);
  } else if (j.is_array()) {
    for (std::size_t k = 0; k < j.size(); ++k)
      check_figures(j[k], path + "[" + std::to_string(k) + "]");
  } else if (j.is_number_integer()) {
    INFO(path << " = " << j.dump());
    CHECK(j.get<std::int64_t>() >= 0);
  } else if (j.is_number_float()) {
    INFO(path << " = " << j.dump());
    CHECK(std::isfinite(j.get<double>()));
    CHECK(j.get<double>() >= 0);
  }
}

}  // namespace

TEST_CASE("no reported figure is negative, NaN, infinite or wrapped on random in-range scenarios",
          "[invariants][report]") {
  std::mt19937_64 rng(20261206);
  // A minus sign before a digit that is not part of a word or an exponent.
  const std::regex negative(R"((^|[^A-Za-z0-9_.+\-])-[0-9])");
  const std::regex not_finite(R"(\b(nan|inf|n/a)\b)", std::regex::icase);
  for (int k = 0; k < 100; ++k) {
    const std::string text = random_in_range_scenario(rng);
    INFO("scenario " << k << ":\n" << text);
    const Scenario s = load_scenario_text("random.toml", text, test::builtin_catalog());
    const EstimateResult e = estimate(s, test::builtin_catalog());
    check_figures(report::estimate_to_json(e), "");
    std::ostringstream csv, table;
    report::write_estimate_csv(e, csv);
    report::write_estimate_table(e, table);
    std::istringstream lines(csv.str());
    for (std::string line; std::getline(lines, line);) {
      std::stringstream fields(line);
      for (std::string f; std::getline(fields, f, ',');) {
        double v = 0;
        const auto parsed = std::from_chars(f.data(), f.data() + f.size(), v);
        if (parsed.ec != std::errc() || parsed.ptr != f.data() + f.size()) continue;  // text
        INFO("CSV field " << f);
        CHECK(std::isfinite(v));
        CHECK(v >= 0);
      }
    }
    INFO(table.str());
    CHECK_FALSE(std::regex_search(table.str(), negative));
    CHECK_FALSE(std::regex_search(table.str(), not_finite));
  }
}
