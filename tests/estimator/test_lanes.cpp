// The sweep kernel evaluates eight scenarios per pass (model::Pack). These
// tests hold each lane to what the one-scenario code computes: bit for bit
// for the model's equations, the draws and the table cells, and within
// rounding where packs use Eigen's vectorised log/exp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "estimator/model/cluster_row.hpp"
#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/distribution.hpp"
#include "estimator/scenario/random.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/sketch.hpp"
#include "estimator/training/mfu_fixed_point.hpp"
#include "tests/estimator/random_batch.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::model;

namespace {

// Lane l of every field from candidate first + l of the batch.
RowT<Pack> pack_rows(const ClusterBatch& b, Index first) {
  RowT<Pack> p = row_values<Pack>(b, first);
  for (int l = 1; l < kLanes; ++l) {
    const RowT<double> r = row_values<double>(b, first + l);
    for_each_field(p, r, [l](Pack& to, double from) { to[l] = from; });
  }
  return p;
}

}  // namespace

TEST_CASE("eight lanes of the cluster model equal eight one-scenario evaluations, bit for bit",
          "[lanes]") {
  std::mt19937_64 rng(8);
  ClusterBatch b = test::random_batch(rng, 800);
  // Widen what random_batch leaves fixed: failure models, data caps, copper
  // leaves, optics power, so every branch of the equations sees mixed lanes.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (Index i = 0; i < b.size(); ++i) {
    if (unit(rng) < 0.3) {
      b.interruptions_per_chip_day[i] = 1e-5 * unit(rng);
      b.restart_hours[i] = 0.5 * unit(rng);
      b.checkpoint_interval_hours[i] = 2 * unit(rng);
    }
    if (unit(rng) < 0.3) b.max_tokens[i] = std::pow(10.0, 11 + 3 * unit(rng));
    auto& f = b.fabric[static_cast<std::size_t>(i)];
    f.copper_first_tier = unit(rng) < 0.3;
    f.nic_transceiver_w = 4 + 12 * unit(rng);
    f.switch_transceiver_w = 8 + 20 * unit(rng);
    if (unit(rng) < 0.1) b.chips_held[i] = 0;
  }
  int checked = 0;
  for (Index first = 0; first + kLanes <= b.size(); first += kLanes) {
    const RowT<Pack> p = pack_rows(b, first);
    const AssembledT<Pack> a = assemble_t(p);
    const OutcomeT<Pack> o = outcome_t(p, a.chips);
    for (int l = 0; l < kLanes; ++l) {
      const RowT<double> r = row_values<double>(b, first + l);
      const AssembledT<double> sa = assemble_t(r);
      const OutcomeT<double> so = outcome_t(r, sa.chips);
      INFO("candidate " << first + l);
      for (std::size_t k = 0; k < kLimitCount; ++k) CHECK(a.limits[k][l] == sa.limits[k]);
      CHECK(a.binding[l] == sa.binding);
      CHECK(a.chips[l] == sa.chips);
      CHECK(a.fabric.switches[l] == sa.fabric.switches);
      CHECK(a.fabric.switch_transceivers[l] == sa.fabric.switch_transceivers);
      CHECK(a.it_power_w[l] == sa.it_power_w);
      CHECK(a.facility_power_w[l] == sa.facility_power_w);
      CHECK(o.goodput[l] == so.goodput);
      CHECK(o.sustained_flops[l] == so.sustained_flops);
      CHECK(o.train_flop[l] == so.train_flop);
      CHECK(o.params[l] == so.params);
      CHECK(o.tokens[l] == so.tokens);
      CHECK(o.limited_by[l] == so.limited_by);
      ++checked;
    }
  }
  CHECK(checked == 800);
}

