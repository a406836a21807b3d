// Settings a scenario file leaves out: recorded by the loader, the network's
// planes taken from the catalog's reference design, and named whenever the
// binding limit depends on one (issue 14 item 5).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/plan.hpp"
#include "estimator/report/default_text.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "estimator/timeline.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

// A fully written [network] (planes = 1) and [power].
const char* kNetwork = R"(
[network]
switch_radix = 64
max_tiers = 3
planes = 1
port_gbps = 400
nic_transceiver_w = 8
switch_transceiver_w = 15
switch_ports_per_transceiver = 2
switch_w = 750
copper_first_tier = false
)";
const char* kPower = R"(
[power]
system_overhead = 1.82
chips_per_server = 8
)";

// A scenario of `count` x `chip` (with `system` when not empty) at one site
// of `power_mw` at PUE 1.2, with `extra` sections appended.
std::string scenario_text(const std::string& chip, const std::string& system, long count,
                          double power_mw, const std::string& extra,
                          const std::string& actor_extra = "") {
  return "[scenario]\nname = \"t\"\n\n[training]\nduration_days = 100\n" + extra +
         "\n[[actor]]\nname = \"lab\"\n" + actor_extra +
         "\n[[actor.site]]\nname = \"dc\"\npower_mw = " + std::to_string(power_mw) +
         "\npue = 1.2\n\n[[actor.inventory]]\nchip = \"" + chip +
         "\"\ncount = " + std::to_string(count) + "\n" +
         (system.empty() ? "" : "system = \"" + system + "\"\n");
}

ActorResult estimate_one(const std::string& text) {
  const Scenario s = load_scenario_text("t.toml", text, catalog());
  return estimate(s, catalog()).actors.at(0);
}

std::string binding_warning(const ActorResult& a) {
  const auto warnings = report::estimate_warnings(a);
  return warnings.empty() ? "" : warnings.back();
}

}  // namespace

TEST_CASE("a loaded scenario records each setting its file leaves out, with its default",
          "[estimator][defaults]") {
  const Scenario s =
      load_scenario_text("t.toml", scenario_text("nvidia_a100_sxm_80gb", "", 8, 10, ""), catalog());
  // Values from fat_tree.hpp, system_power.hpp and scenario.hpp.
  REQUIRE(s.find_default("network.planes") != nullptr);
  CHECK(s.find_default("network.planes")->value == Approx(1));
  CHECK(s.find_default("network.planes")->source == DefaultSource::code);
  CHECK(s.find_default("network.switch_radix")->value == Approx(64));
  CHECK(s.find_default("network.switch_w")->value == Approx(750));
  CHECK(s.find_default("network.copper_first_tier")->name == "false");
  CHECK(s.find_default("power.system_overhead")->value == Approx(1.82));
  CHECK(s.find_default("power.chips_per_server")->value == Approx(8));
  CHECK(s.find_default("training.goodput")->value == Approx(0.9));
  CHECK(s.find_default("training.precision")->name == "bf16");
  CHECK(s.find_default("training.mfu_model")->name == "step-model");
  // Required keys are never defaulted.
  CHECK(s.find_default("training.duration_days") == nullptr);
}

TEST_CASE("a setting the file writes is not recorded as defaulted", "[estimator][defaults]") {
  const Scenario s = load_scenario_text(
      "t.toml",
      scenario_text("nvidia_a100_sxm_80gb", "", 8, 10, "goodput = 0.8\n" + std::string(kNetwork)),
      catalog());
  CHECK(s.find_default("network.planes") == nullptr);
  CHECK(s.find_default("network.switch_w") == nullptr);
  CHECK(s.find_default("training.goodput") == nullptr);
  CHECK(s.find_default("power.system_overhead") != nullptr);  // no [power]
}

