#include <cmath>

#include <catch2/catch.hpp>

#include "tests/support.hpp"

#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"

using namespace clustercap;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

// Llama 3 405B ran on 16,384 H100 in 8-GPU servers with 400 Gb/s per GPU on
// a 3-layer Clos (arXiv 2407.21783). A site large enough not to bind.
const char* kLlama3 = R"([scenario]
name = "llama3"

[training]
duration_days = 54

[network]
switch_radix = 64
max_tiers = 3
planes = 1

[[actor]]
name = "Meta"

[[actor.site]]
name = "dc"
power_mw = 100
pue = 1.2

[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 16384

[[reference]]
id = "meta_llama3_405b_run"
)";

}  // namespace

TEST_CASE("the Llama 3 cluster draws about the published 27 MW", "[estimator][estimate]") {
  // Epoch: 16,000 H100 x ~1,700 W all-in = 27 MW. Epoch's own 10th-90th
  // percentile for all-in power per H100 is 1,528-1,846 W, about +-10% around
  // 1,700 W, hence the tolerance. Ours: 2,048 DGX H100 x 10.2 kW + a 3-tier
  // fabric (1,280 switches, 57,344 modules: 1.71 MW) = 22.6 MW IT x PUE 1.2.
  const Scenario s = load_scenario_text("llama3.toml", kLlama3, catalog());
  const EstimateResult r = estimate(s, catalog());
  const ClusterResult& c = r.actors[0].cluster;
  CHECK(c.chips == Approx(16384));
  CHECK(c.binding == model::Constraint::chips);
  CHECK(c.system_id == "nvidia_hgx_dgx_h100");
  CHECK(c.it_power_w == Approx(2048 * 10.2e3 + 1280 * 750.0 + 16384 * 8.0 + 40960 * 15.0));
  CHECK(c.facility_power_w == Approx(27e6).epsilon(0.10));
  CHECK(c.network.tiers == 3);
}

TEST_CASE("estimate figures follow the equations from catalog values", "[estimator][estimate]") {
  const Scenario s = load_scenario_text("llama3.toml", kLlama3, catalog());
  const EstimateResult r = estimate(s, catalog());
  const ActorResult& a = r.actors[0];
  // 16,384 x 989.5 TFLOPS x MFU prior 0.40 x goodput 0.9
  const double sustained = 16384 * 989.5e12 * 0.40 * 0.9;
  CHECK(a.cluster.sustained_flops == Approx(sustained));
  CHECK(a.training.train_flop == Approx(sustained * 54 * 86400));
  CHECK(a.training.params == Approx(std::sqrt(sustained * 54 * 86400 / 120)));
  CHECK(a.cluster.h100e == Approx(16384));
  // The reference is the same 16,384 H100 under the same assumptions.
  REQUIRE(a.vs_reference.size() == 1);
  CHECK(a.vs_reference[0].ratio_sustained_flops == Approx(1.0));
  CHECK(a.vs_reference[0].ratio_chips == Approx(1.0));
}

TEST_CASE("estimate JSON carries every key of the DESIGN contract", "[estimator][report]") {
  const Scenario s = load_scenario_text("llama3.toml", kLlama3, catalog());
  const auto j = report::estimate_to_json(estimate(s, catalog()));
  CHECK(j["schema"] == "clustercap.estimate.v1");
  CHECK(j.contains("clustercap_version"));
  const auto& actor = j["actors"][0];
  for (const char* key : {"name", "inventory", "cluster", "training", "vs_reference"}) {
    CHECK(actor.contains(key));
  }
  for (const char* key : {"chip", "count", "h100e"}) CHECK(actor["inventory"][0].contains(key));
  const auto& cluster = actor["cluster"];
  for (const char* key : {"chip", "system", "chips", "systems", "binding_constraint", "limits",
                          "it_power_mw", "facility_power_mw", "network", "peak_flops", "mfu",
                          "sustained_flops", "h100e"}) {
    INFO(key);
    CHECK(cluster.contains(key));
  }
  for (const char* key : {"chips", "power", "network", "budget"}) {
    CHECK(cluster["limits"].contains(key));
  }
  for (const char* key : {"tiers", "switches", "transceivers", "power_mw"}) {
    CHECK(cluster["network"].contains(key));
  }
  for (const char* key : {"duration_days", "goodput", "train_flop", "params", "tokens",
                          "limited_by"}) {
    CHECK(actor["training"].contains(key));
  }
  for (const char* key : {"reference", "ratio_sustained_flops", "ratio_chips"}) {
    CHECK(actor["vs_reference"][0].contains(key));
  }
  CHECK(cluster["facility_power_mw"].get<double>() ==
        Approx(cluster["it_power_mw"].get<double>() * 1.2));
}

TEST_CASE("an export rule flags controlled inventory without dropping it", "[estimator][export]") {
  std::string text = kLlama3;
  text.replace(text.find("name = \"llama3\""), 15, "name = \"llama3\"\nexport_rule = \"2023-10\"");
  text.replace(text.find("name = \"Meta\""), 13, "name = \"Meta\"\ncountry = \"CN\"");
  text += "\n[[actor.inventory]]\nchip = \"nvidia_h20\"\ncount = 1000\nsource = \"imports\"\n";
  const EstimateResult cn = estimate(load_scenario_text("s.toml", text, catalog()), catalog());
  const ActorResult& a = cn.actors[0];
  REQUIRE(a.inventory.size() == 2);
  REQUIRE(a.inventory[0].export_control.has_value());
  CHECK(a.inventory[0].export_control->status == "3A090.a");  // H100
  CHECK(a.inventory[0].export_control->controlled);
  CHECK_FALSE(a.inventory[1].export_control->controlled);  // H20 under the 2023 thresholds
  CHECK(a.warnings.size() == 1);
  CHECK(a.inventory_count == Approx(17384));  // flagged chips still count
  CHECK(a.cluster.chips == Approx(16384));

  std::string us = text;
  us.replace(us.find("country = \"CN\""), 14, "country = \"US\"");
  const EstimateResult r = estimate(load_scenario_text("s.toml", us, catalog()), catalog());
  CHECK_FALSE(r.actors[0].inventory[0].export_control->controlled);
  CHECK(r.actors[0].warnings.empty());
}
