#include <catch2/catch.hpp>
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include "estimator/model/cluster_batch.hpp"

using namespace clustercap::model;

namespace {

// One GB200 NVL72 candidate: 132 kW racks of 72 GPUs at 2,500 TFLOPS BF16.
ClusterBatch nvl72_batch(double site_power_w, double pue, double chips_held) {
  ClusterBatch b(1);
  b.chips_held << chips_held;
  b.chips_per_system << 72;
  b.system_it_power_w << 132e3;
  b.system_includes_scaleout << 0;
  b.endpoints_per_chip << 1;
  b.site_power_w << site_power_w;
  b.pue << pue;
  b.budget_usd << kNoLimit;
  b.system_price_usd << 3e6;
  b.peak_flops_per_chip << 2500e12;
  b.mfu << 0.4;
  b.goodput << 0.9;
  b.duration_s << 100 * 86400.0;
  b.hbm_bytes_per_chip << 186e9;
  b.bytes_per_param << 16;
  b.activation_memory_fraction << 0.25;
  b.max_tokens << kNoLimit;
  return b;
}

}  // namespace

TEST_CASE("a 100 MW site at PUE 1.2 holds 597 GB200 NVL72 racks", "[estimator][model]") {
  // IT budget 100 MW / 1.2 = 83.33 MW. A 3-tier fabric costs per GPU
  // 8 + 5/2 x 15 + 5/64 x 750 = 104.1 W, so a rack needs 132 + 7.50 = 139.5 kW
  // and 597 racks fit. Exactly: 597 x 132 kW = 78.804 MW plus a fabric for
  // 42,984 GPUs of 3,359 switches (2.519 MW), 42,984 NIC modules (0.344 MW)
  // and 107,460 switch modules (1.612 MW) = 83.279 MW <= 83.333 MW, while
  // 598 racks need 83.418 MW.
  const ClusterBatch b = nvl72_batch(100e6, 1.2, 1e6);
  const ClusterResults r = evaluate_clusters(b);
  CHECK(r.binding[0] == static_cast<int>(Constraint::power));
  CHECK(r.systems[0] == Approx(597));
  CHECK(r.chips[0] == Approx(42984));
  CHECK(r.network_tiers[0] == Approx(3));
  CHECK(r.network_switches[0] == Approx(3359));
  CHECK(r.network_transceivers[0] == Approx(42984 + 107460));
  const double it_w = 597 * 132e3 + 3359 * 750.0 + 42984 * 8.0 + 107460 * 15.0;
  CHECK(r.it_power_w[0] == Approx(it_w));
  CHECK(r.facility_power_w[0] == Approx(1.2 * it_w));
  CHECK(r.facility_power_w[0] <= 100e6);
}

TEST_CASE("sustained FLOP/s, training compute and model size follow the equations",
          "[estimator][model]") {
  const ClusterBatch b = nvl72_batch(100e6, 1.2, 7200);  // 100 racks held
  const ClusterResults r = evaluate_clusters(b);
  REQUIRE(r.binding[0] == static_cast<int>(Constraint::chips));
  REQUIRE(r.chips[0] == Approx(7200));
  const double sustained = 7200 * 2500e12 * 0.4 * 0.9;  // 6.48e18 FLOP/s
  CHECK(r.sustained_flops[0] == Approx(sustained));
  const double c = sustained * 100 * 86400;  // 5.60e25 FLOP
  CHECK(r.train_flop[0] == Approx(c));
  CHECK(r.params[0] == Approx(std::sqrt(c / 120)));
  CHECK(r.tokens[0] == Approx(20 * std::sqrt(c / 120)));
  CHECK(r.limited_by[0] == static_cast<int>(ModelLimit::compute));
}

TEST_CASE("1e25 FLOP trains a 289B-parameter model on 5.8T tokens", "[estimator][model]") {
  // Chinchilla rule: N = sqrt(C / 120) = sqrt(8.33e22) = 2.887e11, D = 20 N.
  ClusterBatch b = nvl72_batch(1e9, 1.2, 72);
  b.duration_s << 1e25 / (72 * 2500e12 * 0.4 * 0.9);
  const ClusterResults r = evaluate_clusters(b);
  CHECK(r.train_flop[0] == Approx(1e25));
  CHECK(r.params[0] == Approx(2.8868e11).epsilon(1e-4));
  CHECK(r.tokens[0] == Approx(5.7735e12).epsilon(1e-4));
}