TEST_CASE("network.planes defaults to the system's rails in the catalog", "[estimator][defaults]") {
  // NVIDIA's HGX reference design: 8 x 400G NICs per 8 GPUs, 8 rails; a
  // GB200 NVL72 compute tray: 4 ConnectX-7 for its 4 GPUs, 4 rails; a chip
  // without a catalogued system keeps FabricSpec's one plane.
  struct Case {
    const char* chip;
    const char* system;
    int planes;
  };
  for (const Case& k :
       {Case{"nvidia_h100_sxm", "nvidia_hgx_dgx_h100", 8},
        Case{"nvidia_gb200_gpu", "nvidia_gb200_nvl72", 4}, Case{"nvidia_a100_sxm_80gb", "", 1}}) {
    const Scenario s =
        load_scenario_text("t.toml", scenario_text(k.chip, k.system, 72, 10, ""), catalog());
    const auto candidates = list_candidates(s, catalog());
    REQUIRE(candidates.size() == 1);
    CHECK(candidate_fabric(candidates[0], s).planes == k.planes);
    const auto planes = planes_default(candidates[0], s);
    REQUIRE(planes);
    CHECK(planes->source == (*k.system ? DefaultSource::catalog : DefaultSource::code));
    CHECK(planes->catalog_id == k.system);
  }
}

TEST_CASE("a written network.planes overrides the catalog's rails", "[estimator][defaults]") {
  const Scenario s = load_scenario_text(
      "t.toml", scenario_text("nvidia_gb200_gpu", "nvidia_gb200_nvl72", 72, 10, kNetwork),
      catalog());
  const auto candidates = list_candidates(s, catalog());
  CHECK(candidate_fabric(candidates.at(0), s).planes == 1);
  CHECK_FALSE(planes_default(candidates.at(0), s));
}

TEST_CASE("a network limit that binds on the catalog's planes is named", "[estimator][defaults]") {
  // 500,000 GB200 at 1.5 GW: 4 planes (the NVL72 rails) x 2 x 32^3 = 262,144
  // endpoints at one 400G port per GPU (400 Gb/s NIC / 400G ports), so
  // floor(262,144 / 72) = 3,640 racks = 262,080 GPUs; power allows more
  // (1.5 GW / 1.2 / ~136 kW per rack with its fabric share is ~9,000 racks).
  const ActorResult a =
      estimate_one(scenario_text("nvidia_gb200_gpu", "nvidia_gb200_nvl72", 500000, 1500, ""));
  CHECK(a.cluster.binding == model::Constraint::network);
  CHECK(a.cluster.chips == Approx(262080));
  CHECK(binding_warning(a) ==
        "network binds at 262,080 chips with network.switch_radix = 64 (default, not in the "
        "file), network.max_tiers = 3 (default, not in the file), network.planes = 4 (from the "
        "catalog: nvidia_gb200_nvl72 scaleout_rails; not in the file), network.port_gbps = 400 "
        "(default, not in the file); set [network] switch_radix, max_tiers, planes, port_gbps");
}

TEST_CASE("a network limit that binds on only planes left out names only planes",
          "[estimator][defaults]") {
  // The same fabric with every other [network] key written.
  std::string network = kNetwork;
  network.replace(network.find("planes = 1\n"), 11, "");
  const ActorResult a =
      estimate_one(scenario_text("nvidia_gb200_gpu", "nvidia_gb200_nvl72", 500000, 1500, network));
  CHECK(binding_warning(a) ==
        "network binds at 262,080 chips with network.planes = 4 (from the catalog: "
        "nvidia_gb200_nvl72 scaleout_rails; not in the file); set [network] planes");
}

