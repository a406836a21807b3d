#include "estimator/training/step_model.hpp"

#include <algorithm>
#include <cmath>

#include "estimator/training/moe.hpp"

namespace clustercap::training {
namespace {

// Efficiency constants, each calibrated as noted (see `clustercap validate`).
// Largest fraction of peak a big GEMM reaches: Megatron's 1T and 530B runs
// reach 163 TFLOP/s of the A100's 312 (52%) including every overhead
// (Narayanan et al. 2021, Table 1), so the matmul ceiling sits above that.
constexpr double kMatmulCeiling = 0.66;
// Per-GPU GEMM width (hidden / TP) at which matmuls reach half the ceiling's
// gap: fitted so the Megatron 2021 table's 1.7B-1T rows (0.43-0.52 MFU)
// fall in line; small widths lose efficiency to tiling and launch overhead.
constexpr double kHalfWidth = 380.0;
// Elementwise work (layernorm, dropout, residual, softmax) moves about this
// many bytes per token-hidden element per layer in forward (activation
// memory count of Korthikanti et al. 2022: 34 b s h bytes).
constexpr double kElementwiseBytes = 34.0;
// Share of the data-parallel gradient reduction hidden behind the backward
// pass (Megatron's overlapped, bucketed reduce-scatter).
constexpr double kDpOverlap = 0.85;
// Per-collective launch latency (NCCL ring, intra-node), seconds.
constexpr double kCollectiveLatencyS = 8e-6;
constexpr double kBytesPerValue = 2.0;  // bf16/fp16 activations and gradients

// Mean over the layers (moe.hpp: MLA, dense first layers, shared experts).
double layer_forward_flop(const Workload& w, double b) {
  const moe::LayerFlop f = moe::layer_forward_flop(w, b);
  return f.other + f.routed;
}

// Bandwidth a collective among `group_chips` consecutive ranks gets: the
// scale-up fabric while the group fits in one domain, else the scale-out.
double link_bytes_per_s(const Machine& m, double group_chips) {
  return group_chips <= m.scaleup_domain ? m.scaleup_bytes_per_s : m.scaleout_bytes_per_s;
}

}  // namespace

const char* to_string(Recompute r) {
  switch (r) {
    case Recompute::none:
      return "none";
    case Recompute::selective:
      return "selective";
    case Recompute::full:
      return "full";
  }
  return "";
}

double model_flop_per_step(const Workload& w) {
  const double sequences = w.global_batch_tokens / w.seq_len;
  const double logits = 2 * sequences * w.seq_len * w.hidden * w.vocab;
  return 3 * (w.layers * layer_forward_flop(w, sequences) + logits);
}

double megatron_flop_per_iteration(double batch_sequences, double seq_len, double layers,
                                   double hidden, double vocab) {
  return 96 * batch_sequences * seq_len * layers * hidden * hidden *
         (1 + seq_len / (6 * hidden) + vocab / (16 * layers * hidden));
}

double memory_per_chip(const Workload& w, const Layout& l) {
  // Mixed-precision Adam: 2 (weights) + 2 (grads) + 12 (fp32 master, m, v)
  // bytes per parameter (docs/methodology.md R17); routed-expert weights split over EP as well.
  const double expert_params = moe::routed_expert_params(w);
  const double dense_here = (w.params - expert_params) / (l.tp * l.pp);
  const double expert_here = expert_params / (static_cast<double>(l.tp) * l.pp * l.ep);
  // Megatron's distributed optimizer shards over the data-parallel group
  // including the CP ranks, which hold the same weights; an expert's copies
  // are dp x cp / ep (its expert-data-parallel group).
  const double replicas = static_cast<double>(l.dp) * l.cp;
  const double states = l.distributed_optimizer ? dense_here * (4.0 + 12.0 / replicas) +
                                                      expert_here * (4.0 + 12.0 * l.ep / replicas)
                                                : (dense_here + expert_here) * 16.0;
  // Activations per layer with TP and sequence parallelism (Korthikanti
  // et al.): s b h (34 + 5 a s / h) / t bytes; selective keeps s b h 34 / t,
  // full keeps only the layer input, 2 s b h / t. CP keeps s / cp tokens per
  // chip and only its queries' rows of the scores, so every term divides by
  // cp (Megatron-LM's context-parallel docs: each chip stores the K/V of its
  // own chunk and gathers the rest again in backward).
  const double s = w.seq_len, b = l.microbatch, h = w.hidden;
  const double split = static_cast<double>(l.tp) * l.cp;
  double per_layer = s * b * h * (34.0 + 5.0 * w.heads * s / h) / split;
  if (l.recompute == Recompute::selective) per_layer = s * b * h * 34.0 / split;
  if (l.recompute == Recompute::full) per_layer = 2.0 * s * b * h / split;
  // Routed and shared experts keep their own activations (moe.hpp).
  if (l.recompute != Recompute::full) per_layer += s * b * moe::expert_activation_bytes(w) / split;
  // 1F1B keeps up to `pp` microbatches in flight on the first stage.
  const double layers_here = std::ceil(static_cast<double>(w.layers) / l.pp);
  const double sequences = w.global_batch_tokens / w.seq_len;
  const double microbatches = sequences / (l.dp * l.microbatch);
  const double in_flight = std::min<double>(l.pp, microbatches);
  return states + per_layer * layers_here * in_flight;
}

double context_parallel_bytes_per_layer(const Workload& w, const Layout& l) {
  if (l.cp <= 1) return 0.0;
  const double k_and_v_bytes =
      l.microbatch * w.seq_len * moe::cp_values_per_token(w, l.tp) * kBytesPerValue;
  return (l.cp - 1.0) / l.cp * k_and_v_bytes;
}

namespace {

// check_layout, inlined into evaluate_layout (the search calls it millions of times).
inline LayoutCheck first_problem(const Workload& w, const Machine& m, const Layout& l) {
  using P = LayoutProblem;
  const auto d = [](auto x) { return static_cast<double>(x); };
  if (l.tp > m.scaleup_domain) return {P::tp_over_scaleup_domain, d(l.tp), d(m.scaleup_domain)};
  if (w.heads % l.tp != 0) return {P::tp_not_dividing_heads, d(l.tp), d(w.heads)};
  if (w.layers < l.pp) return {P::pp_over_layers, d(l.pp), d(w.layers)};
  if (l.cp < 1 || (l.cp > 1 && std::fmod(w.seq_len, l.cp) != 0))
    return {P::cp_not_dividing_seq_len, d(l.cp), w.seq_len};
  const long model_parallel = static_cast<long>(l.tp) * l.cp * l.pp;
  const long chips = model_parallel * l.dp;
  if (chips != m.chips) {
    return m.chips % model_parallel != 0
               ? LayoutCheck{P::chips_not_divided, d(model_parallel), d(m.chips)}
               : LayoutCheck{P::chips_mismatch, d(chips), d(m.chips)};
  }
  const double sequences = w.global_batch_tokens / w.seq_len;
  const double microbatches = sequences / (static_cast<double>(l.dp) * l.microbatch);
  if (microbatches < 1 || microbatches != std::floor(microbatches)) {
    return {P::batch_not_divided, d(l.dp) * l.microbatch, sequences};
  }
  // Stages may hold unequal layer counts (Llama 3 405B: 126 layers on 16
  // stages); the step runs at the pace of the fullest stage.
  const int stage_layers = (w.layers + l.pp - 1) / l.pp;
  if (stage_layers % l.interleave != 0)
    return {P::interleave_not_dividing_stage, d(l.interleave), d(stage_layers)};
  if (l.interleave > 1 && l.pp == 1)
    return {P::interleave_without_pipeline, d(l.interleave), d(l.pp)};
  if (l.interleave > 1 && static_cast<long>(microbatches) % l.pp != 0) {
    return {P::microbatches_not_multiple_of_pp, microbatches, d(l.pp)};
  }
  return {};
}

}  // namespace

LayoutCheck check_layout(const Workload& w, const Machine& m, const Layout& l) {
  return first_problem(w, m, l);
}

StepBreakdown evaluate_layout(const Workload& w, const Machine& m, const Layout& l) {
  StepBreakdown r;
  r.problem = first_problem(w, m, l);
  if (r.problem.problem != LayoutProblem::none) return r;
  const double sequences = w.global_batch_tokens / w.seq_len;
  const long chips = static_cast<long>(l.tp) * l.cp * l.pp * l.dp;
  const int stage_layers = (w.layers + l.pp - 1) / l.pp;
  const double microbatches = sequences / (static_cast<double>(l.dp) * l.microbatch);
  r.valid = true;
  r.memory_bytes = memory_per_chip(w, l);
  r.fits = r.memory_bytes <= m.hbm_bytes;
  if (!r.fits) r.problem = {LayoutProblem::memory, r.memory_bytes, m.hbm_bytes};

  const double b = l.microbatch, s = w.seq_len, h = w.hidden;
  const double cp = l.cp;
  const double layers_here = stage_layers;
  // FLOPs of one microbatch on one stage (forward + backward + recompute).
  // Every chip of a CP group computes 1/cp of them: the causal mask is
  // balanced by giving each chip two mirrored chunks (Megatron-LM).
  const moe::LayerFlop layer = moe::layer_forward_flop(w, b);
  const double fwd = (layer.other + layer.routed) * layers_here / (l.tp * cp);
  const double score_flop = moe::attention_score_flop(w, b);
  double passes = 3.0;
  double extra = 0.0;
  if (l.recompute == Recompute::full) passes = 4.0;
  if (l.recompute == Recompute::selective) extra = score_flop * layers_here / (l.tp * cp);
  const double logits = 2 * b * s * h * w.vocab * 3 / (l.tp * l.pp * cp);
  const double flop = fwd * passes + extra + logits;
  const double width = h / l.tp;
  const double efficiency = kMatmulCeiling * width / (width + kHalfWidth);
  const double flops_per_s = m.peak_flops * efficiency;
  // Routed experts: the busiest expert sets the layer's pace (expert_imbalance
  // times the mean load), at the grouped GEMM's rate for its rows.
  const double routed_flop = layer.routed * layers_here / (l.tp * cp) * passes;
  const double routed_rate =
      flops_per_s * moe::grouped_gemm_efficiency(moe::tokens_per_expert(w, l));
  const double matmul_s =
      (flop - routed_flop) / flops_per_s + routed_flop * w.expert_imbalance / routed_rate;
  const double elementwise_s =
      3.0 * kElementwiseBytes * b * s * h * layers_here / (l.tp * cp) / m.hbm_bytes_per_s;
  const double per_microbatch = matmul_s + elementwise_s;
  const double tokens_here = b * s / cp;  // per chip per microbatch

  // Tensor parallelism: 4 all-reduces (as reduce-scatter + all-gather with
  // sequence parallelism) of b s h values per layer per microbatch, fwd+bwd.
  double tp_per_microbatch = 0;
  if (l.tp > 1) {
    const double bytes = tokens_here * h * kBytesPerValue;
    const double ring = 2.0 * (l.tp - 1) / l.tp * bytes / m.scaleup_bytes_per_s;
    tp_per_microbatch = 4.0 * layers_here * (ring + 2 * (l.tp - 1) * kCollectiveLatencyS);
  }
  // Context parallelism: a ring all-gather of K and V per layer in forward;
  // backward gathers them again and reduce-scatters their gradients (same
  // volume), full recompute gathers once more. Ranks are ordered tp, cp, ...
  // (Llama 3 and Megatron-LM), so the ring stays on the scale-up fabric while
  // tp x cp fits in it. ASSUMPTION: the transfers overlap the attention
  // scores and context of the same layer (Megatron-LM's ring exchanges the
  // next chunk while computing on the current one) and only the excess is
  // exposed. Llama 3 (arXiv 2407.21783, sec. 3.3.2) instead gathers K/V up
  // front and leaves it exposed, arguing that with GQA it is an order of
  // magnitude below the O(s^2) attention: either way small at long context.
  double cp_per_microbatch = 0;
  if (l.cp > 1) {
    const double bw = link_bytes_per_s(m, l.tp * l.cp);
    const double gathers = l.recompute == Recompute::full ? 4.0 : 3.0;
    const double ring_s =
        context_parallel_bytes_per_layer(w, l) / bw + (cp - 1) * kCollectiveLatencyS;
    const double attention_passes = passes + (l.recompute == Recompute::selective ? 1.0 : 0.0);
    const double attention_s = attention_passes * score_flop / (l.tp * cp) / flops_per_s;
    cp_per_microbatch = layers_here * std::max(0.0, gathers * ring_s - attention_s);
  }
  // Expert all-to-all on the MoE layers of the stage (moe.hpp), less what
  // the recipe hides behind computation.
  double ep_per_microbatch = 0;
  if (l.ep > 1) {
    const double moe_layers_here = layers_here * moe::moe_layers(w) / std::max(1, w.layers);
    const double one = moe::all_to_all(w, m, l, kBytesPerValue, kCollectiveLatencyS).duration_s;
    ep_per_microbatch =
        moe_layers_here * moe::all_to_alls_per_layer(l) * one * (1.0 - w.a2a_overlap);
  }
  // Pipeline: activations cross each stage boundary forward and backward.
  double pp_per_microbatch = 0;
  if (l.pp > 1) {
    const double bytes = tokens_here * h * kBytesPerValue / l.tp;
    const double bw = link_bytes_per_s(m, l.tp * l.cp * l.pp);
    pp_per_microbatch = 2.0 * l.interleave * bytes / bw;
  }
  const double stage_microbatch =
      per_microbatch + tp_per_microbatch + ep_per_microbatch + cp_per_microbatch;
  r.compute_s = per_microbatch * microbatches;
  r.tp_comm_s = tp_per_microbatch * microbatches;
  r.ep_comm_s = ep_per_microbatch * microbatches;
  r.cp_comm_s = cp_per_microbatch * microbatches;
  r.pp_comm_s = pp_per_microbatch * microbatches;
  // Fill and drain: (p - 1) / v microbatch slots (Narayanan et al. 2021).
  r.bubble_s = l.pp > 1 ? (l.pp - 1.0) / l.interleave * stage_microbatch : 0.0;
  // Data parallelism: reduce-scatter + all-gather of this chip's gradients
  // over the scale-out network, mostly overlapped with backward. CP ranks
  // hold the same weights, so they join the reduction.
  // Routed experts' gradients reduce over their dp x cp / ep copies only.
  const double replicas = static_cast<double>(l.dp) * l.cp;
  const double expert_replicas = replicas / l.ep;
  if (replicas > 1) {
    const double expert_params = moe::routed_expert_params(w);
    const double tp_pp = static_cast<double>(l.tp) * l.pp;
    const double dense_bytes = (w.params - expert_params) / tp_pp * kBytesPerValue;
    const double expert_bytes = expert_params / (tp_pp * l.ep) * kBytesPerValue;
    const double bw = link_bytes_per_s(m, static_cast<double>(chips));
    const double reduce = 2.0 * (replicas - 1.0) / replicas * dense_bytes / bw +
                          2.0 * (expert_replicas - 1.0) / expert_replicas * expert_bytes / bw;
    r.dp_comm_s = reduce * (1 - kDpOverlap);
  }
  r.step_s = r.compute_s + r.tp_comm_s + r.ep_comm_s + r.cp_comm_s + r.pp_comm_s + r.bubble_s +
             r.dp_comm_s;
  r.model_flop = model_flop_per_step(w);
  r.mfu = r.model_flop / (r.step_s * m.chips * m.peak_flops);
  r.tokens_per_s = w.global_batch_tokens / r.step_s;
  return r;
}

}  // namespace clustercap::training
