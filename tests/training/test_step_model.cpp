// Training-time model: hand derivations from Narayanan et al. 2021, the
// mixed-precision Adam state size, Llama 3's failure record, and agreement
// with published runs.
#include <cmath>

#include <catch2/catch.hpp>

#include "estimator/estimate.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/training/goodput.hpp"
#include "estimator/training/search.hpp"
#include "estimator/training/validate.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

Workload gpt3() {
  Workload w;
  w.layers = 96;
  w.hidden = 12288;
  w.heads = 96;
  w.kv_heads = 96;
  w.ffn = 4 * 12288;
  w.seq_len = 2048;
  w.vocab = 51200;
  w.global_batch_tokens = 1536 * 2048.0;
  w.params = 175e9;
  w.active_params = 175e9;
  return w;
}

Machine a100s(int chips) {
  Machine m;
  m.chips = chips;
  m.peak_flops = 312e12;
  m.hbm_bytes = 80e9;
  m.hbm_bytes_per_s = 2.039e12;
  m.scaleup_bytes_per_s = 300e9;
  m.scaleup_domain = 8;
  m.scaleout_bytes_per_s = 25e9;
  return m;
}

}  // namespace

TEST_CASE("a GPT-3 175B step costs Megatron's FLOP count", "[training]") {
  // 96 B s l h^2 (1 + s / 6h + V / 16lh) with B = 1,536, s = 2,048, l = 96,
  // h = 12,288, V = 51,200: 96 x 1536 x 2048 x 96 = 2.8991e10; x 12288^2 =
  // 4.3774e18; x (1 + 0.027778 + 0.002713) = 4.5110e18.
  const double expected = 96.0 * 1536 * 2048 * 96 * 12288.0 * 12288.0 *
                          (1 + 2048.0 / (6 * 12288) + 51200.0 / (16 * 96 * 12288));
  CHECK(megatron_flop_per_iteration(1536, 2048, 96, 12288, 51200) == Approx(expected));
  CHECK(expected == Approx(4.5110e18).epsilon(1e-4));
  // Without the recompute pass the model FLOPs are three quarters of it (the
  // logits term differs by 1.5 h V per token, under 0.1%).
  CHECK(model_flop_per_step(gpt3()) == Approx(0.75 * expected).epsilon(2e-3));
}

TEST_CASE("the pipeline bubble is (p - 1) / (v m) of the compute", "[training]") {
  Workload w = gpt3();
  Layout l;
  l.tp = 1;
  l.pp = 4;
  l.dp = 1;
  l.microbatch = 1;
  l.interleave = 2;
  l.recompute = Recompute::full;
  Machine m = a100s(4);
  m.hbm_bytes = 1e15;  // only the timing matters here
  w.global_batch_tokens = 32 * 2048.0;  // m = 32 microbatches
  const StepBreakdown r = evaluate_layout(w, m, l);
  REQUIRE(r.valid);
  // No TP or EP traffic at tp = 1: bubble / compute = (4 - 1) / (2 x 32).
  CHECK(r.bubble_s / r.compute_s == Approx(3.0 / 64));
}

TEST_CASE("mixed-precision Adam keeps 16 bytes per parameter", "[training]") {
  Workload w = gpt3();
  w.seq_len = 1;  // activations negligible
  w.global_batch_tokens = 1;
  Layout l;
  l.distributed_optimizer = false;
  l.recompute = Recompute::full;
  CHECK(memory_per_chip(w, l) == Approx(16 * 175e9).epsilon(1e-6));
  // Sharding the 12 optimizer bytes over 8-way DP leaves 4 + 12/8 = 5.5.
  l.distributed_optimizer = true;
  l.dp = 8;
  CHECK(memory_per_chip(w, l) == Approx(5.5 * 175e9).epsilon(1e-6));
}

TEST_CASE("Llama 3's failure record gives about 90% goodput", "[training]") {
  // 419 interruptions in 54 days on 16,384 GPUs: 0.3233 per hour. With
  // 10-minute restarts and 20-minute checkpoints (10 minutes lost on average)
  // goodput = 1 / (1 + 0.3233 x 0.3333) = 0.903, matching the reported >90%.
  FailureModel f{419.0 / (54 * 16384), 10.0 / 60, 20.0 / 60};
  CHECK(goodput_from_failures(f, 16384) == Approx(1 / (1 + 419.0 / (54 * 24) * (20.0 / 60))));
  CHECK(goodput_from_failures(f, 16384) > 0.9);
  CHECK(goodput_from_failures(f, 1024) > goodput_from_failures(f, 16384));
}

TEST_CASE("the search finds a fitting layout and is thread-count independent", "[training]") {
  const SearchResult one = search_layouts(gpt3(), a100s(1024), 3, 1);
  const SearchResult two = search_layouts(gpt3(), a100s(1024), 3, 2);
  REQUIRE_FALSE(one.best.empty());
  CHECK(one.evaluated == two.evaluated);
  CHECK(one.best.front().second.step_s == two.best.front().second.step_s);
  CHECK(one.best.front().first.tp * one.best.front().first.pp * one.best.front().first.dp == 1024);
  CHECK(one.best.front().second.fits);
  CHECK(one.best.front().second.mfu > 0.3);
  CHECK(one.best.front().second.mfu < 0.7);
}

TEST_CASE("published runs are predicted within the stated errors", "[training][validate]") {
  const auto cases = load_validation_cases("published-runs.toml", default_validation_text(), test::builtin_catalog());
  const ValidationResult r = run_validation(cases, 1);
  REQUIRE(r.rows.size() >= 10);
  CHECK(r.median_abs_error <= 0.10);
  CHECK(r.worst_abs_error <= 0.25);
  // Where the paper reports MFU, the search finds at least that minus 5 points.
  for (const auto& row : r.rows) {
    if (row.basis != "model") continue;
    INFO(row.id);
    CHECK(row.mfu_searched >= row.reported - 0.05);
  }
}

TEST_CASE("a workload too large for the cluster says what it needs", "[training]") {
  const std::string text = R"([scenario]
name = "too big"
[training]
duration_days = 30
[[actor]]
name = "lab"
[[actor.site]]
name = "dc"
power_mw = 1
pue = 1.2
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 8
[workload]
name = "GPT-3"
layers = 96
hidden = 12288
heads = 96
seq_len = 2048
vocab = 51200
tokens = 300e9
global_batch_tokens = 3145728
)";
  const Scenario s = load_scenario_text("big.toml", text, test::builtin_catalog());
  const EstimateResult e = estimate(s, test::builtin_catalog());
  const TrainingResult& t = e.actors[0].training;
  CHECK(t.has_workload);
  CHECK_FALSE(t.workload_fits);
  // 175B x (4 + 12/1) bytes over at most 8 chips (TP 8) > 80 GB.
  CHECK(t.min_memory_per_chip_bytes > t.hbm_per_chip_bytes);
  CHECK(t.hbm_per_chip_bytes == Approx(80e9));
}
