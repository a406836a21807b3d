// Mixture-of-experts and MLA equations (estimator/training/moe.hpp), each
// against a hand derivation: DeepSeek-V3's published totals, MLA's
// projections, the all-to-all's bytes and time, routing imbalance on the
// expert GEMMs only, the grouped-GEMM curve, and the case keys.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/training/moe.hpp"
#include "estimator/validate.hpp"
#include "tests/support.hpp"
#include "tests/training/reference_shapes.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

std::string read_config(const std::string& relative) {
  std::ifstream in(std::filesystem::path(CLUSTERCAP_SOURCE_DIR) / relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string moe_case(const std::string& extra) {
  return "[[case]]\nid = \"moe\"\nsource = \"test\"\nchip = \"nvidia_h100_sxm\"\n"
         "scaleup_domain = 8\nscaleout_gbps = 400\nchips = 16\ntp = 2\npp = 2\n" +
         extra +
         "reported_tokens_per_s_per_chip = 1000\nreported_basis = \"tokens\"\n"
         "[case.workload]\nlayers = 8\nhidden = 1024\nheads = 8\nffn = 4096\nexperts = 8\n"
         "experts_per_token = 2\nseq_len = 1024\nvocab = 32000\nglobal_batch_tokens = 65536\n";
}

// DeepSeek-V3 as published (arXiv 2412.19437, sec. 2 and 4.2), as the MoE
// cases file writes it.
Workload deepseek_v3() {
  return load_validation_cases("moe.toml", read_config("configs/validation/moe.toml"),
                               test::builtin_catalog())
      .front()
      .workload;
}

// A small MoE: 8 experts of width 4,096, 2 per token, on h 1,024, 8 layers,
// 1,024 tokens a sequence, 64 sequences a step.
Workload small_moe() {
  return load_validation_cases("cases.toml", moe_case(""), test::builtin_catalog())
      .front()
      .workload;
}

// A machine of scale-up domains of `domain` chips and the two tiers' rates.
Machine two_tier(int domain, double scaleup_bytes_per_s, double scaleout_bytes_per_s) {
  Machine m;
  m.scaleup_domain = domain;
  m.scaleup_bytes_per_s = scaleup_bytes_per_s;
  m.scaleout_bytes_per_s = scaleout_bytes_per_s;
  return m;
}

// Expert parallelism over `ep` data-parallel ranks, nothing else split.
Layout ep_over_dp(int ep) {
  Layout l;
  l.dp = ep;
  l.ep = ep;
  return l;
}

}  // namespace

TEST_CASE("DeepSeek-V3's shape as published has 671B parameters, 37B active", "[training][moe]") {
  const Workload w = deepseek_v3();
  // MLA per layer: 7168 x 1536 + 1536 x 128 x 192 + 7168 x 576 + 512 x 128 x
  // 256 + 128 x 128 x 7168 = 11,010,048 + 37,748,736 + 4,128,768 +
  // 16,777,216 + 117,440,512 = 187,105,280.
  CHECK(moe::attention_params_per_layer(w) == Approx(187105280.0));
  // 61 x 187.1M + 3 dense x 3 x 7168 x 18432 + 58 MoE x (257 x 3 x 7168 x
  // 2048 + 7168 x 256 router) + 2 x 129280 x 7168 = 671,025,397,760: the
  // paper's 671B (its 685B adds the 14B multi-token-prediction module).
  const double expert = 3 * 7168.0 * 2048;
  const double by_hand = 61 * 187105280.0 + 3 * 3 * 7168.0 * 18432 +
                         58 * (257 * expert + 7168.0 * 256) + 2 * 129280.0 * 7168;
  CHECK(by_hand == Approx(671025397760.0));
  CHECK(moe::parameter_count(w) == Approx(by_hand));
  CHECK(moe::parameter_count(w) == Approx(671e9).epsilon(0.001));
  // Active: 9 experts (8 routed + the shared one) instead of 257.
  CHECK(moe::active_parameter_count(w) == Approx(by_hand - 58 * 248 * expert));
  CHECK(moe::active_parameter_count(w) == Approx(37e9).epsilon(0.02));
  // EP splits the 58 x 256 routed experts: 653.9B.
  CHECK(moe::routed_expert_params(w) == Approx(58 * 256 * expert));
}

TEST_CASE("MLA's forward FLOPs per token are twice its weights plus its scores",
          "[training][moe]") {
  const Workload w = deepseek_v3();
  // One sequence of 4,096: projections 2 x 187,105,280 a token; scores and
  // context 2 x 4096 x 128 x (192 + 128) a token.
  const double s = 4096;
  const double scores = 2 * s * s * 128 * (192.0 + 128);
  CHECK(moe::attention_score_flop(w, 1) == Approx(scores));
  // Averaged over 61 layers: 3 dense MLPs of 3 x 7168 x 18432, 58 MoE layers
  // of 1 shared expert and a router (other) and 8 routed experts (routed).
  const double expert = 3 * 7168.0 * 2048;
  const double other_mlp = (3 * 3 * 7168.0 * 18432 + 58 * (expert + 7168.0 * 256)) / 61;
  const moe::LayerFlop f = moe::layer_forward_flop(w, 1);
  CHECK(f.other == Approx(2 * s * 187105280.0 + 2 * s * other_mlp));
  CHECK(f.routed == Approx(2 * s * 58 * 8 * expert / 61));
  // Without MLA the scores are Megatron's 4 b s^2 h.
  CHECK(moe::attention_score_flop(test::gpt3(), 2) == Approx(4 * 2 * 2048.0 * 2048 * 12288));
}

TEST_CASE("MLA's CP ring moves the compressed KV, not the heads' K and V", "[training][moe][cp]") {
  // 512 + 64 values a token, whatever the TP degree; GQA: 2 x 128 x KV heads.
  CHECK(moe::cp_values_per_token(deepseek_v3(), 8) == Approx(576));
  CHECK(moe::cp_values_per_token(test::llama405b_128k(), 8) == Approx(2 * 128.0));
}

TEST_CASE("an all-to-all sends each peer 1/ep of the routed tokens over the fabric it sits on",
          "[training][moe]") {
  const Workload w = small_moe();
  Machine m;
  m.scaleup_domain = 2;
  m.scaleup_bytes_per_s = 100e9;
  m.scaleout_bytes_per_s = 10e9;
  Layout l;
  l.ep = 4;
  l.dp = 4;
  // 1,024 tokens x 2 experts x 1,024 values x 2 bytes = 4,194,304 bytes; one
  // of the 3 peers shares this chip's 2-chip domain, two do not.
  const moe::AllToAll a = moe::all_to_all(w, m, l, 2.0, 8e-6);
  CHECK(a.scaleup_bytes == Approx(4194304.0 / 4));
  CHECK(a.scaleout_bytes == Approx(2 * 4194304.0 / 4));
  // The fabrics run at once: the scale-out's 209.7 us sets the pace, + 8 us.
  CHECK(a.duration_s == Approx(2097152.0 / 10e9 + 8e-6));
  // Within one domain every peer is on the scale-up fabric.
  m.scaleup_domain = 8;
  const moe::AllToAll inside = moe::all_to_all(w, m, l, 2.0, 8e-6);
  CHECK(inside.scaleout_bytes == Approx(0).margin(1e-9));
  CHECK(inside.duration_s == Approx(3 * 4194304.0 / 4 / 100e9 + 8e-6));
  // Forward and backward dispatch + combine; a full recompute adds two.
  CHECK(moe::all_to_alls_per_layer(l) == Approx(4));
  l.recompute = Recompute::full;
  CHECK(moe::all_to_alls_per_layer(l) == Approx(6));
}

TEST_CASE("the exposed all-to-all is a2a_overlap short of the whole", "[training][moe]") {
  Workload w = small_moe();
  const Machine m = test::h100s(16);
  Layout l;
  l.ep = 4;
  l.dp = 16;
  l.microbatch = 1;
  const double one = moe::all_to_all(w, m, l, 2.0, 8e-6).duration_s;
  const StepBreakdown exposed = evaluate_layout(w, m, l);
  REQUIRE(exposed.valid);
  // 8 MoE layers x 4 all-to-alls x 4 microbatches (64 sequences over dp 16).
  CHECK(exposed.ep_comm_s == Approx(8 * 4 * one * 4));
  // Three quarters run beside computation (here well inside it), at the
  // scale-up fabric's overlap cost: 0.25 + 0.75 x 0.15 of the whole.
  w.a2a_overlap = 0.75;
  const StepBreakdown overlapped = evaluate_layout(w, m, l);
  REQUIRE(0.75 * exposed.ep_comm_s < overlapped.compute_s);
  CHECK(overlapped.ep_comm_s == Approx((0.25 + 0.75 * 0.15) * exposed.ep_comm_s));
}

TEST_CASE("routing imbalance slows the expert GEMMs only, by the busiest expert's load",
          "[training][moe]") {
  Workload w = small_moe();
  const Machine m = test::h100s(16);
  Layout l;
  l.ep = 4;
  l.dp = 16;
  l.dp_overlap = false;  // exposed gradient traffic: its volume alone
  const auto compute_at = [&](double imbalance) {
    w.expert_imbalance = imbalance;
    return evaluate_layout(w, m, l);
  };
  // compute = other + routed x imbalance x e(M) / e(imbalance M), with M the
  // mean expert's rows: two runs fix `other` and `routed`, a third checks.
  const double mean_rows = 1024.0 * 2 * 4 / 8;
  const auto slowdown = [&](double k) {
    return k * moe::grouped_gemm_efficiency(mean_rows) /
           moe::grouped_gemm_efficiency(k * mean_rows);
  };
  const StepBreakdown one = compute_at(1), two = compute_at(2), three = compute_at(3);
  const double routed = (two.compute_s - one.compute_s) / (slowdown(2) - 1);
  const double other = one.compute_s - routed;
  CHECK(routed > 0);
  CHECK(other > 0);
  CHECK(three.compute_s == Approx(other + routed * slowdown(3)));
  // The all-to-all and the other collectives do not change.
  CHECK(three.ep_comm_s == Approx(one.ep_comm_s));
  CHECK(three.dp_comm_s == Approx(one.dp_comm_s));
  // A dense model has no expert GEMMs to slow down.
  Workload dense = test::gpt3();
  const Machine a100 = test::a100s(1024);
  Layout d;
  d.tp = 8;
  d.pp = 8;
  d.dp = 16;
  const double base = evaluate_layout(dense, a100, d).step_s;
  dense.expert_imbalance = 3;
  CHECK(evaluate_layout(dense, a100, d).step_s == Approx(base));
}

TEST_CASE("grouped-GEMM efficiency falls as the tokens per expert shrink", "[training][moe]") {
  // M / (M + 200): M 128 -> 0.390 (DeepGEMM's H800 table: 533 of 1,304
  // TFLOPS at M 4,096, 0.41 of it); M 8,192 -> 0.976.
  CHECK(moe::grouped_gemm_efficiency(128) == Approx(128.0 / 328));
  CHECK(moe::grouped_gemm_efficiency(8192) == Approx(8192.0 / 8392));
  CHECK(moe::grouped_gemm_efficiency(64) < moe::grouped_gemm_efficiency(128));
  CHECK(moe::grouped_gemm_efficiency(128) < moe::grouped_gemm_efficiency(8192));
  // Rows of one expert's GEMM: b s / cp tokens x k experts x ep ranks over E
  // experts x imbalance: 2 x 4096 x 8 x 64 / 256 x 1.25 = 20,480.
  Workload w = deepseek_v3();
  w.expert_imbalance = 1.25;
  Layout l;
  l.microbatch = 2;
  l.ep = 64;
  CHECK(moe::tokens_per_expert(w, l) == Approx(20480));
  // Fewer EP ranks feed each expert fewer rows: the same FLOPs run slower.
  Workload small = small_moe();
  small.expert_imbalance = 1;
  const Machine m = test::h100s(16);
  Layout wide, narrow;
  wide.dp = narrow.dp = 16;
  wide.ep = 8;
  narrow.ep = 1;
  CHECK(moe::tokens_per_expert(small, narrow) == Approx(1024.0 * 2 / 8));
  CHECK(evaluate_layout(small, m, narrow).compute_s > evaluate_layout(small, m, wide).compute_s);
}

TEST_CASE("routed experts' optimizer state shards over their expert-data-parallel copies",
          "[training][moe]") {
  Layout l;
  l.recompute = Recompute::full;
  l.dp = 16;
  const Workload w = small_moe();
  // Dense weights: 16 / 1 x (4 + 12 / 16); routed: / ep 4, 4 + 12 / (16 / 4).
  const double routed = moe::routed_expert_params(w);
  const double dense = w.params - routed;
  const double states = dense * (4 + 12.0 / 16) + routed / 4 * (4 + 12.0 / 4);
  l.ep = 1;
  const double no_ep = memory_per_chip(w, l);
  l.ep = 4;
  CHECK(memory_per_chip(w, l) - no_ep == Approx(states - (dense + routed) * (4 + 12.0 / 16)));
}

TEST_CASE("an expert's rows count each TP rank's sequence-parallel share of the tokens once",
          "[training][moe]") {
  // Expert TP 1: the EP group is ep consecutive ranks of the tp x dp ones,
  // each dispatching the b s / tp tokens sequence parallelism leaves it.
  // Qwen3-235B at TP 4, EP 8, MBS 1 (Megatron-Core's MoE model zoo): 8 ranks
  // x 4,096 / 4 tokens x 8 of 128 experts x 1.25 = 640 rows, not 2,560.
  Workload w;
  w.seq_len = 4096;
  w.experts = 128;
  w.experts_per_token = 8;
  w.expert_imbalance = 1.25;
  Layout l;
  l.tp = 4;
  l.dp = 8;
  l.ep = 8;
  CHECK(moe::tokens_per_expert(w, l) == Approx(640));
  l.tp = 1;
  CHECK(moe::tokens_per_expert(w, l) == Approx(2560));
}

TEST_CASE("routed experts are not split by tensor parallelism, in memory and in gradient traffic",
          "[training][moe]") {
  // Expert TP 1: a chip holds routed / (pp ep) of the experts whatever tp is,
  // and ZeRO-1 shards them over their tp x dp / ep copies. At tp 2, dp 8,
  // ep 4: routed / 4 weights at 4 + 12 / 4 bytes (split by TP as well, it
  // would be routed / 8 weights at 4 + 12 / 2).
  const Workload w = small_moe();
  const double routed = moe::routed_expert_params(w);
  Workload no_experts = w;  // the same dense weights, no routed experts
  no_experts.params = w.params - routed;
  no_experts.experts = 1;
  no_experts.experts_per_token = 1;
  REQUIRE(moe::routed_expert_params(no_experts) == Approx(0).margin(1e-9));
  Layout l;
  l.recompute = Recompute::full;  // activations do not depend on the experts
  l.tp = 2;
  l.dp = 8;
  l.ep = 4;
  CHECK(memory_per_chip(w, l) - memory_per_chip(no_experts, l) ==
        Approx(routed / 4 * (4 + 12.0 / 4)));
  // Gradients: the routed share reduces over its tp x dp / ep copies. On 8
  // chips of one scale-up domain, tp 1 x dp 8 and tp 2 x dp 4 at ep 4 both
  // give 2 copies of routed / 4 weights: the same expert traffic.
  const Machine m = test::h100s(8);
  const auto expert_dp_s = [&](int tp, int dp) {
    Layout g;
    g.tp = tp;
    g.dp = dp;
    g.dp_overlap = false;
    const double dense_s = evaluate_layout(no_experts, m, g).dp_comm_s;  // no experts: ep 1
    g.ep = 4;
    return evaluate_layout(w, m, g).dp_comm_s - dense_s;
  };
  CHECK(expert_dp_s(1, 8) > 0);
  CHECK(expert_dp_s(2, 4) == Approx(expert_dp_s(1, 8)));
}

TEST_CASE("MoE layers keep each routed copy's activations beyond the dense MLP's",
          "[training][moe]") {
  // DeepSeek-V3: 9 copies x (2 x 7168 + 3 x 2 x 2048) = 239,616 bytes a
  // token, less the 19 x 7168 = 136,192 counted, on 58 of 61 layers.
  const Workload w = deepseek_v3();
  const double extra = (9 * (2 * 7168.0 + 6 * 2048) - 19 * 7168.0) * 58 / 61;
  CHECK(moe::expert_activation_bytes(w) == Approx(extra));
  CHECK(moe::expert_activation_bytes(test::gpt3()) == Approx(0).margin(1e-9));
  // In memory per chip, over tp x cp, for the stage's layers and the
  // microbatches in flight; full recompute keeps only the layer input.
  Layout l;
  l.tp = 8;
  l.pp = 16;
  l.dp = 16;
  l.ep = 16;
  l.recompute = Recompute::selective;
  Workload without = w;
  without.experts_per_token = 0;  // the shared expert's copy alone
  const double counted = ((2 * 7168.0 + 6 * 2048) - 19 * 7168.0) * 58 / 61;
  CHECK(moe::expert_activation_bytes(without) == Approx(counted));
  // 61 layers on 16 stages of ceil(61 / 16) = 4: the first 3 stages are one
  // layer short, so the fullest chip is stage 3, 4 layers x (16 - 3) in
  // flight = 52 layer-microbatches (stage 0: 3 x 16 = 48); 8,192 sequences /
  // (16 x 1) microbatches, more than 16.
  const double layer_microbatches = 4 * 13;
  CHECK(memory_per_chip(w, l) - memory_per_chip(without, l) ==
        Approx(4096.0 * (extra - counted) / 8 * layer_microbatches));
  l.recompute = Recompute::full;
  CHECK(memory_per_chip(w, l) == Approx(memory_per_chip(without, l)));
}

TEST_CASE("a case's ep reaches the published layout", "[training][moe][validate]") {
  const auto cases = load_validation_cases("cases.toml", moe_case("ep = 4\na2a_overlap = 0.5\n"),
                                           test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].ep == 4);
  CHECK(cases[0].workload.a2a_overlap == Approx(0.5));
  CHECK(cases[0].workload.expert_imbalance == Approx(1.25));
  const ValidationResult r = run_validation(cases, 1);
  REQUIRE(r.rows.size() == 1);
  REQUIRE(r.rows[0].published.fit);
  CHECK(r.rows[0].published.layout.ep == 4);
  CHECK(r.rows[0].published.layout.dp == 4);
  // The tokens basis scores tokens/s per chip as published.
  CHECK(r.rows[0].error_published == Approx(r.rows[0].published.predicted / 1000 - 1));
}

