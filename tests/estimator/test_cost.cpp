#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/model/cluster_batch.hpp"
#include "estimator/model/cluster_row.hpp"
#include "estimator/report/compare_report.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

double metric(const ActorResult& a, const char* name) {
  const std::size_t k = metric_index(name);
  REQUIRE(k < kMetricCount);
  return a.metrics[k];
}

// `chips` H100 in DGX H100 systems at Epoch's $30k per H100 (set in the
// file over the catalog's $25k estimate), one site of `power_mw` at PUE
// 1.2, in `country`.
std::string h100_scenario(double chips, double power_mw, int planes, const std::string& country,
                          const std::string& extra = "") {
  return "[scenario]\nname = \"h100\"\n\n[training]\nduration_days = 30\n\n[network]\n"
         "switch_radix = 64\nmax_tiers = 3\nplanes = " +
         std::to_string(planes) + "\n" + extra + "\n[[actor]]\nname = \"lab\"\ncountry = \"" +
         country + "\"\n\n[[actor.site]]\nname = \"dc\"\npower_mw = " + std::to_string(power_mw) +
         "\npue = 1.2\n\n[[actor.inventory]]\nchip = \"nvidia_h100_sxm\"\ncount = " +
         std::to_string(static_cast<long long>(chips)) + "\nprice_usd = 30000\n";
}

// One GB200 NVL72 candidate at $3M and 132 kW a rack, one plane of 64-port
// switches, at the [cost] defaults.
model::ClusterBatch nvl72_budget_batch(double budget_usd) {
  model::ClusterBatch b(1);
  const model::CostSpec cost;
  b.chips_held << 1e6;
  b.chips_per_system << 72;
  b.system_it_power_w << 132e3;
  b.system_includes_scaleout << 0;
  b.endpoints_per_chip << 1;
  b.site_power_w << 1e10;
  b.pue << 1.2;
  b.budget_usd << budget_usd;
  b.system_price_usd << 3e6;
  b.switch_usd << cost.switch_usd;
  b.transceiver_usd << cost.transceiver_usd;
  b.facility_usd_per_w << cost.facility_usd_per_w;
  b.peak_flops_per_chip << 2500e12;
  b.mfu << 0.4;
  b.goodput << 0.9;
  b.duration_s << 100 * 86400.0;
  b.hbm_bytes_per_chip << 186e9;
  b.bytes_per_param << 16;
  b.max_tokens << model::kNoLimit;
  return b;
}

}  // namespace

TEST_CASE("a $300M budget buys 76 NVL72 racks with their network and facility, not 100",
          "[estimator][cost]") {
  // By hand: 76 racks = 5,472 endpoints on a 3-tier fabric: ceil(5 x 5,472 / 64) = 428
  // switches, 5,472 NIC + 13,680 twin-port switch modules. Network: 428 x $36,000 +
  // 19,152 x $550 = $25.94M. IT: 76 x 132 kW + (428 x 750 + 5,472 x 8 + 13,680 x 15) W
  // = 10.602 MW, facility $4.2/W = $44.53M. Racks $228M. Total $298.47M <= $300M.
  // 77 racks: $231M + $26.30M + $45.12M = $302.41M > $300M. At catalog price
  // alone the budget bought $300M / $3M = 100 racks.
  const model::ClusterResults r = model::evaluate_clusters(nvl72_budget_batch(300e6));
  CHECK(r.binding[0] == static_cast<int>(model::Constraint::budget));
  CHECK(r.systems[0] == Approx(76));
  const auto row = model::row_values<double>(nvl72_budget_batch(300e6), 0);
  CHECK(model::capex_usd_t(row, 76.0) == Approx(298469899.2));
  CHECK(model::capex_usd_t(row, 77.0) == Approx(302411558.4));
}

TEST_CASE("without network and facility prices the budget buys systems at catalog price",
          "[estimator][cost]") {
  model::ClusterBatch b = nvl72_budget_batch(300e6);
  b.switch_usd << 0;
  b.transceiver_usd << 0;
  b.facility_usd_per_w << 0;
  const model::ClusterResults r = model::evaluate_clusters(b);
  CHECK(r.systems[0] == Approx(100));
}