TEST_CASE("a power limit that binds on the generic server's defaults is named",
          "[estimator][defaults]") {
  // 4,000 A100 (400 W, no catalogued system) in generic 8-GPU servers at
  // 1.82 x TDP = 5,824 W; 1.2 MW at PUE 1.2 = 1.0 MW of IT. 157 servers =
  // 1,256 GPUs on a 2-tier fabric: ceil(3 x 1,256 / 64) = 59 switches x 750 W
  // + 1,256 NIC modules x 8 W + ceil(3 x 1,256 / 2) = 1,884 switch modules x
  // 15 W = 82,558 W; 157 x 5,824 + 82,558 = 996,926 W <= 1 MW. 158 servers
  // need 920,192 + 83,552 = 1,003,744 W.
  const ActorResult a =
      estimate_one(scenario_text("nvidia_a100_sxm_80gb", "", 4000, 1.2, kNetwork));
  CHECK(a.cluster.binding == model::Constraint::power);
  CHECK(a.cluster.chips == Approx(1256));
  CHECK(binding_warning(a) ==
        "power binds at 1,256 chips with power.chips_per_server = 8 (default, not in the file), "
        "power.system_overhead = 1.82 (default, not in the file); set [power] chips_per_server, "
        "system_overhead");
}

TEST_CASE("a held-chips limit that binds on the generic server size is named",
          "[estimator][defaults]") {
  // 1,028 A100 in generic servers of 8: 128 whole servers hold 1,024.
  const ActorResult a =
      estimate_one(scenario_text("nvidia_a100_sxm_80gb", "", 1028, 100, kNetwork));
  CHECK(a.cluster.binding == model::Constraint::chips);
  CHECK(binding_warning(a) ==
        "chips binds at 1,024 chips with power.chips_per_server = 8 (default, not in the file); "
        "set [power] chips_per_server");
}

TEST_CASE("a budget limit that binds on the generic server size is named",
          "[estimator][defaults]") {
  // $120.045M at the catalog's $15,000 per A100 buys 8,003 GPUs: 1,000
  // whole servers of 8 = 8,000 (network and facility free, so the budget
  // buys servers alone).
  const ActorResult a = estimate_one(scenario_text(
      "nvidia_a100_sxm_80gb", "", 10000, 200,
      kNetwork +
          std::string("\n[cost]\nswitch_usd = 0\ntransceiver_usd = 0\nfacility_usd_per_mw = 0\n"),
      "budget_usd = 1.20045e8\n"));
  CHECK(a.cluster.binding == model::Constraint::budget);
  CHECK(a.cluster.chips == Approx(8000));
  CHECK(binding_warning(a) ==
        "budget binds at 8,000 chips with power.chips_per_server = 8 (default, not in the file); "
        "set [power] chips_per_server");
}

TEST_CASE("a binding limit whose settings are all written is not named", "[estimator][defaults]") {
  // The power case above with [power] written: no warning at all.
  const ActorResult a = estimate_one(
      scenario_text("nvidia_a100_sxm_80gb", "", 4000, 1.2, std::string(kNetwork) + kPower));
  CHECK(a.cluster.binding == model::Constraint::power);
  CHECK(a.cluster.chips == Approx(1256));
  CHECK(a.binding_defaults.empty());
  CHECK(report::estimate_warnings(a).empty());
}

TEST_CASE("a held-chips limit that whole servers do not round is not named",
          "[estimator][defaults]") {
  // 1,024 A100 fill 128 servers of 8: the server size changes nothing.
  const ActorResult a =
      estimate_one(scenario_text("nvidia_a100_sxm_80gb", "", 1024, 100, kNetwork));
  CHECK(a.cluster.binding == model::Constraint::chips);
  CHECK(report::estimate_warnings(a).empty());
}

TEST_CASE("estimate output carries the binding default in warnings and the planes' source",
          "[estimator][defaults]") {
  const Scenario s = load_scenario_text(
      "t.toml", scenario_text("nvidia_gb200_gpu", "nvidia_gb200_nvl72", 500000, 1500, ""),
      catalog());
  const EstimateResult r = estimate(s, catalog());
  std::ostringstream json, table;
  report::write_estimate_json(r, json);
  report::write_estimate_table(r, table);
  CHECK(json.str().find("\"network binds at 262,080 chips with network.switch_radix") !=
        std::string::npos);
  CHECK(json.str().find("\"catalog_id\": \"nvidia_gb200_nvl72\"") != std::string::npos);
  CHECK(table.str().find("  warning: network binds at 262,080 chips") != std::string::npos);
  CHECK(table.str().find(", 4 planes (from the catalog: nvidia_gb200_nvl72 scaleout_rails; not "
                         "in the file)\n") != std::string::npos);
}

