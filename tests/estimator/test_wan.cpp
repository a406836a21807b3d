// Clusters across WAN-linked sites (issue 17): the ring all-reduce and its
// cost to a step by hand, and the judged behaviour of two 750 MW sites.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/model/wan.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/engine.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/sweep.hpp"
#include "hardware/common/input_error.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

// The Gulf buyer of the issue: 500k GB200 in NVL72 racks, two 750 MW sites,
// chips pooled; one link of `tbps` over `km`. MFU fixed so the test is fast.
std::string gulf(double tbps, double km, const std::string& extra_training = "") {
  return R"([scenario]
name = "gulf"

[training]
duration_days = 100
mfu = 0.4
)" + extra_training +
         R"(
[[actor]]
name = "buyer"
centralize = true

[[actor.site]]
name = "A"
power_mw = 750
pue = 1.2

[[actor.site]]
name = "B"
power_mw = 750
pue = 1.2

[[actor.link]]
sites = ["A", "B"]
bandwidth_tbps = )" +
         std::to_string(tbps) + "\ndistance_km = " + std::to_string(km) + R"(

[[actor.inventory]]
chip = "nvidia_gb200_gpu"
system = "nvidia_gb200_nvl72"
count = 500000
)";
}

ActorResult run(const std::string& text) {
  const Scenario s = load_scenario_text("gulf.toml", text, catalog());
  return estimate(s, catalog()).actors.at(0);
}

}  // namespace

TEST_CASE("a ring all-reduce over two sites sends the gradient once and waits two hops", "[wan]") {
  // 500B parameters x 2 bytes = 1e12 B; 100 Tbps; 5 ms one way.
  // 2(n-1) (8 B / (n F) + t) = 2 (8e12 / 2e14 + 0.005) = 2 x 0.045 = 0.09 s.
  CHECK(model::ring_allreduce_s(1e12, 2, 1e14, 0.005) == Approx(0.09).epsilon(1e-12));
  // Four sites: 6 x (8e12 / 4e14 + 0.01) = 6 x 0.03 = 0.18 s.
  CHECK(model::ring_allreduce_s(1e12, 4, 1e14, 0.01) == Approx(0.18).epsilon(1e-12));
  // One site: nothing crosses a WAN.
  CHECK(model::ring_allreduce_s(1e12, 1, 1e14, 0.01) == Approx(0.0).margin(1e-15));
}

TEST_CASE("a ring over three sites in a line uses the slowest link and the whole path back",
          "[wan]") {
  // A - B at 100 Tbps, 3 ms; B - C at 50 Tbps, 4 ms; no A - C link.
  const std::vector<model::WanLink> links = {{0, 1, 1e14, 0.003, 0.99}, {1, 2, 5e13, 0.004, 0.98}};
  const model::WanRing ring = model::ring_over({0, 1, 2}, links);
  REQUIRE(ring.found);
  CHECK(ring.bandwidth_bits_per_s == Approx(5e13));
  CHECK(ring.hop_latency_s == Approx(0.007));  // the closing hop runs C - B - A
  CHECK(ring.availability == Approx(0.99 * 0.98));
  // A closing A - C link makes it a cycle: the longest hop is a single link.
  const std::vector<model::WanLink> cycle = {
      {0, 1, 1e14, 0.003, 1}, {1, 2, 5e13, 0.004, 1}, {0, 2, 8e13, 0.002, 1}};
  CHECK(model::ring_over({0, 1, 2}, cycle).hop_latency_s == Approx(0.004));
  // Sites with no link between them cannot be ringed.
  CHECK_FALSE(model::ring_over({0, 2}, links).found);
}