TEST_CASE("64 H100 cost what a hand count of systems, one switch, optics and facility gives",
          "[estimator][cost]") {
  // 8 DGX H100 (10.2 kW) and a one-tier fabric: 1 switch, 64 NIC modules and
  // ceil(64 / 2) = 32 twin-port switch modules. Chips 64 x $30,000 = $1.92M;
  // network $36,000 + 96 x $550 = $88,800; fabric 750 + 64 x 8 + 32 x 15 = 1,742 W,
  // IT 8 x 10,200 + 1,742 = 83,342 W, facility 83,342 x $4.2 = $350,036.4.
  // Energy: 83,342 W x 1.2 x 30 days = 72.0075 MWh, at the US default $92.9/MWh
  // $6,689.5. Run cost: $2,358,836.4 x 30 / 1,461 days + $6,689.5 = $55,126.3.
  const Scenario s = load_scenario_text("h100.toml", h100_scenario(64, 10, 1, "US"), catalog());
  const EstimateResult r = estimate(s, catalog());
  const ActorResult& a = r.actors[0];
  REQUIRE(a.cluster.chips == Approx(64));
  CHECK(metric(a, "capex_chips_usd") == Approx(1.92e6));
  CHECK(metric(a, "capex_network_usd") == Approx(88800));
  CHECK(metric(a, "capex_facility_usd") == Approx(350036.4));
  CHECK(metric(a, "capex_usd") == Approx(2358836.4));
  CHECK(metric(a, "energy_per_run_mwh") == Approx(72.0075));
  CHECK(metric(a, "energy_usd") == Approx(72.0075 * 92.9));
  CHECK(metric(a, "annual_energy_mwh") == Approx(83342 * 1.2 * 8766 / 1e6));
  CHECK(metric(a, "run_cost_usd") == Approx(2358836.4 * 30 / 1461 + 72.0075 * 92.9));
}

TEST_CASE("100,000 H100 cost and draw within 25% of SemiAnalysis's published figures",
          "[estimator][cost]") {
  // SemiAnalysis, "100,000 H100 Clusters" (2024-06-17), docs/methodology.md R29:
  // more than $4B of server capex (systems and their network), 1.59 TWh a
  // year, $123.9M a year of electricity at $0.078/kWh.
  const Scenario s =
      load_scenario_text("h100k.toml", h100_scenario(100000, 400, 8, "US"), catalog());
  const EstimateResult r = estimate(s, catalog());
  const ActorResult& a = r.actors[0];
  REQUIRE(a.cluster.chips == Approx(100000));
  const double servers_and_network = metric(a, "capex_chips_usd") + metric(a, "capex_network_usd");
  CHECK(servers_and_network == Approx(4e9).epsilon(0.25));
  CHECK(metric(a, "annual_energy_mwh") == Approx(1.59e6).epsilon(0.25));
  CHECK(metric(a, "annual_energy_mwh") * 78.0 == Approx(123.9e6).epsilon(0.25));
}