TEST_CASE("the tightest limit binds and its chip count is the cluster size", "[estimator][model]") {
  SECTION("budget") {
    ClusterBatch b = nvl72_batch(1e9, 1.2, 1e6);
    b.budget_usd << 30e6;  // ten racks at $3M
    const ClusterResults r = evaluate_clusters(b);
    CHECK(r.binding[0] == static_cast<int>(Constraint::budget));
    CHECK(r.chips[0] == Approx(720));
    CHECK(r.limit[static_cast<std::size_t>(Constraint::budget)][0] == Approx(720));
  }
  SECTION("network") {
    ClusterBatch b = nvl72_batch(1e10, 1.2, 1e6);
    b.fabric[0].max_tiers = 2;  // 2,048 endpoints = 28 racks
    const ClusterResults r = evaluate_clusters(b);
    CHECK(r.binding[0] == static_cast<int>(Constraint::network));
    CHECK(r.chips[0] == Approx(28 * 72));
    CHECK(r.network_tiers[0] == Approx(2));
  }
  SECTION("chips held are rounded down to whole systems") {
    const ClusterResults r = evaluate_clusters(nvl72_batch(1e9, 1.2, 1000));
    CHECK(r.binding[0] == static_cast<int>(Constraint::chips));
    CHECK(r.chips[0] == Approx(13 * 72));
  }
  SECTION("a site too small for one system yields an empty cluster, not NaN") {
    const ClusterResults r = evaluate_clusters(nvl72_batch(100e3, 1.2, 1000));
    CHECK(r.binding[0] == static_cast<int>(Constraint::power));
    CHECK(r.chips[0] == Approx(0));
    CHECK(r.params[0] == Approx(0));
    CHECK(r.tokens[0] == Approx(0));
    CHECK(std::isfinite(r.facility_power_w[0]));
  }
}

TEST_CASE("memory and data caps shrink the model and say so", "[estimator][model]") {
  SECTION("memory") {
    ClusterBatch b = nvl72_batch(1e9, 1.2, 72);
    b.hbm_bytes_per_chip << 1e6;  // 72 MB in all
    const ClusterResults r = evaluate_clusters(b);
    CHECK(r.limited_by[0] == static_cast<int>(ModelLimit::memory));
    CHECK(r.params[0] == Approx(72 * 1e6 * 0.75 / 16));
    CHECK(r.tokens[0] == Approx(r.train_flop[0] / (6 * r.params[0])));
  }
  SECTION("data") {
    ClusterBatch b = nvl72_batch(1e9, 1.2, 72000);
    b.max_tokens << 1e12;
    const ClusterResults r = evaluate_clusters(b);
    CHECK(r.limited_by[0] == static_cast<int>(ModelLimit::data));
    CHECK(r.params[0] == Approx(1e12 / 20));
    CHECK(r.tokens[0] == Approx(1e12));
    CHECK(r.model_train_flop[0] < r.train_flop[0]);
  }
}

TEST_CASE("a batch evaluates each column independently", "[estimator][model]") {
  ClusterBatch one = nvl72_batch(100e6, 1.2, 1e6);
  ClusterBatch two = nvl72_batch(100e6, 1.2, 1e6);
  ClusterBatch both(2);
#define CLUSTERCAP_STACK(name) both.name << one.name, nvl72_batch(50e6, 1.3, 5000).name;
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_STACK)
#undef CLUSTERCAP_STACK
  const ClusterResults r = evaluate_clusters(both);
  const ClusterResults first = evaluate_clusters(two);
  const ClusterResults second = evaluate_clusters(nvl72_batch(50e6, 1.3, 5000));
  CHECK(r.chips[0] == Approx(first.chips[0]));
  CHECK(r.chips[1] == Approx(second.chips[0]));
  CHECK(r.sustained_flops[1] == Approx(second.sustained_flops[0]));
}

TEST_CASE("the limits table keeps the output names and order chips, power, network, budget, wan",
          "[estimator][model]") {
  const std::vector<std::string> names(std::begin(kLimitNames), std::end(kLimitNames));
  CHECK(names == std::vector<std::string>{"chips", "power", "network", "budget", "wan"});
  for (std::size_t k = 0; k < kLimitCount; ++k) {
    CHECK(std::string(to_string(static_cast<Constraint>(k))) == kLimitNames[k]);
  }
  CHECK(std::string(to_string(static_cast<Constraint>(kLimitCount))) == "unknown");
}

TEST_CASE("the smallest limit of the table binds and ties go to the earlier constraint",
          "[estimator][model]") {
  for (std::size_t k = 0; k < kLimitCount; ++k) {
    double limits[kLimitCount];
    for (double& l : limits) l = 100;
    limits[k] = 50;
    CHECK(binding_constraint(limits) == static_cast<Constraint>(k));
    for (std::size_t later = k + 1; later < kLimitCount; ++later) {
      limits[later] = 50;  // a tie with a later constraint
      CHECK(binding_constraint(limits) == static_cast<Constraint>(k));
      limits[later] = 100;
    }
  }
  double none[kLimitCount];
  for (double& l : none) l = kNoLimit;
  CHECK(binding_constraint(none) == static_cast<Constraint>(0));
}