TEST_CASE("the WAN's exposed time is what sticks out of the backward pass", "[wan]") {
  model::WanStepInputs in;
  in.params = 1e12;  // 2e12 gradient bytes
  in.batch_tokens = 60e6;
  in.sustained_flops = 1e20;  // compute 6 x 1e12 x 6e7 / 1e20 = 3.6 s; backward 2.4 s
  in.sites = 2;
  in.ring.found = true;
  in.ring.hop_latency_s = 0.005;
  in.ring.bandwidth_bits_per_s = 1e14;  // all-reduce 2 (1.6e13 / 2e14 + 0.005) = 0.17 s
  model::WanStep wide = model::wan_step(in);
  CHECK(wide.bytes_per_step == Approx(2e12));
  CHECK(wide.allreduce_s == Approx(0.17));
  CHECK(wide.compute_s == Approx(3.6));
  CHECK(wide.exposed_s == Approx(0.0).margin(1e-12));
  CHECK(wide.efficiency == Approx(1.0));
  in.ring.bandwidth_bits_per_s = 1e12;  // 2 (1.6e13 / 2e12 + 0.005) = 16.01 s
  const model::WanStep narrow = model::wan_step(in);
  CHECK(narrow.allreduce_s == Approx(16.01));
  CHECK(narrow.exposed_s == Approx(16.01 - 2.4));
  CHECK(narrow.efficiency == Approx(3.6 / (3.6 + 13.61)));
  // Synchronising every 10 steps: a tenth of the traffic and exposed time
  // per step, and the sourced penalty (5% here) taken.
  in.sync_every_steps = 10;
  in.sync_penalty = 0.05;
  const model::WanStep sparse = model::wan_step(in);
  CHECK(sparse.bytes_per_step == Approx(2e11));
  CHECK(sparse.exposed_s == Approx(1.361));
  CHECK(sparse.efficiency == Approx(3.6 / (3.6 + 1.361) * 0.95));
}

TEST_CASE("two 750 MW sites with a wide link beat the best single site", "[wan][estimator]") {
  const ActorResult wide = run(gulf(400, 500));
  const ActorResult single = run(gulf(0.001, 500));
  REQUIRE(wide.cluster.sites.size() == 2);
  REQUIRE(wide.cluster.wan.has_value());
  CHECK(wide.cluster.sustained_flops > single.cluster.sustained_flops * 1.1);
  CHECK(wide.cluster.chips == Approx(500004).margin(72));  // all held chips, whole racks
  CHECK(wide.cluster.binding == model::Constraint::chips);
  CHECK(wide.cluster.wan->step.efficiency > 0.99);
  // The one-site answer: one site, power-bound chips, the WAN binding.
  REQUIRE(single.cluster.sites.size() == 1);
  CHECK_FALSE(single.cluster.wan.has_value());
  CHECK(single.cluster.binding == model::Constraint::wan);
  CHECK(single.cluster.limits[static_cast<std::size_t>(model::Constraint::wan)] ==
        Approx(single.cluster.chips));
  CHECK(single.cluster.chips <
        single.cluster.limits[static_cast<std::size_t>(model::Constraint::chips)]);
}

TEST_CASE("sustained FLOP/s never falls as the link widens or shortens", "[wan][estimator]") {
  double previous = 0;
  bool saw_wan_bind = false, saw_two_sites = false;
  for (double tbps : {0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0, 400.0, 1600.0}) {
    const ActorResult a = run(gulf(tbps, 1000));
    CHECK(a.cluster.sustained_flops >= previous);
    previous = a.cluster.sustained_flops;
    saw_wan_bind = saw_wan_bind || a.cluster.binding == model::Constraint::wan;
    saw_two_sites = saw_two_sites || a.cluster.sites.size() == 2;
  }
  CHECK(saw_wan_bind);
  CHECK(saw_two_sites);
  // Longer links cost latency: FLOP/s never rises with distance.
  previous = 1e300;
  for (double km : {10.0, 1000.0, 5000.0, 20000.0, 80000.0}) {
    const ActorResult a = run(gulf(20, km));
    CHECK(a.cluster.sustained_flops <= previous);
    previous = a.cluster.sustained_flops;
  }
}