TEST_CASE("the 100k-H100 preset's capex and annual energy are a hand count, near SemiAnalysis's",
          "[estimator][cost][configs]") {
  // configs/us-100k-h100.toml: 12,500 DGX H100 (10.2 kW, $240,000 at $30k a
  // GPU) on 8 planes of 64-port switches. Each plane: 12,500 endpoints, 3
  // tiers (2 x 32^2 = 2,048 < 12,500 <= 2 x 32^3), ceil(5 x 12,500 / 64) =
  // 977 switches; 7,816 in all. Modules: 100,000 at the NICs + 5 x 100,000 / 2
  // = 250,000 twin-port on the switches.
  //   network  = 7,816 x $36,000 + 350,000 x $550       = $473,876,000
  //   fabric   = 7,816 x 750 + 100,000 x 8 + 250,000 x 15 W = 10,412,000 W
  //   IT       = 12,500 x 10,200 + 10,412,000 W          = 137,912,000 W
  //   facility = 137,912,000 W x $4.2                    = $579,230,400
  //   capex    = $3,000,000,000 + network + facility     = $4,053,106,400
  //   a year   = 137.912 MW x 1.2 x 8,766 h              = 1,450,723.9 MWh
  const Scenario s = load_scenario_file(
      std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/us-100k-h100.toml", catalog());
  const ActorResult a = estimate(s, catalog()).actors.at(0);
  REQUIRE(a.cluster.chips == Approx(100000));
  CHECK(metric(a, "capex_chips_usd") == Approx(3e9));
  CHECK(metric(a, "capex_network_usd") == Approx(473876000));
  CHECK(metric(a, "capex_facility_usd") == Approx(579230400));
  CHECK(metric(a, "capex_usd") == Approx(4053106400));
  CHECK(metric(a, "annual_energy_mwh") == Approx(137.912 * 1.2 * 8766));
  CHECK(metric(a, "annual_energy_usd") == Approx(137.912 * 1.2 * 8766 * 92.9));
  // SemiAnalysis (docs/methodology.md R29): more than $4B of server capex,
  // 1.59 TWh a year. Ours: $4.05B all in ($3.47B systems and network),
  // 1.45 TWh: both within 25%.
  CHECK(metric(a, "capex_usd") == Approx(4e9).epsilon(0.25));
  CHECK(metric(a, "capex_chips_usd") + metric(a, "capex_network_usd") == Approx(4e9).epsilon(0.25));
  CHECK(metric(a, "annual_energy_mwh") == Approx(1.59e6).epsilon(0.25));
}

TEST_CASE("the same cluster in China and the US differs in energy cost by the price ratio",
          "[estimator][cost]") {
  // Defaults: US industrial 9.29 c/kWh (EIA, 2026-01), China 8.8 c/kWh (2024).
  const Scenario us = load_scenario_text("us.toml", h100_scenario(1024, 10, 1, "US"), catalog());
  const Scenario cn = load_scenario_text("cn.toml", h100_scenario(1024, 10, 1, "CN"), catalog());
  const ActorResult a_us = estimate(us, catalog()).actors[0];
  const ActorResult a_cn = estimate(cn, catalog()).actors[0];
  CHECK(metric(a_cn, "energy_per_run_mwh") == Approx(metric(a_us, "energy_per_run_mwh")));
  CHECK(metric(a_cn, "energy_usd") / metric(a_us, "energy_usd") == Approx(88.0 / 92.9));
  CHECK(metric(a_cn, "annual_energy_usd") / metric(a_us, "annual_energy_usd") ==
        Approx(88.0 / 92.9));
  CHECK(a_cn.cluster.electricity_defaulted);
}

TEST_CASE("a site's own electricity price replaces the country default", "[estimator][cost]") {
  std::string text = h100_scenario(64, 10, 1, "CN");
  text.replace(text.find("pue = 1.2"), 9, "pue = 1.2\nelectricity_usd_per_mwh = 56");
  const Scenario s = load_scenario_text("cn.toml", text, catalog());
  const ActorResult a = estimate(s, catalog()).actors[0];
  CHECK_FALSE(a.cluster.electricity_defaulted);
  CHECK(metric(a, "energy_usd") == Approx(metric(a, "energy_per_run_mwh") * 56));
}

TEST_CASE("the estimate JSON says the budget binds and what share of capex each part takes",
          "[estimator][cost]") {
  std::string text = h100_scenario(100000, 400, 1, "US");
  text.replace(text.find("country"), 7, "budget_usd = 1e8\ncountry");
  const Scenario s = load_scenario_text("budget.toml", text, catalog());
  const EstimateResult r = estimate(s, catalog());
  const ActorResult& a = r.actors[0];
  CHECK(a.cluster.binding == model::Constraint::budget);
  // Systems alone at $240,000 would be 416 of them; network and facility take a share.
  CHECK(a.cluster.systems < 416);
  CHECK(metric(a, "capex_usd") <= 1e8);
  const auto j = report::estimate_to_json(r);
  const auto& budget = j["actors"][0]["cost"]["budget"];
  CHECK(budget["binds"].get<bool>());
  const auto& share = budget["share_of_capex"];
  CHECK(share["chips"].get<double>() + share["network"].get<double>() +
            share["facility"].get<double>() ==
        Approx(1.0));
  CHECK(share["network"].get<double>() > 0);
  // The cost defaults that decide the answer are named.
  const std::string warning = j["actors"][0]["warnings"].back().get<std::string>();
  CHECK(warning.find(" chips with cost.facility_usd_per_mw = 4200000 (default, not in the file), "
                     "cost.switch_usd = 36000 (default, not in the file), cost.transceiver_usd = "
                     "550 (default, not in the file); set [cost] facility_usd_per_mw, switch_usd, "
                     "transceiver_usd") != std::string::npos);
}

TEST_CASE("cost settings outside their range are input errors", "[estimator][cost]") {
  const std::string text = h100_scenario(64, 10, 1, "US", "\n[cost]\nswitch_usd = -1\n");
  try {
    load_scenario_text("bad.toml", text, catalog());
    FAIL("no error");
  } catch (const InputErrors& e) {
    CHECK(std::string(e.what()).find("cost.switch_usd = -1: must be in [0, 100000000]") !=
          std::string::npos);
  }
}

TEST_CASE("compare gives CloudMatrix 384's all-in USD per BF16 PFLOP/s and MWh per year",
          "[estimator][cost][compare]") {
  // Catalog: $8.2M, 559 kW all-in (scale-out included, so no network
  // capex), 300 BF16 dense PFLOP/s. Facility 559 kW x $4.2/W = $2.3478M;
  // ($8.2M + $2.3478M) / 300 = $35,159.3 per PFLOP/s. 559 kW x 8,766 h = 4,900.2 MWh.
  const ComparisonResult r = compare_hardware(catalog(), {"huawei_cloudmatrix_384"});
  std::ostringstream out;
  report::write_compare_json(r, out);
  const auto j = nlohmann::json::parse(out.str());
  const auto& figures = j["items"][0]["figures"];
  CHECK(figures["usd_per_bf16_pflop_all_in"]["value"].get<double>() ==
        Approx((8.2e6 + 559e3 * 4.2) / 300));
  CHECK(figures["it_mwh_per_year"]["value"].get<double>() == Approx(559e3 * 8766 / 1e6));
}

TEST_CASE("systems whose figures include their network are bought whole by the budget",
          "[estimator][cost]") {
  // A CloudMatrix-384-like system: $8.2M, 559 kW including its scale-out
  // network, so no network capex. Per system $8.2M + 559 kW x $4.2/W =
  // $10,547,800; $1B buys floor(94.81) = 94 (the fabric's one-tier capacity,
  // 64 endpoints, does not cap it).
  model::ClusterBatch b = nvl72_budget_batch(1e9);
  b.chips_per_system << 384;
  b.system_it_power_w << 559e3;
  b.system_includes_scaleout << 1;
  b.system_price_usd << 8.2e6;
  const model::ClusterResults r = model::evaluate_clusters(b);
  CHECK(r.binding[0] == static_cast<int>(model::Constraint::budget));
  CHECK(r.systems[0] == Approx(94));
}

TEST_CASE("capex says when the systems had no price", "[estimator][cost]") {
  // No price_usd and none in the catalog for the H800: capex leaves the systems out.
  std::string text = h100_scenario(64, 10, 1, "US");
  text.replace(text.find("price_usd = 30000\n"), 18, "");
  text.replace(text.find("nvidia_h100_sxm"), 15, "nvidia_h800_sxm");
  const Scenario s = load_scenario_text("noprice.toml", text, catalog());
  const EstimateResult r = estimate(s, catalog());
  const auto j = report::estimate_to_json(r);
  CHECK_FALSE(j["actors"][0]["cost"]["chip_price_known"].get<bool>());
  CHECK(j["actors"][0]["cost"]["capex_breakdown_usd"]["chips"].get<double>() == Approx(0.0));
  CHECK(j["actors"][0]["cost"]["capex_breakdown_usd"]["network"].get<double>() > 0);
  // The table says so too, rather than a bare "systems 0 USD".
  std::ostringstream table;
  report::write_estimate_table(r, table);
  CHECK_THAT(table.str(),
             Catch::Matchers::Contains(
                 "the systems have no price (no inventory price_usd, none in the catalog): capex, "
                 "run cost and cost of compute leave them out\n"));
}
