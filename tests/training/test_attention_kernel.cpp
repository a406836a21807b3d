// The attention kernel's own forward and backward efficiency and a selective
// policy's recomputed share of the linear matmuls (issue 15; the case keys
// attention_forward_efficiency, attention_backward_efficiency and
// recompute_matmul_share, docs/validation-cases.md).
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "estimator/training/fitted_constants.hpp"
#include "estimator/training/step_model.hpp"
#include "estimator/validate.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

// Llama 3.1 8B at 8,192 tokens (torchtitan's llama3_8b.toml) on 8 H100s
// with FSDP, recompute and attention keys in `recipe`.
std::string llama8b_case(const std::string& recipe) {
  return "[[case]]\nid = \"tt-8b\"\nsource = \"test\"\nchip = \"nvidia_h100_sxm\"\n"
         "scaleup_domain = 8\nscaleout_gbps = 400\nchips = 8\ntp = 1\npp = 1\nzero = 3\n" +
         recipe +
         "reported_tokens_per_s_per_chip = 6667\nreported_basis = \"tokens\"\n"
         "[case.workload]\nlayers = 32\nhidden = 4096\nheads = 32\nkv_heads = 8\nffn = 14336\n"
         "gated_mlp = true\ntied_embeddings = false\nseq_len = 8192\nvocab = 128256\n"
         "global_batch_tokens = 131072\n";
}

ValidationCase load_one(const std::string& text) {
  const auto cases = load_validation_cases("cases.toml", text, test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  return cases[0];
}

Layout fsdp8(Recompute recompute) {
  Layout l;
  l.dp = 8;
  l.zero = 3;
  l.recompute = recompute;
  return l;
}

// The step of the Llama case on fsdp8(selective), without and with `keys`.
std::pair<StepBreakdown, StepBreakdown> selective_steps(const std::string& keys) {
  const ValidationCase plain = load_one(llama8b_case("recompute = \"selective\"\n"));
  const ValidationCase keyed = load_one(llama8b_case("recompute = \"selective\"\n" + keys));
  const Layout l = fsdp8(Recompute::selective);
  const StepBreakdown without = evaluate_layout(plain.workload, plain.machine, l);
  const StepBreakdown with = evaluate_layout(keyed.workload, keyed.machine, l);
  REQUIRE(without.valid);
  REQUIRE(with.valid);
  return {without, with};
}

// The input errors of the Llama case with `recipe`.
std::vector<std::string> errors_for(const std::string& recipe) {
  return test::error_lines(
      [&] { load_validation_cases("cases.toml", llama8b_case(recipe), test::builtin_catalog()); });
}

}  // namespace

TEST_CASE(
    "a causal flash kernel runs half the attention FLOPs, its backward 2.5 forwards, at "
    "its own forward and backward shares of the BF16 peak",
    "[training][attention_kernel]") {
  // One Llama 3.1 8B layer, one 8,192-token sequence: scores and context
  // 4 s^2 d_head heads = 4 x 8192^2 x 128 x 32 = 1.0995e12 FLOPs forward.
  const double forward_flop = 4.0 * 8192.0 * 8192.0 * 128.0 * 32.0;
  const double peak = 989.5e12;  // H100 SXM dense BF16
  const double gemm = 6e14;      // any GEMM rate: the results are divided by it
  Machine m;
  m.attention_forward_efficiency = 0.337;   // FA2 causal forward, 333 / 989.5
  m.attention_backward_efficiency = 0.321;  // FA2 backward, 318 / 989.5
  // 0.5 x 1.0995e12 / (0.337 x 989.5e12) = 1.6486 ms forward,
  // 2.5 x 0.5 x 1.0995e12 / (0.321 x 989.5e12) = 4.3270 ms backward.
  CHECK(attention_core_gemm_flop(m, forward_flop, Recompute::none, gemm, peak) / gemm ==
        Approx(5.9757e-3).epsilon(1e-4));
  // Selective recompute adds nothing: the kernel recomputes the scores in
  // its backward; full recompute runs the forward once more.
  CHECK(attention_core_gemm_flop(m, forward_flop, Recompute::selective, gemm, peak) / gemm ==
        Approx(5.9757e-3).epsilon(1e-4));
  CHECK(attention_core_gemm_flop(m, forward_flop, Recompute::full, gemm, peak) / gemm ==
        Approx(7.6243e-3).epsilon(1e-4));
  // Without kernel figures every FLOP runs at the GEMM rate: 3 forwards,
  // 4 with selective (the attention core recomputed).
  const Machine plain;
  CHECK(attention_core_gemm_flop(plain, forward_flop, Recompute::none, gemm, peak) / gemm ==
        Approx(3 * 1.0995116e12 / 6e14).epsilon(1e-6));
  CHECK(attention_core_gemm_flop(plain, forward_flop, Recompute::selective, gemm, peak) / gemm ==
        Approx(4 * 1.0995116e12 / 6e14).epsilon(1e-6));
}