TEST_CASE("sizing with known limits or a stop bound is the same path as assembling from scratch",
          "[lanes][model]") {
  // The sweep kernel sizes candidates through sizing_t, passing the limits it
  // has cached as known and pruning through the stop bound; the winners are
  // then assembled from the limits it found. Each must give what assemble_t
  // computes from nothing, lane for lane.
  std::mt19937_64 rng(31);
  const ClusterBatch b = test::random_batch(rng, 400);
  int stopped = 0;
  for (Index first = 0; first + kLanes <= b.size(); first += kLanes) {
    const RowT<Pack> p = pack_rows(b, first);
    const AssembledT<Pack> fresh = assemble_t(p);
    KnownLimitsT<Pack> known;
    for (std::size_t k = 0; k < kLimitCount; ++k) {
      known.systems[k] = fresh.limits[k];
      known.have[k] = rng() % 2 == 0;
    }
    const SizedT<Pack> sized = sizing_t(p, &known);
    Pack cheap = splat<Pack>(kNoLimit);
    for (std::size_t k = 0; k < kLimitCount; ++k) {
      if (kLimitCosts[k] == LimitCost::cheap || known.have[k]) cheap = vmin(cheap, fresh.limits[k]);
    }
    Pack bound{};
    const SizedT<Pack> pruned = sizing_t(p, &known, [&](const Pack& b_) {
      bound = b_;
      return true;
    });
    for (std::size_t k = 0; k < kLimitCount; ++k) known.have[k] = true;
    const AssembledT<Pack> given = assemble_t(p, &known);
    CHECK(pruned.stopped);
    stopped += pruned.stopped ? 1 : 0;
    for (int l = 0; l < kLanes; ++l) {
      INFO("candidate " << first + l);
      CHECK_FALSE(sized.stopped);
      CHECK(sized.systems[l] == fresh.systems[l]);
      CHECK(fresh.systems[l] == fresh.limits[static_cast<std::size_t>(fresh.binding[l])][l]);
      for (std::size_t k = 0; k < kLimitCount; ++k) CHECK(sized.limits[k][l] == fresh.limits[k][l]);
      CHECK(bound[l] == cheap[l]);
      CHECK(pruned.systems[l] == cheap[l]);
      CHECK(given.binding[l] == fresh.binding[l]);
      CHECK(given.chips[l] == fresh.chips[l]);
      CHECK(given.it_power_w[l] == fresh.it_power_w[l]);
    }
  }
  CHECK(stopped == 50);
}

TEST_CASE("pack helpers round, floor and compare as the standard library does", "[lanes]") {
  const Pack x = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.49999999999999956, 1e300, -0.0};
  const Pack r = vround(x), f = vfloor(x), c = vceil(x);
  for (int l = 0; l < kLanes; ++l) {
    CHECK(r[l] == std::round(x[l]));
    CHECK(f[l] == std::floor(x[l]));
    CHECK(c[l] == std::ceil(x[l]));
  }
  CHECK(any(x > 1e299));
  CHECK_FALSE(all(x > 0.0));
  CHECK(all(x < 1e301));
}

namespace {

std::uint64_t bit_pattern(double x) {
  std::uint64_t u = 0;
  std::memcpy(&u, &x, sizeof u);
  return u;
}

}  // namespace

// A portable build's packs floor and ceil without libm (lanes.hpp: adding and
// subtracting 2^52); the bit patterns must still be std::floor's and
// std::ceil's, signed zeros included, at every magnitude.
TEST_CASE("pack floor, ceil and round equal the standard library's bit for bit at every magnitude",
          "[lanes]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double two52 = 4503599627370496.0;
  std::vector<double> x = {0.0,
                           -0.0,
                           0.5,
                           -0.5,
                           0.49999999999999994,
                           -0.49999999999999994,
                           0.7,
                           -0.7,
                           2.5,
                           -2.5,
                           two52 - 0.5,
                           -(two52 - 0.5),
                           two52,
                           -two52,
                           2 * two52 + 2,
                           -(2 * two52 + 2),
                           inf,
                           -inf,
                           4.9e-324,
                           -4.9e-324,
                           1e300,
                           -1e300,
                           0.9999999999999999,
                           -0.9999999999999999};
  std::mt19937_64 rng(52);
  std::uniform_real_distribution<double> unit(-1.0, 1.0), scale(-40.0, 60.0);
  for (int i = 0; i < 20000; ++i) x.push_back(unit(rng) * std::pow(2.0, scale(rng)));
  for (int i = 0; i < 2000; ++i) x.push_back(std::floor(unit(rng) * 1e6) + 0.5 * (i % 3 - 1));
  while (x.size() % kLanes != 0) x.push_back(1.0);
  int mismatches = 0;
  for (std::size_t i = 0; i < x.size(); i += kLanes) {
    const Pack p = load(&x[i]);
    const Pack f = vfloor(p), c = vceil(p), r = vround(p);
    for (int l = 0; l < kLanes; ++l) {
      const double v = x[i + static_cast<std::size_t>(l)];
      mismatches += bit_pattern(f[l]) != bit_pattern(std::floor(v));
      mismatches += bit_pattern(c[l]) != bit_pattern(std::ceil(v));
      mismatches += bit_pattern(r[l]) != bit_pattern(std::round(v));
    }
  }
  CHECK(mismatches == 0);
  const Pack nan = splat<Pack>(std::numeric_limits<double>::quiet_NaN());
  CHECK(std::isnan(vfloor(nan)[3]));
  CHECK(std::isnan(vceil(nan)[5]));
}