TEST_CASE("a cluster across sites reports each site's share and the WAN it used",
          "[wan][estimator]") {
  const ActorResult a = run(gulf(10, 1000));
  REQUIRE(a.cluster.wan.has_value());
  const WanSummary& w = *a.cluster.wan;
  double chips = 0, facility = 0;
  for (const SiteShare& s : a.cluster.sites) {
    chips += s.chips;
    facility += s.facility_power_w;
    CHECK(s.facility_power_w <= 750e6);
  }
  CHECK(chips == Approx(a.cluster.chips));
  CHECK(facility == Approx(a.cluster.facility_power_w));
  CHECK(w.links == std::vector<std::string>{"A - B"});
  CHECK(w.hop_latency_s == Approx(1000 / 2e5));
  CHECK(w.bandwidth_bits_per_s == Approx(10e12));
  // The efficiency is what the model's FLOP/s carries.
  CHECK(a.cluster.sustained_flops == Approx(w.sustained_flops_before_wan * w.step.efficiency));
  CHECK(w.step.bytes_per_step == Approx(2 * w.params));
}

TEST_CASE("infrequent synchronisation needs its sourced penalty", "[wan][inputs]") {
  try {
    run(gulf(10, 1000, "sync_every_steps = 100\n"));
    FAIL("expected an input error");
  } catch (const InputErrors& e) {
    CHECK(std::string(e.what()).find(
              "gulf.toml:4:1: training.sync_penalty: required when sync_every_steps > 1: "
              "infrequent synchronisation costs efficiency (DiLoCo, arXiv 2311.08105); give the "
              "share lost and its source") != std::string::npos);
  }
  const ActorResult a = run(gulf(10, 1000, "sync_every_steps = 100\nsync_penalty = 0.02\n"));
  REQUIRE(a.cluster.wan.has_value());
  CHECK(a.cluster.wan->step.efficiency <= 0.98 + 1e-12);
}

namespace {

// The sweep's summary of `metric` for the actor (swept metrics in table order).
const sweep::MetricSummary& swept(const sweep::ActorSweep& a, const char* metric) {
  const std::size_t m = swept_metric_index(metric);
  REQUIRE(m < a.metrics.size());
  return a.metrics[m];
}

// 1 when every sample's binding limit is `c`.
double share(const sweep::ActorSweep& a, model::Constraint c) {
  return a.binding_share[static_cast<std::size_t>(c)];
}

std::string preset(const char* name) {
  return (std::filesystem::path(CLUSTERCAP_SOURCE_DIR) / "configs" / name).string();
}

}  // namespace

TEST_CASE("a sweep of the Gulf preset's point values reproduces estimate across both sites",
          "[wan][sweep]") {
  const Scenario s = load_scenario_file(preset("gulf-gb200-2x750mw.toml"), catalog());
  const ActorResult e = estimate(s, catalog()).actors.at(0);
  REQUIRE(e.cluster.sites.size() == 2);  // the preset's answer spans the link
  const sweep::SweepResult r = sweep::run_sweep(s, catalog(), sweep::SweepOptions{});
  REQUIRE(r.points.size() == 1);
  const sweep::ActorSweep& a = r.points[0].actors.at(0);
  std::size_t m = 0;
  for (std::size_t k = 0; k < kMetricCount; ++k) {
    if (!kMetrics[k].swept) continue;
    INFO(kMetrics[k].name);
    CHECK(a.metrics[m].mean == e.metrics[k]);
    CHECK(a.metrics[m].quantiles[3] == e.metrics[k]);
    ++m;
  }
  CHECK(share(a, e.cluster.binding) == Approx(1.0));
  REQUIRE(a.at_medians.has_value());
  CHECK(a.at_medians->site == "campus A + campus B");
  CHECK(a.at_medians->chips == e.cluster.chips);
  CHECK(a.at_medians->sustained_flops == e.cluster.sustained_flops);
}

