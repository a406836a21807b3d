// The output metrics table (estimator/metrics.hpp): each entry's value, and
// its place in the estimate reporters and the sweep.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/estimate.hpp"
#include "estimator/metrics.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/sweep.hpp"
#include "tests/support.hpp"

using namespace clustercap;
namespace fs = std::filesystem;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

// One CSV line's fields (RFC 4180 quoting; no line breaks inside fields).
std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      cells.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

// Every scenario in configs/, estimated.
std::vector<std::pair<std::string, EstimateResult>> config_estimates() {
  std::vector<std::pair<std::string, EstimateResult>> out;
  for (const auto& entry : fs::directory_iterator(fs::path(CLUSTERCAP_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".toml") continue;
    out.emplace_back(entry.path().filename().string(),
                     estimate(load_scenario_file(entry.path().string(), catalog()), catalog()));
  }
  return out;
}

}  // namespace

TEST_CASE("metric names are unique snake_case and each table entry has a unit", "[metrics]") {
  std::set<std::string> names;
  for (const Metric& m : kMetrics) {
    const std::string name = m.name;
    INFO(name);
    CHECK(names.insert(name).second);
    CHECK_FALSE(name.empty());
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
    CHECK_FALSE(std::string(m.unit).empty());
    CHECK(metric_index(m.name) < kMetricCount);
  }
  CHECK(metric_index("no_such_metric") == kMetricCount);
}

TEST_CASE(
    "the sweep's metrics are the table's swept entries in order, then one ratio per reference",
    "[metrics][sweep]") {
  std::vector<std::string> expected;
  for (const Metric& m : kMetrics) {
    if (m.swept) expected.emplace_back(m.name);
  }
  CHECK(expected.size() == sweep::kBaseMetrics);
  REQUIRE(sweep::kSustained < expected.size());
  CHECK(expected[sweep::kSustained] == "sustained_flops");
  expected.emplace_back("ratio_vs_xai_colossus");
  CHECK(sweep::metric_names({"xai_colossus"}) == expected);
}

TEST_CASE("an actor's metric values are its cluster's and training's figures",
          "[metrics][estimate]") {
  for (const auto& [file, r] : config_estimates()) {
    for (const ActorResult& a : r.actors) {
      INFO(file << ": " << a.name);
      const auto value = [&](const char* name) { return a.metrics[metric_index(name)]; };
      // The winner re-run through the same scalar equations: equal to the bit.
      CHECK(value("chips") == a.cluster.chips);
      CHECK(value("facility_power_mw") == a.cluster.facility_power_w / 1e6);
      CHECK(value("sustained_flops") == a.cluster.sustained_flops);
      CHECK(value("train_flop") == a.training.train_flop);
      CHECK(value("params") == a.training.params);
      // Facility power over the scenario's run length, in MWh.
      CHECK(value("energy_per_run_mwh") ==
            Approx(a.cluster.facility_power_w * a.training.duration_s / 3.6e9).epsilon(1e-14));
    }
  }
}

TEST_CASE(
    "every metric is in the estimate JSON once, in its object, right after the key it follows",
    "[metrics][estimate][report]") {
  for (const auto& [file, r] : config_estimates()) {
    const auto j = report::estimate_to_json(r);
    for (std::size_t ai = 0; ai < r.actors.size(); ++ai) {
      const auto& actor = j["actors"][ai];
      for (std::size_t k = 0; k < kMetricCount; ++k) {
        const Metric& m = kMetrics[k];
        INFO(file << ": actor " << ai << ", " << m.name);
        // Capex parts sit in cost.capex_breakdown_usd under their part's name.
        const bool part = m.scope == MetricScope::capex_part;
        const std::string name =
            part ? std::string(m.name).substr(6, std::string(m.name).size() - 10) : m.name;
        const auto& object = m.scope == MetricScope::cluster    ? actor["cluster"]
                             : m.scope == MetricScope::training ? actor["training"]
                             : part ? actor["cost"]["capex_breakdown_usd"]
                                    : actor["cost"];
        std::vector<std::string> keys;
        for (const auto& item : object.items()) keys.push_back(item.key());
        const auto at = std::find(keys.begin(), keys.end(), name);
        REQUIRE(at != keys.end());
        CHECK(std::count(keys.begin(), keys.end(), name) == 1);
        if (m.json_after != nullptr) {
          REQUIRE(at != keys.begin());
          CHECK(*(at - 1) == m.json_after);
        }
        const double shown = object[name].get<double>();
        if (m.style == MetricStyle::count) {
          CHECK(object[name].is_number_integer());
          CHECK(shown == Approx(r.actors[ai].metrics[k]).margin(0.5));
        } else {
          CHECK(shown == r.actors[ai].metrics[k]);
        }
      }
    }
  }
}