TEST_CASE(
    "an ep not dividing the experts, or whose ep x etp does not divide tp x cp x dp, is an "
    "input error",
    "[training][moe][validate]") {
  // 16 chips at TP 2, PP 2: DP 4, so a stage has tp x dp = 8 ranks; 8 experts.
  auto lines = test::error_lines(
      [] { load_validation_cases("cases.toml", moe_case("ep = 3\n"), test::builtin_catalog()); });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:10:6: case.ep = 3: ep must divide the experts (8) and ep x etp "
                     "(3) the tp x cp x dp ranks of a pipeline stage (8)"});
  lines = test::error_lines([] {
    load_validation_cases("cases.toml", moe_case("ep = 4\netp = 4\n"), test::builtin_catalog());
  });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:10:6: case.ep = 4: ep must divide the experts (8) and ep x etp "
                     "(16) the tp x cp x dp ranks of a pipeline stage (8)"});
  lines = test::error_lines(
      [] { load_validation_cases("cases.toml", moe_case("etp = 16\n"), test::builtin_catalog()); });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:10:7: case.etp = 16: ep must divide the experts (8) and ep x etp "
                     "(16) the tp x cp x dp ranks of a pipeline stage (8)"});
}

TEST_CASE("an EP group larger than DP is drawn from the TP x DP ranks, as Megatron-Core does",
          "[training][moe][validate]") {
  // EP 8 on TP 2 x DP 4 (Megatron-Core's Qwen3 table has EP 8 on DP 4 and
  // EP 32 on DP 16, both at TP 2, expert TP 1).
  const auto cases =
      load_validation_cases("cases.toml", moe_case("ep = 8\n"), test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  const ValidationResult r = run_validation(cases, 1);
  REQUIRE(r.rows[0].published.fit);
  CHECK(r.rows[0].published.layout.ep == 8);
  CHECK(r.rows[0].published.layout.dp == 4);
  // The step model says why an EP group cannot be placed.
  Layout l;
  l.tp = 2;
  l.pp = 2;
  l.dp = 4;
  l.ep = 4;
  l.etp = 4;
  const LayoutCheck c = check_layout(cases[0].workload, cases[0].machine, l);
  CHECK(c.problem == LayoutProblem::ep_not_dividing_ranks);
  CHECK(c.value == Approx(16));
  CHECK(c.limit == Approx(8));
  Workload twelve = cases[0].workload;
  twelve.experts = 12;
  l.etp = 1;
  l.ep = 8;
  const LayoutCheck e = check_layout(twelve, cases[0].machine, l);
  CHECK(e.problem == LayoutProblem::ep_not_dividing_experts);
  CHECK(e.value == Approx(8));
  CHECK(e.limit == Approx(12));
}

TEST_CASE("expert TP splits an expert's weights and width and gathers its rows over etp ranks",
          "[training][moe]") {
  const Workload w = small_moe();  // h 1,024, experts 4,096 wide, 8 experts, 2 a token
  Layout l;
  l.tp = 2;
  l.dp = 8;
  l.ep = 4;
  l.etp = 2;
  // Rows: ep x etp ranks x 1,024 / 2 tokens x 2 of 8 experts x 1.25 = 1,280.
  CHECK(moe::tokens_per_expert(w, l) == Approx(4 * 2 * 512.0 * 2 / 8 * 1.25));
  // Width: min(1,024, 4,096 / 2).
  CHECK(moe::expert_gemm_width(w, 2) == Approx(1024));
  CHECK(moe::expert_gemm_width(w, 8) == Approx(512));
  // One all-gather over 2 ranks: (2 - 1) x 512 tokens x 2 copies x 1,024 x 2 bytes.
  CHECK(moe::expert_tp_gather_bytes(w, l, 2.0) == Approx(2097152.0));
  l.etp = 1;
  CHECK(moe::expert_tp_gather_bytes(w, l, 2.0) == Approx(0).margin(1e-9));
  // Memory: a chip holds routed / (pp ep etp) with tp dp / (ep etp) copies,
  // so EP 2 x ETP 2 holds what EP 4 x ETP 1 does.
  l.recompute = Recompute::full;
  l.ep = 4;
  const double ep4 = memory_per_chip(w, l);
  l.ep = 2;
  l.etp = 2;
  CHECK(memory_per_chip(w, l) == Approx(ep4));
  // EP peers sit etp apart: at EP 8, ETP 2 an 8-chip domain holds 4 of the
  // 8, so 3 of the 7 peers are on NVLink and 4 off it. Each TP rank sends
  // 512 tokens x 2 x 1,024 x 2 bytes = 2,097,152.
  Machine m;
  m.scaleup_domain = 8;
  m.scaleup_bytes_per_s = 100e9;
  m.scaleout_bytes_per_s = 10e9;
  l.ep = 8;
  const moe::AllToAll a = moe::all_to_all(w, m, l, 2.0, 0.0);
  CHECK(a.scaleup_bytes == Approx(2097152.0 * 3 / 8));
  CHECK(a.scaleout_bytes == Approx(2097152.0 * 4 / 8));
}

TEST_CASE("a MoE layer with expert TP 1 needs only attention's TP collectives", "[training][moe]") {
  // Per layer and microbatch: attention's gather + reduce-scatter in forward
  // and backward (2 all-reduce volumes), plus 2 for a dense or shared-expert
  // MLP. Every layer MoE, no shared expert: half the dense count.
  Workload moe_all = small_moe();
  Workload dense = moe_all;
  dense.experts = 1;
  dense.experts_per_token = 1;
  const Machine m = test::h100s(16);
  Layout l;
  l.tp = 2;
  l.dp = 8;
  l.ep = 1;
  const double dense_tp_s = evaluate_layout(dense, m, l).tp_comm_s;
  REQUIRE(dense_tp_s > 0);
  CHECK(evaluate_layout(moe_all, m, l).tp_comm_s == Approx(0.5 * dense_tp_s));
  // The first 2 of 8 layers dense: (2 + 2 x 2 / 8) / 4 = 0.625 of the count.
  Workload mixed = moe_all;
  mixed.dense_layers = 2;
  CHECK(evaluate_layout(mixed, m, l).tp_comm_s == Approx(0.625 * dense_tp_s));
  // A shared expert is a TP-split MLP: the dense count again.
  Workload shared = moe_all;
  shared.shared_experts = 1;
  CHECK(evaluate_layout(shared, m, l).tp_comm_s == Approx(dense_tp_s));
  // Expert TP 2 adds a gather and a reduce-scatter of the routed tokens per
  // MoE layer in forward and backward: 4 x 8 layers x (2,097,152 bytes over
  // the scale-up bandwidth + one latency).
  l.ep = 4;
  l.etp = 2;
  const double one =
      2097152.0 / (m.scaleup_bytes_per_s * m.scaleup_efficiency) + m.scaleup_latency_s;
  const double microbatches = 64.0 / 8;  // 64 sequences over dp 8, microbatch 1
  l.etp = 1;
  const double etp1 = evaluate_layout(moe_all, m, l).tp_comm_s;
  l.etp = 2;
  CHECK(evaluate_layout(moe_all, m, l).tp_comm_s - etp1 == Approx(4 * 8 * one * microbatches));
}

TEST_CASE("MLA keys need kv_lora_rank, and MLA needs its head widths",
          "[training][moe][validate]") {
  std::string text = moe_case("") + "v_head_dim = 128\n";
  auto lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:22:14: case.workload.v_head_dim = 128: is an MLA key: needs "
                     "kv_lora_rank"});
  text = moe_case("") + "kv_lora_rank = 64\nqk_rope_head_dim = 16\nv_head_dim = 128\n";
  lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines ==
        std::vector<std::string>{"cases.toml:22:16: case.workload.kv_lora_rank = 64: MLA needs "
                                 "qk_nope_head_dim"});
}