TEST_CASE("a grid over link bandwidth and distance is monotone, with wan binding on a thin link",
          "[wan][sweep]") {
  const std::string text = gulf(10, 1000) + R"(
[sweep.grid]
"actor[0].link[0].bandwidth_tbps" = [0.01, 0.1, 1, 3, 10, 30, 100, 400, 1600]
"actor[0].link[0].distance_km" = [10, 1000, 5000, 20000, 80000]
)";
  const Scenario s = load_scenario_text("gulf.toml", text, catalog());
  const sweep::SweepResult r = sweep::run_sweep(s, catalog(), sweep::SweepOptions{});
  REQUIRE(r.points.size() == 45);
  // Points run bandwidth-major (the first axis outermost): [b][d] = 5 b + d.
  const auto flops = [&](std::size_t b, std::size_t d) {
    return swept(r.points[5 * b + d].actors.at(0), "sustained_flops").mean;
  };
  for (std::size_t b = 0; b < 9; ++b) {
    for (std::size_t d = 0; d < 5; ++d) {
      INFO("bandwidth index " << b << ", distance index " << d);
      if (b > 0) CHECK(flops(b, d) >= flops(b - 1, d));  // non-decreasing in bandwidth
      if (d > 0) CHECK(flops(b, d) <= flops(b, d - 1));  // non-increasing in distance
    }
  }
  // The thinnest link leaves one site with `wan` binding; the widest and
  // shortest spans both sites and beats it.
  CHECK(share(r.points[0].actors[0], model::Constraint::wan) == Approx(1.0));
  CHECK(r.points[0].actors[0].at_medians->site.find('+') == std::string::npos);
  CHECK(r.points[40].actors[0].at_medians->site == "A + B");
  CHECK(flops(8, 0) > flops(0, 0) * 1.1);
  // Each point is `estimate` with the grid's values written in the file.
  const ActorResult thin = run(gulf(0.01, 10));
  CHECK(flops(0, 0) == thin.cluster.sustained_flops);
}

TEST_CASE("a sampled link bandwidth moves a multi-site sweep the same at any thread count",
          "[wan][sweep]") {
  std::string text = gulf(10, 1000);
  text.replace(text.find("bandwidth_tbps = "), std::string("bandwidth_tbps = 10.000000").size(),
               R"(bandwidth_tbps = { dist = "lognormal", p5 = 0.05, p95 = 500 })");
  const Scenario s = load_scenario_text("gulf.toml", text, catalog());
  REQUIRE(s.sweep.inputs.size() == 1);
  CHECK(s.sweep.inputs[0].indexed_key == "actor[0].link[0].bandwidth_tbps");
  sweep::SweepOptions one;
  one.samples = 24;
  one.block = 8;
  sweep::SweepOptions two = one;
  two.threads = 2;
  const sweep::SweepResult a = sweep::run_sweep(s, catalog(), one);
  const sweep::SweepResult b = sweep::run_sweep(s, catalog(), two);
  const sweep::ActorSweep& x = a.points[0].actors[0];
  const sweep::ActorSweep& y = b.points[0].actors[0];
  for (std::size_t m = 0; m < x.metrics.size(); ++m) {
    CHECK(x.metrics[m].mean == y.metrics[m].mean);
    CHECK(x.metrics[m].quantiles == y.metrics[m].quantiles);
  }
  CHECK(x.binding_share == y.binding_share);
  // Thin links leave one site (wan binds), wide ones take all the chips.
  CHECK(share(x, model::Constraint::wan) > 0.1);
  CHECK(share(x, model::Constraint::chips) > 0.1);
  CHECK(share(x, model::Constraint::wan) + share(x, model::Constraint::chips) == Approx(1.0));
  // The tornado's p10 and p90 bandwidths bracket the FLOP/s.
  REQUIRE(x.tornado.size() == 1);
  CHECK(x.tornado[0].output_p90 > x.tornado[0].output_p10);
}