// The rows and limits the sweep kernel keeps are read by its AVX2 version
// with 32-byte-aligned moves (estimator/sweep/kernel.cpp).
TEST_CASE("structs of packs are 64-byte aligned whatever the instruction set", "[lanes][sweep]") {
  STATIC_REQUIRE(alignof(RowT<Pack>) == 64);
  STATIC_REQUIRE(alignof(KnownLimitsT<Pack>) == 64);
  std::vector<RowT<Pack>> rows(3);
  for (const RowT<Pack>& r : rows) CHECK(reinterpret_cast<std::uintptr_t>(&r) % 64 == 0);
}

// A portable build picks the kernel's AVX2 version at run time where the CPU
// has AVX2; a native build has one version for this machine.
TEST_CASE("the sweep kernel runs AVX2 or better code on a CPU with AVX2", "[lanes][sweep]") {
  const std::string variant = clustercap::sweep::kernel_variant();
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) {
    CHECK(variant.find("avx") != std::string::npos);
  } else {
    CHECK(variant == "baseline");
  }
}

// The portable build's versions of the kernel (AVX-512, AVX2 and baseline,
// estimator/sweep/kernel.cpp) on the same samples: every draw (against
// draw_values, the out-of-line form), metric, binding constraint and winner
// bit for bit. Versions the CPU lacks fall back to the
// baseline, and then the comparison holds trivially.
TEST_CASE(
    "the kernel's AVX-512, AVX2 and baseline versions draw and evaluate sweep samples to the same "
    "bits",
    "[lanes][sweep]") {
  using namespace clustercap::sweep;
  const Scenario scenario = load_default_scenario(test::builtin_catalog());
  const Engine engine(scenario, test::builtin_catalog(), {});
  const Copula copula = make_copula(scenario);
  const KernelChoice choices[] = {KernelChoice::best, KernelChoice::avx2, KernelChoice::baseline};
  std::vector<Kernel> kernels;
  for (KernelChoice choice : choices) kernels.emplace_back(engine, choice);
  INFO("kernel versions: " << kernel_variant(choices[0]) << ", " << kernel_variant(choices[1])
                           << ", " << kernel_variant(choices[2]));
  const std::size_t A = engine.actors();
  const std::size_t M = kBaseMetrics + engine.references().size();
  constexpr std::size_t kSamples = 4096;
  std::vector<std::vector<double>> metrics(3, std::vector<double>(A * M * kSamples));
  std::vector<std::vector<double>> bindings(3, std::vector<double>(A * kSamples));
  std::vector<Pack> values, scratch;
  std::vector<std::vector<Pack>> drawn(3);
  int winners_differ = 0, draws_differ = 0;
  for (std::size_t s = 0; s < kSamples; s += kLanes) {
    draw_values(scenario, copula, 11, s, values, scratch);
    for (std::size_t k = 0; k < 3; ++k) {
      kernels[k].draw(scenario, copula, 11, s, drawn[k]);
      REQUIRE(drawn[k].size() == values.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        for (int l = 0; l < kLanes; ++l) {
          draws_differ += bit_pattern(drawn[k][i][l]) != bit_pattern(values[i][l]);
        }
      }
      kernels[k].evaluate(drawn[k], metrics[k].data(), bindings[k].data(), kSamples, s);
    }
    for (std::size_t k = 1; k < 3; ++k) {
      for (std::size_t a = 0; a < A; ++a) {
        for (int l = 0; l < kLanes; ++l) {
          winners_differ += kernels[0].winner(a, l) != kernels[k].winner(a, l);
          winners_differ +=
              bit_pattern(kernels[0].winner_mfu(a, l)) != bit_pattern(kernels[k].winner_mfu(a, l));
        }
      }
    }
  }
  CHECK(draws_differ == 0);
  CHECK(winners_differ == 0);
  for (std::size_t k = 1; k < 3; ++k) {
    CHECK(std::memcmp(metrics[0].data(), metrics[k].data(), metrics[0].size() * sizeof(double)) ==
          0);
    CHECK(std::memcmp(bindings[0].data(), bindings[k].data(),
                      bindings[0].size() * sizeof(double)) == 0);
  }
}

