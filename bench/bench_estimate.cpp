// Benchmark of the cluster model: candidates evaluated per second, as one
// batch versus one candidate per call, on the default scenario's candidates
// replicated to N columns. Prints ratios measured in the same run, since the
// machines are shared and absolute times are noisy.
//
//   ./build/bench/clustercap_bench_estimate [N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/model/cluster_batch.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"

using namespace clustercap;
using Clock = std::chrono::steady_clock;

namespace {

// A batch mixing the regimes the model meets: each column a different site
// power, so power, network and chip limits all bind somewhere.
model::ClusterBatch make_batch(Eigen::Index n) {
  model::ClusterBatch b(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const bool cm384 = i % 2 == 0;
    b.chips_held[i] = 50000.0 + static_cast<double>((i * 7919) % 600000);
    b.chips_per_system[i] = cm384 ? 384 : 8;
    b.system_it_power_w[i] = cm384 ? 559e3 : 10.2e3;
    b.system_includes_scaleout[i] = cm384 ? 1 : 0;
    b.endpoints_per_chip[i] = 1;
    b.site_power_w[i] = 20e6 + static_cast<double>((i * 104729) % 1000) * 1e6;
    b.pue[i] = 1.1 + 0.3 * static_cast<double>(i % 7) / 7.0;
    b.budget_usd[i] = model::kNoLimit;
    b.system_price_usd[i] = 0;
    b.peak_flops_per_chip[i] = cm384 ? 752e12 : 989.5e12;
    b.mfu[i] = cm384 ? 0.45 : 0.40;
    b.goodput[i] = 0.9;
    b.duration_s[i] = 180 * 86400.0;
    b.hbm_bytes_per_chip[i] = cm384 ? 128e9 : 80e9;
    b.bytes_per_param[i] = 16;
    b.activation_memory_fraction[i] = 0.25;
    b.max_tokens[i] = model::kNoLimit;
    b.fabric[static_cast<std::size_t>(i)].planes = 8;
  }
  return b;
}

model::ClusterBatch column(const model::ClusterBatch& b, Eigen::Index i) {
  model::ClusterBatch one(1);
#define CLUSTERCAP_COPY(name) one.name[0] = b.name[i];
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_COPY)
#undef CLUSTERCAP_COPY
  one.fabric[0] = b.fabric[static_cast<std::size_t>(i)];
  return one;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const Eigen::Index n = argc > 1 ? std::atol(argv[1]) : 200000;
  const model::ClusterBatch batch = make_batch(n);

  auto start = Clock::now();
  const model::ClusterResults batched = model::evaluate_clusters(batch);
  const double batch_s = seconds_since(start);

  start = Clock::now();
  double checksum = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    checksum += model::evaluate_clusters(column(batch, i)).sustained_flops[0];
  }
  const double single_s = seconds_since(start);

  const Catalog catalog = load_catalog(builtin_catalog_sources());
  const Scenario scenario = load_default_scenario(catalog);
  constexpr int kRuns = 200;
  start = Clock::now();
  for (int r = 0; r < kRuns; ++r) checksum += estimate(scenario, catalog).actors[0].cluster.chips;
  const double estimate_s = seconds_since(start) / kRuns;

  std::printf("cluster model, %ld candidates, 1 thread\n", static_cast<long>(n));
  std::printf("  batched:          %10.3g candidates/s\n", static_cast<double>(n) / batch_s);
  std::printf("  one per call:     %10.3g candidates/s\n", static_cast<double>(n) / single_s);
  std::printf("  ratio batched / one-per-call: %.2f\n", single_s / batch_s);
  std::printf("default scenario estimate (embedded catalog already parsed): %.3g ms\n",
              estimate_s * 1e3);
  std::printf("(checksum %.6g; batch sum %.6g)\n", checksum, batched.sustained_flops.sum());
  return 0;
}