TEST_CASE("the DeepSeek-V3 MoE cases load with their published layouts",
          "[training][moe][validate]") {
  const auto cases = load_validation_cases("moe.toml", read_config("configs/validation/moe.toml"),
                                           test::builtin_catalog());
  REQUIRE(cases.size() == 2);
  for (const auto& c : cases) {
    CHECK(c.ep == 64);
    CHECK(c.workload.params == Approx(671e9).epsilon(0.001));
    CHECK(c.workload.active_params == Approx(37e9).epsilon(0.02));
    CHECK(c.workload.expert_imbalance == Approx(1));
    CHECK(c.fixed.microbatch == 1);
  }
  // Megatron-Bridge's recipes of the releases each row cites: NeMo 25.09
  // enables DeepEP on H100 (Megatron-Bridge/scripts/performance/run_script.py
  // at f37f883), 25.11 sets hybridep on GB200 (workload_base_configs.py at
  // v0.2.0).
  CHECK(cases[0].workload.dispatcher == Dispatcher::deepep);
  CHECK(cases[1].workload.dispatcher == Dispatcher::hybridep);
}

TEST_CASE("an expert all-to-all runs at its dispatcher's published share of the line rate",
          "[training][moe]") {
  // HybridEP on GB200 (DeepEP's Hybrid-EP_Implementation.md, 32 SMs, BF16):
  // a dispatch and a combine of the same bytes run at 2 / (1/d + 1/c).
  const auto pair = [](double d, double c) { return 2.0 / (1.0 / d + 1.0 / c); };
  const double hybrid_small = pair(545.71, 568.94) / 900.0;  // EP 8
  const double hybrid_large = pair(479.02, 447.89) / 900.0;  // EP 36
  const double hybrid_ib = pair(41.46, 47.68) / 50.0;        // H100, 64 ranks
  const double deepep_mnnvl = pair(400.0, 190.0) / 900.0;    // NVIDIA's GB200 note
  using moe::dispatcher_bandwidth_share;
  CHECK(dispatcher_bandwidth_share(Dispatcher::hybridep, 72, 64).scaleup ==
        Approx(hybrid_large).epsilon(0.01));
  CHECK(dispatcher_bandwidth_share(Dispatcher::hybridep, 8, 8).scaleup ==
        Approx(hybrid_small).epsilon(0.01));
  CHECK(dispatcher_bandwidth_share(Dispatcher::hybridep, 8, 8).scaleout ==
        Approx(hybrid_ib).epsilon(0.01));
  CHECK(dispatcher_bandwidth_share(Dispatcher::deepep, 72, 32).scaleup ==
        Approx(deepep_mnnvl).epsilon(0.02));
  // DeepEP inside an 8-GPU node and over RDMA, and NCCL, keep the line rate.
  CHECK(dispatcher_bandwidth_share(Dispatcher::deepep, 8, 8).scaleup == Approx(1));
  CHECK(dispatcher_bandwidth_share(Dispatcher::deepep, 72, 32).scaleout == Approx(1));
  CHECK(dispatcher_bandwidth_share(Dispatcher::alltoall, 72, 64).scaleup == Approx(1));

  // EP 64 inside one 72-chip domain: the time is the scale-up bytes over
  // the line rate times the share.
  Workload w = small_moe();
  const Machine m = two_tier(72, 900e9, 50e9);
  const Layout l = ep_over_dp(64);
  w.experts = 64;
  const moe::AllToAll nccl = moe::all_to_all(w, m, l, 2.0, 0.0);
  // 1,024 tokens x 2 experts x 1,024 values x 2 bytes, 63 of 64 peers away.
  CHECK(nccl.duration_s == Approx(4194304.0 * 63 / 64 / 900e9));
  w.dispatcher = Dispatcher::hybridep;
  CHECK(moe::all_to_all(w, m, l, 2.0, 0.0).duration_s ==
        Approx(nccl.duration_s / hybrid_large).epsilon(0.01));
  w.dispatcher = Dispatcher::deepep;
  CHECK(moe::all_to_all(w, m, l, 2.0, 0.0).duration_s ==
        Approx(nccl.duration_s / deepep_mnnvl).epsilon(0.02));
}