TEST_CASE(
    "every metric is an estimate CSV column right after the column it follows, with the actor's "
    "value",
    "[metrics][estimate][report]") {
  for (const auto& [file, r] : config_estimates()) {
    std::ostringstream out;
    report::write_estimate_csv(r, out);
    std::istringstream lines(out.str());
    std::string line;
    std::getline(lines, line);
    const std::vector<std::string> header = csv_cells(line);
    for (const ActorResult& a : r.actors) {
      std::getline(lines, line);
      const std::vector<std::string> row = csv_cells(line);
      REQUIRE(row.size() == header.size());
      for (std::size_t k = 0; k < kMetricCount; ++k) {
        const Metric& m = kMetrics[k];
        INFO(file << ": " << a.name << ", " << m.name);
        const auto at = std::find(header.begin(), header.end(), m.name);
        REQUIRE(at != header.end());
        CHECK(std::count(header.begin(), header.end(), m.name) == 1);
        if (m.csv_after != nullptr) {
          REQUIRE(at != header.begin());
          CHECK(*(at - 1) == m.csv_after);
        } else {
          // Appended: the columns before it keep their positions.
          CHECK(at - header.begin() >= static_cast<std::ptrdiff_t>(header.size() - kMetricCount));
        }
        const double shown = std::stod(row[static_cast<std::size_t>(at - header.begin())]);
        CHECK(
            shown ==
            Approx(a.metrics[k]).epsilon(1e-15).margin(m.style == MetricStyle::count ? 0.5 : 0.0));
      }
    }
  }
}

TEST_CASE("energy per run is facility power for the whole run: 100 MW for 100 days is 240,000 MWh",
          "[metrics][power]") {
  // 100e6 W x 8.64e6 s = 8.64e14 J; / 3.6e9 J per MWh = 240,000 MWh.
  CHECK(power::energy_per_run_mwh(100e6, 100 * 86400.0) == Approx(240000).epsilon(1e-12));
  // 27 MW (Llama 3's cluster) for 54 days: 27 x 54 x 24 = 34,992 MWh.
  CHECK(power::energy_per_run_mwh(27e6, 54 * 86400.0) == Approx(34992).epsilon(1e-12));
  // The table entry computes it from the cluster's facility power and the row's run length.
  model::RowT<double> row{};
  row.duration_s = 100 * 86400.0;
  model::AssembledT<double> cluster{};
  cluster.facility_power_w = 100e6;
  const model::OutcomeT<double> outcome{};
  const std::size_t k = metric_index("energy_per_run_mwh");
  REQUIRE(k < kMetricCount);
  CHECK(kMetrics[k].swept);
  CHECK(std::string(kMetrics[k].unit) == "MWh");
  CHECK(kMetrics[k].value({row, cluster, outcome}) == Approx(240000).epsilon(1e-12));
  // Eight lanes at once: each lane as the scalar form.
  model::RowT<model::Pack> rows{};
  model::AssembledT<model::Pack> clusters{};
  const model::OutcomeT<model::Pack> outcomes{};
  for (int l = 0; l < model::kLanes; ++l) {
    rows.duration_s[l] = (l + 1) * 86400.0;
    clusters.facility_power_w[l] = 100e6;
  }
  const model::Pack lanes = kMetrics[k].lanes({rows, clusters, outcomes});
  for (int l = 0; l < model::kLanes; ++l)
    CHECK(lanes[l] == Approx(2400.0 * (l + 1)).epsilon(1e-12));
}
