// The sweep kernel's block statistics (Kernel::summarise, runtime-dispatched
// like draw and evaluate: estimator/sweep/kernel.cpp): counts, sketches and
// moments against a hand count, and the same bits from every version.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/sketch.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::sweep;

namespace {

// One block laid out as evaluate() writes it, and summarise()'s outputs.
struct Block {
  std::size_t A, R, M, stride;
  std::uint64_t n;
  std::vector<double> metrics, bindings;
  std::vector<char> derived;
  std::vector<std::uint64_t> binding_counts, exceed_counts;
  std::vector<QuantileSketch> sketches;
  std::vector<Moments> moments;

  Block(const Engine& engine, std::size_t block, std::uint64_t samples)
      : A(engine.actors()),
        R(engine.references().size()),
        M(kBaseMetrics + R),
        stride(block),
        n(samples),
        metrics(A * M * block, -7.0),  // past n: must not be read
        bindings(A * block, -7.0),
        derived(A * M, 0),
        binding_counts(A * model::kLimitCount, 0),
        exceed_counts(A * R, 0),
        sketches(A * M),
        moments(A * M, Moments{-1, -1, -1}) {}
  void summarise(Kernel& kernel) {
    kernel.summarise({metrics.data(), bindings.data(), stride, n, derived.data(),
                      binding_counts.data(), exceed_counts.data(), sketches.data(),
                      moments.data()});
  }
  std::vector<std::uint64_t> sketch_words() const {
    std::vector<std::uint64_t> words;
    for (const QuantileSketch& s : sketches) s.append_words(words);
    return words;
  }
};

}  // namespace

TEST_CASE("a block's binding counts, exceedances, sketches and moments are those counted by hand",
          "[sweep][kernel]") {
  const Scenario scenario = load_default_scenario(test::builtin_catalog());
  const Engine engine(scenario, test::builtin_catalog(), {});
  // 20 samples in a block of 24: two whole packs and a tail of four.
  Block b(engine, 24, 20);
  REQUIRE(b.A >= 1);
  REQUIRE(b.R >= 1);
  const std::size_t L = model::kLimitCount;
  for (std::size_t a = 0; a < b.A; ++a) {
    for (std::size_t m = 0; m < b.M; ++m) {
      // Metrics 1, 2, ..., 20; reference ratios 0.1, 0.2, ..., 2.0.
      const double scale = m >= kBaseMetrics ? 0.1 : 1.0;
      for (std::uint64_t i = 0; i < b.n; ++i)
        b.metrics[(a * b.M + m) * b.stride + i] = scale * static_cast<double>(i + 1);
    }
    for (std::uint64_t i = 0; i < b.n; ++i)
      b.bindings[a * b.stride + i] = static_cast<double>(i % L);
  }
  b.derived[0] = 1;  // actor 0's first metric is not summarised
  for (KernelChoice choice : {KernelChoice::best, KernelChoice::avx2, KernelChoice::baseline}) {
    INFO("kernel version " << kernel_variant(choice));
    Kernel kernel(engine, choice);
    Block block = b;
    block.summarise(kernel);
    block.summarise(kernel);  // counts and sketches add up, moments are replaced
    for (std::size_t a = 0; a < b.A; ++a) {
      // Constraint k binds at i = k, k + L, ... below 20; twice over.
      for (std::size_t k = 0; k < L; ++k)
        CHECK(block.binding_counts[a * L + k] == 2 * ((b.n - k + L - 1) / L));
      // Ratios 1.0 .. 2.0 reach their reference: 11 of them, twice over.
      for (std::size_t r = 0; r < b.R; ++r) CHECK(block.exceed_counts[a * b.R + r] == 22);
      for (std::size_t m = 0; m < b.M; ++m) {
        const std::size_t k = a * b.M + m;
        if (k == 0) {
          CHECK(block.sketches[k].count() == 0);
          CHECK(block.moments[k].n == Approx(-1.0));
          continue;
        }
        const double scale = m >= kBaseMetrics ? 0.1 : 1.0;
        CHECK(block.sketches[k].count() == 40);
        CHECK(block.sketches[k].min() == Approx(scale * 1.0));
        CHECK(block.sketches[k].max() == Approx(scale * 20.0));
        // 1..20: mean 21/2, sum of squared deviations 20 (20^2 - 1) / 12 = 665.
        CHECK(block.moments[k].n == Approx(20.0));
        CHECK(block.moments[k].mean == Approx(scale * 10.5).epsilon(1e-15));
        CHECK(block.moments[k].m2 == Approx(scale * scale * 665.0).epsilon(1e-14));
      }
    }
  }
}

TEST_CASE(
    "the kernel's AVX-512, AVX2 and baseline versions summarise a block to the same counts and "
    "bits",
    "[sweep][kernel][lanes]") {
  const Scenario scenario = load_default_scenario(test::builtin_catalog());
  const Engine engine(scenario, test::builtin_catalog(), {});
  Block b(engine, 1024, 1021);
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> spread(3.0, 4.0);
  for (std::size_t a = 0; a < b.A; ++a) {
    for (std::size_t m = 0; m < b.M; ++m) {
      for (std::uint64_t i = 0; i < b.n; ++i) {
        const double x = spread(rng);
        b.metrics[(a * b.M + m) * b.stride + i] = i % 17 == 0 ? 0.0 : x;
      }
    }
    for (std::uint64_t i = 0; i < b.n; ++i)
      b.bindings[a * b.stride + i] = static_cast<double>(rng() % model::kLimitCount);
  }
  std::vector<Block> blocks;
  for (KernelChoice choice : {KernelChoice::best, KernelChoice::avx2, KernelChoice::baseline}) {
    Kernel kernel(engine, choice);
    blocks.push_back(b);
    blocks.back().summarise(kernel);
  }
  INFO("kernel versions: " << kernel_variant(KernelChoice::best) << ", "
                           << kernel_variant(KernelChoice::avx2) << ", "
                           << kernel_variant(KernelChoice::baseline));
  for (std::size_t k = 1; k < 3; ++k) {
    CHECK(blocks[k].binding_counts == blocks[0].binding_counts);
    CHECK(blocks[k].exceed_counts == blocks[0].exceed_counts);
    CHECK(blocks[k].sketch_words() == blocks[0].sketch_words());
    CHECK(std::memcmp(blocks[k].moments.data(), blocks[0].moments.data(),
                      blocks[0].moments.size() * sizeof(Moments)) == 0);
  }
}
