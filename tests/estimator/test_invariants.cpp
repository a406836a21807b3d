// Property tests over random valid inputs: monotonicity of the cluster
// model, consistency of reported totals, and estimate = point-value sweep.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

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
    CHECK(r1.limit[static_cast<std::size_t>(Constraint::power)][i] >= r0.limit[static_cast<std::size_t>(Constraint::power)][i]);
    CHECK(r2.chips[i] <= r0.chips[i]);
    CHECK(r2.limit[static_cast<std::size_t>(Constraint::power)][i] <= r0.limit[static_cast<std::size_t>(Constraint::power)][i]);
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
    CHECK(c["chips"].get<double>() == c["systems"].get<double>() * c["chips_per_system"].get<double>());
    CHECK(c["facility_power_mw"].get<double>() ==
          Approx(c["it_power_mw"].get<double>() * c["pue"].get<double>()));
    CHECK(c["sustained_flops"].get<double>() ==
          Approx(c["peak_flops"].get<double>() * c["mfu"].get<double>() * actor["training"]["goodput"].get<double>()));
  }
}

TEST_CASE("estimate equals a point-value sweep on random scenarios", "[invariants]") {
  std::mt19937_64 rng(5);
  for (int k = 0; k < 10; ++k) {
    const int power = 5 + static_cast<int>(rng() % 500);
    const int count = 1000 + static_cast<int>(rng() % 400000);
    const std::string text = "[scenario]\nname = \"p\"\n[training]\nduration_days = 90\n"
                             "[[actor]]\nname = \"a\"\n[[actor.site]]\nname = \"s\"\npower_mw = " +
                             std::to_string(power) + "\npue = 1.25\n[[actor.inventory]]\nchip = \"huawei_ascend_910c\"\n"
                             "count = " + std::to_string(count) + "\n";
    const Scenario s = load_scenario_text("p.toml", text, test::builtin_catalog());
    const EstimateResult e = estimate(s, test::builtin_catalog());
    const sweep::SweepResult r = sweep::run_sweep(s, test::builtin_catalog(), sweep::SweepOptions{});
    INFO("power " << power << " count " << count);
    CHECK(r.points[0].actors[0].metrics[0].mean == e.actors[0].cluster.chips);
    CHECK(r.points[0].actors[0].metrics[2].mean == e.actors[0].cluster.sustained_flops);
  }
}