TEST_CASE("dropless routing waits for the host once per MoE layer per microbatch",
          "[training][moe]") {
  // kMoeHostSyncS (1.5 ms, NVIDIA's DeepSeek-V3 GB200 note) x 8 MoE layers x
  // 64 sequences / DP 16 = 4 microbatches, PP 1 (no bubble to add to).
  Workload w = small_moe();
  const Machine m = test::h100s(16);
  Layout l;
  l.dp = 16;
  l.ep = 8;
  const StepBreakdown dropless = evaluate_layout(w, m, l);
  CHECK(dropless.moe_host_s == Approx(1.5e-3 * 8 * 4));
  w.dropless = false;
  const StepBreakdown capacity = evaluate_layout(w, m, l);
  CHECK(capacity.moe_host_s == Approx(0).margin(1e-12));
  CHECK(dropless.step_s - capacity.step_s == Approx(1.5e-3 * 8 * 4));
  // Full recompute runs each layer's forward, and its sync, again: x 1.5.
  w.dropless = true;
  l.recompute = Recompute::full;
  CHECK(evaluate_layout(w, m, l).moe_host_s == Approx(1.5 * 1.5e-3 * 8 * 4));
  // A dense model has none.
  Workload dense = small_moe();
  dense.experts = 1;
  dense.experts_per_token = 1;
  l.ep = 1;
  CHECK(evaluate_layout(dense, m, l).moe_host_s == Approx(0).margin(1e-12));
}