TEST_CASE("sweep names a binding default once per actor", "[estimator][defaults][sweep]") {
  const Scenario s = load_scenario_text(
      "t.toml", scenario_text("nvidia_gb200_gpu", "nvidia_gb200_nvl72", 500000, 1500, ""),
      catalog());
  sweep::SweepOptions options;
  options.samples = 16;
  const sweep::SweepResult r = sweep::run_sweep(s, catalog(), options);
  const auto warnings = report::sweep_warnings(r.points.at(0).actors.at(0));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "network binds in 100% of samples with network.switch_radix = 64 (default, not in the "
        "file), network.max_tiers = 3 (default, not in the file), network.planes = 4 (from the "
        "catalog: nvidia_gb200_nvl72 scaleout_rails; not in the file), network.port_gbps = 400 "
        "(default, not in the file); set [network] switch_radix, max_tiers, planes, port_gbps");
}

TEST_CASE("timeline names a binding default once per actor, at its first month",
          "[estimator][defaults][timeline]") {
  // 100,000 GB200 a month: 200,000 by 2025-02 fit the 262,080 the catalog's
  // 4 planes connect, 300,000 by 2025-03 do not; the network then binds every
  // month, and the warning is given once.
  const std::string text = R"([scenario]
name = "t"

[training]
duration_days = 100

[timeline]
start = "2025-01"
end = "2025-06"

[[actor]]
name = "lab"
country = "US"

[[actor.site]]
name = "dc"
power_mw = 1500
pue = 1.2

[[supply]]
kind = "import"
actor = "lab"
chip = "nvidia_gb200_gpu"
start = "2025-01"
units_per_month = 100000
)";
  const Scenario s = load_scenario_text("t.toml", text, catalog());
  const TimelineResult r = run_timeline(s, catalog());
  CHECK(r.actors.at(0).months.at(5).cluster.binding == model::Constraint::network);
  const auto warnings = report::timeline_warnings(r.actors.at(0));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "network binds from 2025-03 at 262,080 chips with network.switch_radix = 64 (default, "
        "not in the file), network.max_tiers = 3 (default, not in the file), network.planes = 4 "
        "(from the catalog: nvidia_gb200_nvl72 scaleout_rails; not in the file), "
        "network.port_gbps = 400 (default, not in the file); set [network] switch_radix, "
        "max_tiers, planes, port_gbps");
}

TEST_CASE("the 500k-GB200 two-site scenario says which default binds its cluster",
          "[estimator][defaults][configs]") {
  // No [network] in the file: the NVL72's 4 catalog rails allow 262,080 GPUs
  // (see above), below the 499,968 held in whole racks and what 1.5 GW powers.
  // The file links its two campuses (a run over both holds every GPU); the
  // one-campus answer is the scenario without its link.
  Scenario s = load_scenario_file(
      std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/us-gb200-500k-2site.toml", catalog());
  s.actors.at(0).links.clear();
  const ActorResult a = estimate(s, catalog()).actors.at(0);
  CHECK(a.cluster.site == "1.5 GW campus");
  CHECK(a.cluster.binding == model::Constraint::network);
  CHECK(a.cluster.chips == Approx(262080));
  CHECK(binding_warning(a).rfind("network binds at 262,080 chips with ", 0) == 0);
  CHECK(binding_warning(a).find("network.planes = 4 (from the catalog: nvidia_gb200_nvl72 "
                                "scaleout_rails; not in the file)") != std::string::npos);
}