TEST_CASE("eight draws at once equal eight draws one at a time", "[lanes][sweep]") {
  using namespace clustercap::sweep;
  const std::vector<Distribution> dists = {make_uniform(2, 7),
                                           make_triangular(1, 2, 9),
                                           make_pert(0.3, 0.45, 0.52, 4),
                                           make_choice({1, 5, 9}, {1, 2, 3}),
                                           make_normal(10, 2, -INFINITY, INFINITY),
                                           make_normal(10, 2, 8, 15),
                                           make_lognormal(12, 0.4)};
  for (std::uint64_t first : {0ULL, 8ULL, 123456ULL}) {
    const PackU64 keys = sample_keys(99, first);
    for (std::uint64_t input = 0; input < 3; ++input) {
      const Pack u = uniform_at(keys, input);
      for (int l = 0; l < kLanes; ++l)
        REQUIRE(u[l] == uniform(99, first + static_cast<std::uint64_t>(l), input));
      for (const Distribution& d : dists) {
        const Pack x = d.quantile(u);
        for (int l = 0; l < kLanes; ++l) {
          INFO(to_string(d.kind) << " at u = " << u[l]);
          const double one = d.quantile(u[l]);
          // Exact where no logarithm or exponential is involved.
          if (d.kind == DistKind::lognormal || d.kind == DistKind::normal) {
            CHECK(x[l] == Approx(one).epsilon(1e-13));
          } else {
            CHECK(x[l] == one);
          }
        }
      }
    }
  }
  // Tails, where the inverse normal takes logarithms.
  const Pack tails = {1e-300, 1e-12, 1e-4, 0.02, 0.98, 1 - 1e-4, 1 - 1e-12, 0.5};
  const Pack z = sweep::normal_quantile(tails);
  for (int l = 0; l < kLanes; ++l)
    CHECK(z[l] == Approx(sweep::normal_quantile(tails[l])).epsilon(1e-13));
}

TEST_CASE("eight MFU look-ups match one at a time, and the cell bound holds", "[lanes][mfu]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::vector<double> chips = {8, 64, 512, 4096, 32768, 262144, 1e6};
  const std::vector<double> c1 = {1e22, 1e24, 1e26, 1e28};
  std::vector<double> mfu;
  for (std::size_t k = 0; k < chips.size() * c1.size(); ++k) mfu.push_back(0.1 + 0.5 * unit(rng));
  const training::MfuTable table(chips, c1, mfu);
  for (int round = 0; round < 200; ++round) {
    Pack x, y;
    for (int l = 0; l < kLanes; ++l) {
      x[l] = std::pow(10.0, 6.5 * unit(rng));  // beyond both ends too
      y[l] = std::pow(10.0, 21 + 8 * unit(rng));
    }
    if (round == 0) {
      x[0] = chips[3];  // on nodes: exactly the node value
      y[0] = c1[2];
    }
    const Pack m = table.at(x, y);
    const Pack bound = table.bound(x, y);
    for (int l = 0; l < kLanes; ++l) {
      CHECK(m[l] == Approx(table.at(x[l], y[l])).epsilon(1e-12));
      CHECK(m[l] <= bound[l] * (1 + 1e-12));
      CHECK(table.bound(x[l], y[l]) == bound[l]);
    }
    if (round == 0) CHECK(m[0] == table.node(3, 2));
  }
}

TEST_CASE("a sketch fed in parts over different ranges equals one fed everything",
          "[sweep][sketch]") {
  using clustercap::sweep::QuantileSketch;
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> wide(10, 6);
  QuantileSketch all, low, high;
  for (int i = 0; i < 20000; ++i) {
    const double v = wide(rng);
    all.add(v);
    (v < 1e4 ? low : high).add(v);
  }
  high.add(0.0);
  all.add(0.0);
  QuantileSketch merged;
  merged.merge(high);
  merged.merge(low);
  for (double q : {0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0})
    CHECK(merged.quantile(q) == all.quantile(q));
  CHECK(merged.count() == all.count());
}