TEST_CASE("a per-domain dispatcher sends a token across domains once per remote domain it needs",
          "[training][moe]") {
  // 8 experts, 2 a token, EP 8 over 2-chip domains: 4 domains of 2 experts.
  // A domain misses both of a token's experts with probability 6/8 x 5/7 =
  // 15/28, so 3 x 13/28 = 39/28 remote domains a token on average, each sent
  // the token's 1,024 values x 2 bytes once: 1,024 tokens x 2,048 x 39 / 28.
  Workload w = small_moe();
  Machine m = two_tier(2, 100e9, 10e9);
  const Layout l = ep_over_dp(8);
  const moe::AllToAll copies = moe::all_to_all(w, m, l, 2.0, 0.0);
  // Per expert copy: 1,024 x 2 x 2,048 bytes, 6 of 8 EP ranks off the domain.
  CHECK(copies.scaleout_bytes == Approx(4194304.0 * 6 / 8));
  w.dispatcher = Dispatcher::deepep;
  const moe::AllToAll per_domain = moe::all_to_all(w, m, l, 2.0, 0.0);
  CHECK(per_domain.scaleout_bytes == Approx(1024.0 * 2048 * 39 / 28));
  // The copies that crossed are forwarded to their experts inside each
  // domain: half of them (one of the domain's 2 chips is the receiver).
  CHECK(per_domain.scaleup_bytes == Approx(4194304.0 / 8 + 4194304.0 * 6 / 8 / 2));
  // Inside one domain nothing crosses and nothing changes.
  m.scaleup_domain = 8;
  CHECK(moe::all_to_all(w, m, l, 2.0, 0.0).scaleup_bytes ==
        Approx(moe::all_to_all(small_moe(), m, l, 2.0, 0.0).scaleup_bytes));
}

