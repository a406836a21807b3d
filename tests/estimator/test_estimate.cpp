#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

#include "estimator/estimate.hpp"
#include "estimator/plan.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"
#include "tests/support.hpp"

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

// kLlama3 with a line added to [training].
std::string with_training(const std::string& line) {
  std::string text = kLlama3;
  text.replace(text.find("duration_days = 54"), 18, "duration_days = 54\n" + line);
  return text;
}

}  // namespace

TEST_CASE("estimate figures follow the equations from catalog values", "[estimator][estimate]") {
  // With mfu_model = "prior" the MFU is the catalog's, so every figure can
  // be derived by hand (the default, the step model, is tested below).
  const Scenario s =
      load_scenario_text("llama3.toml", with_training("mfu_model = \"prior\""), catalog());
  const EstimateResult r = estimate(s, catalog());
  const ActorResult& a = r.actors[0];
  CHECK(report::describe_mfu_basis(a.cluster.mfu_basis) ==
        "catalog prior nvidia_h100_sxm.mfu_bf16");
  CHECK_FALSE(a.cluster.mfu_step_model);
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

TEST_CASE("estimate JSON carries every key of the estimate.v1 contract", "[estimator][report]") {
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
  for (const char* key :
       {"chip", "system", "chips", "systems", "binding_constraint", "limits", "it_power_mw",
        "facility_power_mw", "network", "peak_flops", "mfu", "sustained_flops", "h100e"}) {
    INFO(key);
    CHECK(cluster.contains(key));
  }
  for (const char* key : {"chips", "power", "network", "budget"}) {
    CHECK(cluster["limits"].contains(key));
  }
  for (const char* key : {"tiers", "switches", "transceivers", "power_mw"}) {
    CHECK(cluster["network"].contains(key));
  }
  for (const char* key :
       {"duration_days", "goodput", "train_flop", "params", "tokens", "limited_by"}) {
    CHECK(actor["training"].contains(key));
  }
  for (const char* key : {"reference", "ratio_sustained_flops", "ratio_chips"}) {
    CHECK(actor["vs_reference"][0].contains(key));
  }
  CHECK(cluster["facility_power_mw"].get<double>() ==
        Approx(cluster["it_power_mw"].get<double>() * 1.2));
}

TEST_CASE("the Llama 3 run uses about 35,000 MWh: its facility power for 54 days",
          "[estimator][estimate]") {
  // ~27 MW (the test above, +-10%) x 54 days x 24 h = 34,992 MWh.
  const Scenario s = load_scenario_text("llama3.toml", kLlama3, catalog());
  const EstimateResult r = estimate(s, catalog());
  const auto j = report::estimate_to_json(r);
  const auto& training = j["actors"][0]["training"];
  REQUIRE(training.contains("energy_per_run_mwh"));
  const double energy_mwh = training["energy_per_run_mwh"].get<double>();
  CHECK(energy_mwh == Approx(34992).epsilon(0.10));
  // Exactly the cluster's facility power over the run's wall-clock duration.
  CHECK(energy_mwh == Approx(j["actors"][0]["cluster"]["facility_power_mw"].get<double>() *
                             training["duration_days"].get<double>() * 24)
                          .epsilon(1e-12));
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

TEST_CASE("by default MFU is the step-model fixed point, for actor and reference alike",
          "[estimator][estimate][mfu]") {
  // The default mfu_model is "step-model". The reference, Meta's Llama 3
  // run, is the same 16,384 H100 in DGX H100 servers, so evaluated the same
  // way it gets the same MFU: the ratio stays 1 (like for like).
  const Scenario s = load_scenario_text("llama3.toml", kLlama3, catalog());
  CHECK(s.training.mfu_model == MfuModel::step_model);
  const EstimateResult r = estimate(s, catalog());
  const ActorResult& a = r.actors[0];
  REQUIRE(a.cluster.mfu_step_model);
  REQUIRE(a.cluster.mfu_prediction.predicted);
  CHECK(report::describe_mfu_basis(a.cluster.mfu_basis).rfind("step-model fixed point (", 0) == 0);
  CHECK(a.cluster.mfu == a.cluster.mfu_prediction.mfu);
  // The fixed point for this cluster, run directly: chips x peak x goodput
  // x duration of compute per unit of MFU, started from the prior.
  const Chip& h100 = *catalog().find_chip("nvidia_h100_sxm");
  const training::MfuPrediction direct =
      predict_mfu(h100, catalog().find_system("nvidia_hgx_dgx_h100"), s, 16384);
  CHECK(compute_per_unit_mfu(h100, s, 16384) == Approx(16384 * 989.5e12 * 0.9 * 54 * 86400));
  CHECK(a.cluster.mfu == direct.mfu);
  // The outcome uses it exactly as it used the prior.
  const double sustained = 16384 * 989.5e12 * a.cluster.mfu * 0.9;
  CHECK(a.cluster.sustained_flops == Approx(sustained));
  CHECK(a.training.params == Approx(std::sqrt(sustained * 54 * 86400 / 120)));
  // The model is the one the fixed point sized, to its tolerance.
  CHECK(a.training.params == Approx(a.cluster.mfu_prediction.params).epsilon(1e-3));
  REQUIRE(a.vs_reference.size() == 1);
  CHECK(r.references[0].mfu == Approx(a.cluster.mfu));
  CHECK(a.vs_reference[0].ratio_sustained_flops == Approx(1.0));
  CHECK(report::describe_mfu_basis(r.references[0].mfu_basis) ==
        report::describe_mfu_basis(a.cluster.mfu_basis));
}

TEST_CASE("an MFU set in the scenario takes precedence over the step model",
          "[estimator][estimate][mfu]") {
  std::string line = kLlama3;
  line.replace(line.find("count = 16384"), 13, "count = 16384\nmfu = 0.3");
  const ActorResult inventory =
      estimate(load_scenario_text("s.toml", line, catalog()), catalog()).actors[0];
  CHECK(inventory.cluster.mfu == Approx(0.3));
  CHECK(report::describe_mfu_basis(inventory.cluster.mfu_basis) == "scenario actor.inventory.mfu");
  CHECK_FALSE(inventory.cluster.mfu_step_model);

  // [training] mfu applies to the reference as well, so the ratio is 1.
  const EstimateResult training =
      estimate(load_scenario_text("s.toml", with_training("mfu = 0.35"), catalog()), catalog());
  CHECK(training.actors[0].cluster.mfu == Approx(0.35));
  CHECK(report::describe_mfu_basis(training.actors[0].cluster.mfu_basis) ==
        "scenario training.mfu");
  CHECK(training.references[0].mfu == Approx(0.35));
  CHECK(training.actors[0].vs_reference[0].ratio_sustained_flops == Approx(1.0));

  const EstimateResult prior = estimate(
      load_scenario_text("s.toml", with_training("mfu_model = \"prior\""), catalog()), catalog());
  CHECK(prior.actors[0].cluster.mfu == Approx(0.40));
  CHECK(prior.references[0].mfu == Approx(0.40));
  CHECK(report::describe_mfu_basis(prior.references[0].mfu_basis) ==
        "catalog prior nvidia_h100_sxm.mfu_bf16");
}

TEST_CASE("when no layout fits, MFU falls back to the prior and says why",
          "[estimator][estimate][mfu]") {
  // 8 H100 for 100 years: the compute-optimal model (~500B params) needs
  // several TB of training state. With bytes_per_param = 1 and no HBM kept
  // for activations the outcome model's cap (640B) does not stop it first.
  const std::string text = R"([scenario]
name = "tiny"
[training]
duration_days = 36500
bytes_per_param = 1
activation_memory_fraction = 0
[[actor]]
name = "lab"
[[actor.site]]
name = "dc"
power_mw = 1
pue = 1.2
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 8
)";
  const ActorResult a =
      estimate(load_scenario_text("s.toml", text, catalog()), catalog()).actors[0];
  CHECK(a.cluster.chips == Approx(8));
  CHECK(a.cluster.mfu_step_model);
  CHECK_FALSE(a.cluster.mfu_prediction.predicted);
  CHECK(a.cluster.mfu == Approx(0.40));
  CHECK(report::describe_mfu_basis(a.cluster.mfu_basis)
            .rfind("catalog prior nvidia_h100_sxm.mfu_bf16 (step model: no layout of a ", 0) == 0);
  CHECK(report::describe_mfu_basis(a.cluster.mfu_basis).find("fits in memory") !=
        std::string::npos);
  const auto j =
      report::estimate_to_json(estimate(load_scenario_text("s.toml", text, catalog()), catalog()));
  const auto& prediction = j["actors"][0]["cluster"]["mfu_prediction"];
  CHECK(prediction["predicted"] == false);
  CHECK(prediction["layout"].is_null());
  CHECK(prediction["fallback_reason"].get<std::string>().find("fits in memory") !=
        std::string::npos);
}

TEST_CASE("estimate JSON reports how the MFU was predicted", "[estimator][report][mfu]") {
  const auto j = report::estimate_to_json(
      estimate(load_scenario_text("llama3.toml", kLlama3, catalog()), catalog()));
  const auto& cluster = j["actors"][0]["cluster"];
  CHECK(cluster.contains("mfu_basis"));
  const auto& p = cluster["mfu_prediction"];
  for (const char* key :
       {"predicted", "params", "layout", "iterations", "converged", "fallback_reason"}) {
    INFO(key);
    CHECK(p.contains(key));
  }
  CHECK(p["predicted"] == true);
  CHECK(p["fallback_reason"].is_null());
  CHECK(p["params"].get<double>() > 1e11);
  for (const char* key : {"tp", "cp", "pp", "dp", "microbatch", "interleave", "recompute"}) {
    INFO(key);
    CHECK(p["layout"].contains(key));
  }
  CHECK(p["layout"]["tp"].get<int>() * p["layout"]["cp"].get<int>() * p["layout"]["pp"].get<int>() *
            p["layout"]["dp"].get<int>() ==
        p["modelled_chips"].get<int>());
  CHECK(j["references"][0].contains("mfu_basis"));
  CHECK(j["references"][0]["mfu"].get<double>() == Approx(cluster["mfu"].get<double>()));
}

TEST_CASE("a candidate's MfuTable reproduces estimate at the point estimate",
          "[estimator][estimate][mfu]") {
  // What the sweep engine builds per step-model candidate: with the point
  // estimate's chips and C1 as its exact point, the table returns the
  // estimate's MFU there exactly.
  const Scenario s = load_scenario_text("llama3.toml", kLlama3, catalog());
  const EstimateResult r = estimate(s, catalog());
  const std::vector<CandidateSpec> candidates = list_candidates(s, catalog());
  REQUIRE(candidates.size() == 1);
  CHECK(uses_step_model(candidates[0], s));
  const double chips = r.actors[0].cluster.chips;
  const double c1 = compute_per_unit_mfu(*candidates[0].chip, s, chips);
  const training::MfuTableBuild build =
      build_mfu_table(candidates[0], s, 1024, 65536, c1 / 30, c1 * 3, {chips}, {c1});
  CHECK(build.table.at(chips, c1) == r.actors[0].cluster.mfu);
  // Both coordinates are nodes: the lattice's 2^10 .. 2^16 chips with the
  // estimate's count among them, and its C1 beside the lattice's.
  const auto& xs = build.table.chips_nodes();
  const auto& ys = build.table.c1_nodes();
  CHECK(std::count(xs.begin(), xs.end(), chips) == 1);
  CHECK(std::count(ys.begin(), ys.end(), c1) == 1);
  CHECK(xs.front() == 1024);
  CHECK(xs.back() == 65536);
}

namespace {

// configs/llama3-8b-workload.toml with `from` replaced by `to`.
EstimateResult llama3_8b_with(const std::string& from, const std::string& to) {
  std::ifstream file(std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/llama3-8b-workload.toml");
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string text = buffer.str();
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return estimate(load_scenario_text("llama3-8b.toml", text, catalog()), catalog());
}

std::string table_of(const EstimateResult& r) {
  std::ostringstream out;
  report::write_estimate_table(r, out);
  return out.str();
}

}  // namespace

TEST_CASE("a workload with no valid layout on the cluster says so instead of needing 0 GB per chip",
          "[estimator][estimate][workload]") {
  // 4,093 H100 make 511 eight-GPU servers = 4,088 chips = 2^3 x 7 x 73: no
  // tp x cp x pp x dp on them splits the 2,048-sequence batch evenly.
  const EstimateResult r = llama3_8b_with("count = 4096", "count = 4093");
  const TrainingResult& t = r.actors[0].training;
  REQUIRE(t.has_workload);
  CHECK_FALSE(t.workload_fits);
  CHECK(t.layouts_evaluated == 0);
  const std::string table = table_of(r);
  CHECK(table.find("  Workload Llama 3 8B   no valid parallel layout on 4,088 chips (tp x cp x pp "
                   "x dp must use "
                   "every chip and split the batch into whole microbatches)\n") !=
        std::string::npos);
  CHECK(table.find(" 0 GB") == std::string::npos);
  // JSON: no memory need rather than 0 GB.
  const auto j = report::estimate_to_json(r)["actors"][0]["training"];
  CHECK(j["layouts_evaluated"] == 0);
  CHECK(j["min_memory_per_chip_gb"].is_null());
}

TEST_CASE("a scenario's tp and pp are searched among every fitting layout, not only the 64 fastest",
          "[estimator][estimate][workload]") {
  // Llama 3 8B on 4,096 H100: tp 8 x pp 2 is slower than the 64 fastest
  // layouts but fits (~50 GB of 80 GB per chip).
  const EstimateResult r = llama3_8b_with("global_batch_tokens = 16777216",
                                          "global_batch_tokens = 16777216\ntp = 8\npp = 2");
  const TrainingResult& t = r.actors[0].training;
  REQUIRE(t.has_workload);
  CHECK(t.workload_fits);
  CHECK(t.layout.tp == 8);
  CHECK(t.layout.pp == 2);
  CHECK(t.step.memory_bytes < t.hbm_per_chip_bytes);
  CHECK(t.layouts_fitting > 64);
}

TEST_CASE("memory needs per chip below 1 GB are shown in MB", "[estimator][estimate][report]") {
  EstimateResult r;
  ActorResult a;
  a.name = "a";
  a.cluster.chip_id = "chip";
  a.training.has_workload = true;
  a.training.workload_name = "w";
  a.training.layouts_evaluated = 12;
  a.training.min_memory_per_chip_bytes = 2.83e8;
  a.training.hbm_per_chip_bytes = 2.0e8;
  r.actors.push_back(a);
  const std::string table = table_of(r);
  CHECK(table.find("  Workload w            does not fit in any layout: needs at least 283 MB per "
                   "chip, chips "
                   "have 200 MB\n") != std::string::npos);
  // Above 1 GB: GB with three significant figures, as before.
  r.actors[0].training.min_memory_per_chip_bytes = 95.3e9;
  r.actors[0].training.hbm_per_chip_bytes = 80e9;
  CHECK(table_of(r).find("needs at least 95.3 GB per chip, chips have 80.0 GB\n") !=
        std::string::npos);
}