TEST_CASE(
    "a case's attention efficiencies reach the step: Llama 3.1 8B on 8 H100s loses the "
    "hand-derived attention time difference",
    "[training][attention_kernel]") {
  const auto [a, b] = selective_steps(
      "attention_forward_efficiency = 0.337\nattention_backward_efficiency = 0.321\n");
  // 16 sequences over 8 chips, microbatch 1: 2 microbatches of 32 layers.
  // GEMM path, selective: 4 x 1.0995e12 / (989.5e12 x 0.66 x 4096 / 4476)
  // = 7.3592 ms a layer; FA2 figures: 5.9757 ms (above).
  const double per_layer_gemm_s =
      4 * 1.0995116e12 / (989.5e12 * calibrated::kMatmulCeiling * 4096 / (4096 + 380));
  CHECK(per_layer_gemm_s == Approx(7.3592e-3).epsilon(1e-4));
  CHECK(a.compute_s - b.compute_s == Approx(2 * 32 * (per_layer_gemm_s - 5.9757e-3)).epsilon(1e-3));
}

TEST_CASE(
    "torchtitan's op-level checkpointing recomputes every second matmul: wk, wo and w3, "
    "36.5% of Llama 3.1 8B's linear FLOPs, at the linear rate",
    "[training][attention_kernel][recompute]") {
  // Forward mm order in a block: wq, wk, wv, wo, w1, w3, w2; the policy
  // saves odd-numbered ones. Recomputed widths 4096 x (1024 + 4096 + 14336)
  // = 79.7M of 4096 x (4096 + 2 x 1024 + 4096 + 3 x 14336) = 218.1M: 0.36538.
  const auto [a, b] = selective_steps("recompute_matmul_share = 0.36538\n");
  // 2 x 8192 x 79,691,776 = 1.30567e12 FLOPs a layer a sequence, 64
  // layer-microbatches, at 989.5e12 x 0.66 x 4096 / 4476 = 597.63 TFLOP/s.
  const double linear_rate = 989.5e12 * calibrated::kMatmulCeiling * 4096 / (4096 + 380);
  CHECK(b.compute_s - a.compute_s == Approx(64 * 1.30567e12 / linear_rate).epsilon(1e-4));
  // Full recompute already recomputes every matmul: the share adds nothing.
  const ValidationCase plain = load_one(llama8b_case(""));
  const ValidationCase op = load_one(llama8b_case("recompute_matmul_share = 0.36538\n"));
  CHECK(op.machine.recompute_matmul_share == Approx(0.36538));
  const Layout full = fsdp8(Recompute::full);
  CHECK(evaluate_layout(op.workload, op.machine, full).compute_s ==
        Approx(evaluate_layout(plain.workload, plain.machine, full).compute_s));
}

TEST_CASE(
    "attention efficiencies come in pairs and the matmul share cannot go with full "
    "recompute",
    "[training][attention_kernel][validate]") {
  CHECK(errors_for("attention_forward_efficiency = 0.337\n") ==
        std::vector<std::string>{
            "cases.toml:11:32: case.attention_forward_efficiency = 0.337: needs "
            "attention_forward_efficiency and attention_backward_efficiency together"});
  CHECK(errors_for("recompute = \"full\"\nrecompute_matmul_share = 0.5\n") ==
        std::vector<std::string>{
            "cases.toml:12:26: case.recompute_matmul_share = 0.5: must be unset with "
            "recompute = \"full\" (it recomputes every matmul)"});
  // Out of range: the reader's own rule, and no pairing complaint.
  CHECK(errors_for("attention_forward_efficiency = 1.5\nattention_backward_efficiency = 0.3\n") ==
        std::vector<std::string>{
            "cases.toml:11:32: case.attention_forward_efficiency = 1.5: must be in (0, 1]"});
}