TEST_CASE("a case's dispatcher must be alltoall, deepep or hybridep", "[training][moe][validate]") {
  const auto cases =
      load_validation_cases("cases.toml", moe_case("dispatcher = \"deepep\"\ndropless = false\n"),
                            test::builtin_catalog());
  CHECK(cases[0].workload.dispatcher == Dispatcher::deepep);
  CHECK_FALSE(cases[0].workload.dropless);
  const auto lines = test::error_lines([] {
    load_validation_cases("cases.toml", moe_case("dispatcher = \"nccl\"\n"),
                          test::builtin_catalog());
  });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:10:14: case.dispatcher = \"nccl\": must be alltoall, deepep or "
                     "hybridep"});
}

TEST_CASE("an overlapped all-to-all hides at most the computation it runs beside",
          "[training][moe]") {
  // EP 8 inside one 8-GPU domain. a2a_overlap = f hides f of the all-to-all
  // behind another microbatch's computation, no more than that computation
  // lasts, and the hidden part costs kScaleupOverlapCost of itself.
  Workload w = small_moe();
  Machine m = test::h100s(8);
  m.hbm_bytes = 1e15;  // only the timing matters here
  const Layout l = ep_over_dp(8);
  const double cost = calibrated::kScaleupOverlapCost;
  // A fast fabric: half of the all-to-all is hidden, well inside the compute.
  const StepBreakdown fast = evaluate_layout(w, m, l);
  REQUIRE(fast.valid);
  w.a2a_overlap = 0.5;
  const StepBreakdown fast_half = evaluate_layout(w, m, l);
  REQUIRE(fast.ep_comm_s * 0.5 < fast.compute_s);
  CHECK(fast_half.ep_comm_s == Approx(fast.ep_comm_s * (0.5 + 0.5 * cost)));
  // A slow one (1 GB/s): the all-to-all outlasts the computation, so all of
  // it overlapped still leaves the excess exposed.
  w.a2a_overlap = 0;
  m.scaleup_bytes_per_s = 1e9;
  const StepBreakdown slow = evaluate_layout(w, m, l);
  w.a2a_overlap = 1;
  const StepBreakdown slow_all = evaluate_layout(w, m, l);
  REQUIRE(slow.ep_comm_s > 2 * slow.compute_s);
  CHECK(slow_all.ep_comm_s == Approx(slow.ep_comm_s - (1 - cost) * slow.compute_s));
  CHECK(slow_all.compute_s == Approx(slow.compute_s));
}
