// Random but valid candidate clusters for property tests.
#pragma once

#include <cmath>
#include <random>

#include "estimator/model/cluster_batch.hpp"

namespace clustercap::test {

// A random but valid candidate: packaging, power and fabric drawn widely.
inline model::ClusterBatch random_batch(std::mt19937_64& rng, int n) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double cps_choices[] = {1, 8, 36, 72, 384};
  model::ClusterBatch b(n);
  for (int i = 0; i < n; ++i) {
    const double cps = cps_choices[rng() % 5];
    b.chips_held[i] = std::floor(std::pow(10.0, 2 + 4.5 * unit(rng)));
    b.chips_per_system[i] = cps;
    b.system_it_power_w[i] = cps * (300 + 2500 * unit(rng));
    b.system_includes_scaleout[i] = unit(rng) < 0.3 ? 1 : 0;
    b.endpoints_per_chip[i] = unit(rng) < 0.8 ? 1 : 2;
    b.site_power_w[i] = std::pow(10.0, 5 + 4 * unit(rng));
    b.pue[i] = 1 + 0.6 * unit(rng);
    b.budget_usd[i] = unit(rng) < 0.5 ? model::kNoLimit : std::pow(10.0, 6 + 5 * unit(rng));
    b.system_price_usd[i] = cps * (5000 + 40000 * unit(rng));
    b.peak_flops_per_chip[i] = 1e14 + 3e15 * unit(rng);
    b.mfu[i] = 0.2 + 0.4 * unit(rng);
    b.goodput[i] = 0.7 + 0.3 * unit(rng);
    b.duration_s[i] = 86400 * (10 + 300 * unit(rng));
    b.hbm_bytes_per_chip[i] = 1e9 * (16 + 256 * unit(rng));
    b.bytes_per_param[i] = 16;
    b.activation_memory_fraction[i] = 0.25;
    b.max_tokens[i] = model::kNoLimit;
    auto& f = b.fabric[static_cast<std::size_t>(i)];
    const double radices[] = {16, 32, 64, 128};
    f.switch_radix = radices[rng() % 4];
    f.max_tiers = 1 + static_cast<int>(rng() % 4);
    f.planes = 1 + static_cast<int>(rng() % 8);
    f.switch_w = 200 + 1500 * unit(rng);
  }
  return b;
}

}  // namespace clustercap::test