TEST_CASE("a grid key naming a link the actor does not have is an input error", "[wan][inputs]") {
  const std::string text = gulf(10, 1000) + R"(
[sweep.grid]
"actor[0].link[1].bandwidth_tbps" = [1, 10]
"training.sync_every_steps" = [1, 10]
)";
  const std::vector<std::string> errors =
      test::error_lines([&] { load_scenario_text("gulf.toml", text, catalog()); });
  CHECK(errors == std::vector<std::string>{
                      "gulf.toml:33:37: sweep.grid.actor[0].link[1].bandwidth_tbps = [...]: names "
                      "actor[0].link[1], which does not exist: indices are 0-based and actor[0] "
                      "has only link[0]",
                      "gulf.toml:34:31: sweep.grid.training.sync_every_steps = [...]: needs "
                      "[training] sync_every_steps > 1 and its sourced sync_penalty in the file "
                      "(infrequent synchronisation is never free)"});
}

TEST_CASE("a distribution of sync_every_steps needs the sourced penalty, and then takes it",
          "[wan][inputs]") {
  const std::string every = R"(sync_every_steps = { dist = "choice", values = [1, 100] })"
                            "\n";
  const std::vector<std::string> errors =
      test::error_lines([&] { load_scenario_text("gulf.toml", gulf(10, 1000, every), catalog()); });
  CHECK(errors == std::vector<std::string>{
                      "gulf.toml:4:1: training.sync_penalty: required when sync_every_steps "
                      "varies: infrequent synchronisation costs efficiency (DiLoCo, arXiv "
                      "2311.08105); give the share lost and its source"});
  const Scenario s =
      load_scenario_text("gulf.toml", gulf(10, 1000, every + "sync_penalty = 0.02\n"), catalog());
  REQUIRE(s.sweep.inputs.size() == 1);
  CHECK(s.sweep.inputs[0].target == sweep::Target::sync_every_steps);
}

TEST_CASE("the sweep plan refuses WAN-linked sites it cannot describe", "[wan][sweep]") {
  const Scenario s = load_scenario_text("gulf.toml", gulf(10, 1000), catalog());
  try {
    sweep::sweep_plan_json(s, catalog(), 1);
    FAIL("expected a runtime failure");
  } catch (const RuntimeFailure& e) {
    CHECK(std::string(e.what()) ==
          "sweep plan: actor \"buyer\" has [[actor.link]] WAN links; its samples run estimate "
          "across sites, which the plan's one-site columns cannot describe");
  }
}

TEST_CASE("each site's chips pay that site's electricity price", "[wan][estimator][cost]") {
  std::string text = gulf(400, 500);
  text.replace(text.find("pue = 1.2"), 9, "pue = 1.2\nelectricity_usd_per_mwh = 40");
  text.replace(text.rfind("pue = 1.2"), 9, "pue = 1.2\nelectricity_usd_per_mwh = 120");
  const ActorResult a = run(text);
  REQUIRE(a.cluster.sites.size() == 2);
  // Energy cost = sum over sites of facility power x run x that site's
  // price (MWh = W x s / 3.6e9); 100 days.
  const double run_s = 100 * 86400.0;
  double by_hand = 0;
  for (const SiteShare& site : a.cluster.sites)
    by_hand += site.facility_power_w * run_s / 3.6e9 * (site.name == "A" ? 40.0 : 120.0);
  CHECK(a.metrics[metric_index("energy_usd")] == Approx(by_hand).epsilon(1e-12));
  CHECK_FALSE(a.cluster.electricity_defaulted);
}

TEST_CASE("a workload on a cluster across sites is not planned, and the estimate says so",
          "[wan][estimator]") {
  const std::string text = gulf(400, 500) + R"(
[workload]
name = "Llama 3 405B"
layers = 126
hidden = 16384
ffn = 53248
heads = 128
kv_heads = 8
seq_len = 8192
vocab = 128256
gated_mlp = true
tokens = 15.6e12
global_batch_tokens = 16777216
)";
  const ActorResult a = run(text);
  REQUIRE(a.cluster.sites.size() == 2);
  CHECK_FALSE(a.training.workload_fits);
  CHECK(std::find(a.warnings.begin(), a.warnings.end(),
                  "[workload] Llama 3 405B: no layout searched: the cluster spans 2 sites over WAN "
                  "and the layout search models one site's fabric") != a.warnings.end());
}
