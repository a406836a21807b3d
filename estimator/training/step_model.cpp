#include "estimator/training/step_model.hpp"

#include <algorithm>
#include <cmath>

#include "estimator/training/fitted_constants.hpp"
#include "estimator/training/machine.hpp"
#include "estimator/training/moe.hpp"

namespace clustercap::training {
namespace {

// Efficiency constants, each calibrated as noted (see `clustercap validate`).
// Largest fraction of peak a big GEMM reaches: Megatron's 1T and 530B runs
// reach 163 TFLOP/s of the A100's 312 (52%) including every overhead
// (Narayanan et al. 2021, Table 1), so the matmul ceiling sits above that.
using calibrated::kMatmulCeiling;
// Per-GPU GEMM width (hidden / TP) at which matmuls reach half the ceiling's
// gap: fitted so the Megatron 2021 table's 1.7B-1T rows (0.43-0.52 MFU)
// fall in line; small widths lose efficiency to tiling and launch overhead.
using calibrated::kHalfWidth;
// Elementwise work (layernorm, dropout, residual, softmax) moves about this
// many bytes per token-hidden element per layer in forward (activation
// memory count of Korthikanti et al. 2022: 34 b s h bytes).
using calibrated::kElementwiseBytes;
// FP8 GEMMs reach a smaller share of their (2x) peak than BF16 ones: the
// FP8 ceiling is this fraction of the BF16 one. FITTED on the five NeMo FP8
// rows of configs/validation/nvidia-fp8.toml (GPT-3 175B on 512 H100, Llama
// 3.1 405B on H100, B200, GB200, GB300), so all five are in-sample for it.
// FP4 has no published training run to fit on: ASSUMPTION, the FP8 share.
using calibrated::kFp8CeilingShare;
// Transformer Engine casts every FP8 GEMM input from BF16 (reads 2 bytes,
// writes the FP8 value and its transpose, 1 + 1 bytes): 4 bytes of HBM
// traffic per input element, in forward and again for the gradients in
// backward.
using calibrated::kFp8CastBytes;
// Share of the compute a collective running behind it takes away (its
// kernels occupy SMs): Calculon's A100/H100 system files
// (github.com/calculon-ai/calculon, systems/*.json, processor_usage): 0.15
// on the NVLink tier, 0.02 on the InfiniBand tier.
using calibrated::kScaleoutOverlapCost;
using calibrated::kScaleupOverlapCost;
// Host time per dropless MoE layer per microbatch (fitted_constants.cpp).
using calibrated::kMoeHostSyncS;
constexpr double kBytesPerValue = 2.0;  // bf16/fp16 activations and gradients

double head_dim(const Workload& w) {
  return w.head_dim > 0 ? w.head_dim : w.hidden / std::max(1, w.heads);
}

// Forward FLOPs of one layer for b sequences, mean over the layers
// (moe.hpp: head_dim, MLA, dense first layers, shared experts, router): the
// linear layers' GEMMs (projections and MLPs) and the attention scores and
// context.
double attention_forward_flop(const Workload& w, double b) {
  return moe::attention_score_flop(w, b);
}
double linear_forward_flop(const Workload& w, double b) {
  const moe::LayerFlop f = moe::layer_forward_flop(w, b);
  return f.other + f.routed;
}
double layer_forward_flop(const Workload& w, double b) {
  return linear_forward_flop(w, b) + attention_forward_flop(w, b);
}

// One tier of the network, as a collective among `group_chips` ranks,
// `stride` ranks apart, sees it: the scale-up fabric while the group fits in
// one domain; else the scale-out, where the group's members in one domain
// share their NICs (NCCL runs one ring channel per NIC, so each NIC carries
// 1/g of the data crossing domains, g = members per domain), up to the
// scale-up bandwidth that feeds them.
struct Tier {
  double bytes_per_s, latency_s, overlap_cost;
};
//
// On a torus (Machine::scaleup_torus_dims = d) the chip's bandwidth is spread
// over 2 d links, two per dimension (one each way round that dimension's
// ring). Consecutive ranks fill the first dimension, then the second, ...,
// so a group of g ranks spanning `span` chips runs its rings over the
// ceil(log_side(span)) dimensions it covers, each side domain^(1/d) chips,
// and reaches that share of the chip's bandwidth: a bidirectional ring per
// spanned dimension, the data split over them (the multi-dimensional
// reduce-scatter / all-gather XLA runs on TPU pods; Jouppi et al. 2023,
// arXiv 2304.01433, sec. 2-3: six ICI links per TPU v4 chip in a 3D torus).
// A switched fabric gives any group the whole chip bandwidth.
// A group `stride` ranks apart skips the floor(log_side(stride)) dimensions
// its stride steps over whole.
double torus_share(const Machine& m, double span, double stride) {
  if (m.scaleup_torus_dims < 2 || span <= 1) return 1.0;
  const double dims = m.scaleup_torus_dims;
  const double side = std::max(2.0, std::round(std::pow(m.scaleup_domain, 1.0 / dims)));
  const double covered = std::ceil(std::log(span) / std::log(side) - 1e-9);
  const double skipped = std::floor(std::log(std::max(1.0, stride)) / std::log(side) + 1e-9);
  return std::clamp(covered - skipped, 1.0, dims) / dims;
}
Tier tier(const Machine& m, double group_chips, double stride = 1) {
  const double span = group_chips * stride;
  if (span <= m.scaleup_domain)
    return {m.scaleup_bytes_per_s * m.scaleup_efficiency * torus_share(m, span, stride) *
                mesh_share(m, group_chips),
            m.scaleup_latency_s, kScaleupOverlapCost};
  const double per_domain =
      std::clamp(std::floor(m.scaleup_domain / stride), 1.0, std::max(1.0, group_chips));
  const double bytes_per_s = std::min(m.scaleout_bytes_per_s * m.scaleout_efficiency * per_domain,
                                      m.scaleup_bytes_per_s * m.scaleup_efficiency);
  return {bytes_per_s, m.scaleout_latency_s, kScaleoutOverlapCost};
}
double link_bytes_per_s(const Machine& m, double group_chips) {
  return tier(m, group_chips).bytes_per_s;
}

// Exposed time of `layers` equal per-layer transfers of comm_s each issued
// as a layer's compute (compute_s) finishes: the first cannot hide behind
// this pass (the last bucket in the order of the pass), each other hides
// behind one layer's compute and costs `cost` of what it hides. Without
// overlap all of it is exposed. Never more than layers x comm_s (cost <= 1).
double exposed_s(double comm_s, double compute_s, double layers, bool overlap, double cost) {
  if (!overlap || layers < 1) return layers * comm_s;
  return comm_s +
         (layers - 1) * (std::max(0.0, comm_s - compute_s) + cost * std::min(comm_s, compute_s));
}

// exposed_s for the traffic of a whole step on an interleaved stage
// (Calculon's DP model, llm.py): the stage's layers form `chunks` chunks;
// each chunk but the last finishes its gradients while `window` more
// microbatches still pass through it, so its traffic hides behind their
// compute; the last chunk is exposed_s over its own layers.
double exposed_step_s(double comm_s, double compute_s, double layers, bool overlap, double cost,
                      double chunks, double window) {
  if (!overlap || chunks <= 1) return exposed_s(comm_s, compute_s, layers, overlap, cost);
  const double chunk_layers = layers / chunks;
  const double chunk_comm = chunk_layers * comm_s, chunk_window = window * chunk_layers * compute_s;
  const double early =
      std::max(0.0, chunk_comm - chunk_window) + cost * std::min(chunk_comm, chunk_window);
  return (chunks - 1) * early + exposed_s(comm_s, compute_s, chunk_layers, overlap, cost);
}

// The efficiency ceiling of a big BF16 GEMM on the machine's chip: its
// catalogued matmul efficiency, or the A100-fitted constant without one.
double bf16_matmul_ceiling(const Machine& m) {
  return m.matmul_ceiling > 0 ? m.matmul_ceiling : kMatmulCeiling;
}
// The efficiency ceiling of a big GEMM at `p`, as a fraction of its peak.
double matmul_ceiling(const Machine& m, Precision p) {
  return p == Precision::fp8 || p == Precision::fp4 ? bf16_matmul_ceiling(m) * kFp8CeilingShare
                                                    : bf16_matmul_ceiling(m);
}
bool low_precision(Precision p) { return p == Precision::fp8 || p == Precision::fp4; }

}  // namespace

double expert_gemm_flops_per_s(const Workload& w, const Machine& m, double tokens_per_expert,
                               int etp) {
  const double width = moe::expert_gemm_width(w, etp);
  return m.peak_flops * matmul_ceiling(m, m.precision) * width / (width + kHalfWidth) *
         moe::grouped_gemm_efficiency(tokens_per_expert);
}

double attention_core_gemm_flop(const Machine& m, double forward_flop, Recompute recompute,
                                double gemm_flops_per_s, double bf16_peak_flops) {
  if (!(m.attention_forward_efficiency > 0) || !(m.attention_backward_efficiency > 0)) {
    const double passes = recompute == Recompute::full ? 4.0 : 3.0;
    return forward_flop * passes + (recompute == Recompute::selective ? forward_flop : 0.0);
  }
  constexpr double kCausalShare = 0.5;         // the mask skips half the score tiles
  constexpr double kBackwardPerForward = 2.5;  // S, dP, dV, dQ, dK against S, O
  const double forward_passes = recompute == Recompute::full ? 2.0 : 1.0;
  const double executed = kCausalShare * forward_flop;
  const double seconds =
      forward_passes * executed / (bf16_peak_flops * m.attention_forward_efficiency) +
      kBackwardPerForward * executed / (bf16_peak_flops * m.attention_backward_efficiency);
  return seconds * gemm_flops_per_s;
}

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

double causal_model_flop_per_step(const Workload& w) {
  const double sequences = w.global_batch_tokens / w.seq_len;
  return model_flop_per_step(w) - 3 * w.layers * 0.5 * attention_forward_flop(w, sequences);
}

double megatron_flop_per_iteration(double batch_sequences, double seq_len, double layers,
                                   double hidden, double vocab) {
  return 96 * batch_sequences * seq_len * layers * hidden * hidden *
         (1 + seq_len / (6 * hidden) + vocab / (16 * layers * hidden));
}

namespace {

// Saved activations of one layer for one microbatch, bytes per chip.
double activation_bytes_per_layer(const Workload& w, const Layout& l, Precision precision) {
  // Korthikanti et al. 2022 (arXiv 2205.05198, sec. 4.1) count, per token,
  // for a GPT layer (h_kv = h, f = 4h, GeLU, dropout) 34 h + 5 a s bytes:
  // the two norms' inputs 4h, the residual dropout masks 2h, the QKV and
  // MLP inputs 2h each, Q, K and V 6h, the projection input 2h, the GeLU
  // input and output 8h each, and the attention probabilities 2 a s, with
  // their dropout mask a s and output 2 a s. Written from the shape, the
  // same count gives Q 2 q, K and V 4 h_kv (q = heads x head_dim, h_kv =
  // kv_heads x head_dim), the projection input 2 q, the MLP's first output
  // 2 f (4 f gated: the gate and the up projection) and its second input
  // 2 f; without dropout the masks and the dropout output go (2h and 3 a s).
  // With sequence parallelism everything is split over TP; without it the
  // norm inputs, masks, QKV and MLP inputs are replicated (sec. 4.2.2).
  // Selective recompute drops the a s terms; full keeps only the layer input
  // (2 h / t with SP, 2 h without). The four linear layers' inputs (QKV,
  // projection, MLP in, MLP out) are saved at the GEMM precision by
  // Transformer Engine, halving them in FP8 (FP4 counted as FP8: recipes
  // keep FP8 activations). CP keeps s / cp tokens per chip and only its
  // queries' rows of the scores, so every term divides by cp (Megatron-LM's
  // context-parallel docs). Shares are in units of h bytes per token.
  const double s = w.seq_len, b = l.microbatch, h = w.hidden;
  const double t = l.tp, cp = l.cp;
  const double saved_low = low_precision(precision) ? 0.5 : 1.0;
  // A mixture-of-experts model keeps the GPT count (q = h_kv = h, f = 4h,
  // GeLU, dropout) and adds its experts' own (moe::expert_activation_bytes,
  // which replaces that count's 19 h of MLP).
  const bool gpt_count = moe::moe_layers(w) > 0;
  const double q = gpt_count ? 1.0 : head_dim(w) * w.heads / h;
  const double kv = gpt_count ? 1.0 : head_dim(w) * (w.kv_heads > 0 ? w.kv_heads : w.heads) / h;
  const double f = gpt_count ? 4.0 : w.ffn / h;
  const bool gated = !gpt_count && w.gated_mlp;
  const bool dropout = gpt_count || w.dropout;
  const double masks = dropout ? 2.0 : 0.0;
  const double sequence_side = 4.0 + masks + 4.0 * saved_low;  // norms, masks, QKV + MLP inputs
  const double split =
      2.0 * q + 4.0 * kv + (2.0 * q + 2.0 * f) * saved_low + 2.0 * f * (gated ? 2.0 : 1.0);
  const double replicated = l.sequence_parallel ? 0.0 : sequence_side;
  const double split_all = l.sequence_parallel ? split + sequence_side : split;
  const double scores = (dropout ? 5.0 : 2.0) * w.heads * s / h / t;
  double per_token_hidden = replicated + split_all / t + scores;
  if (l.recompute == Recompute::selective) per_token_hidden = replicated + split_all / t;
  if (l.recompute == Recompute::full) per_token_hidden = l.sequence_parallel ? 2.0 / t : 2.0;
  // Routed and shared experts keep their own activations (moe.hpp).
  const double experts = l.recompute == Recompute::full ? 0.0 : moe::expert_activation_bytes(w) / t;
  if (experts == 0) return s * b * h * per_token_hidden / cp;
  return s * b * (h * per_token_hidden + experts) / cp;
}

}  // namespace

double memory_per_chip(const Workload& w, const Layout& l, Precision precision) {
  // Mixed-precision Adam: 2 (weights) + 2 (grads) + 12 (fp32 master, m, v)
  // bytes per parameter (docs/methodology.md R17); expert weights split over
  // EP (below). FP8/FP4 recipes keep the BF16 weights and add the
  // low-precision copy the GEMMs read (Transformer Engine caches it between
  // microbatches): 1 byte more per parameter (FP4: half a byte).
  const double expert_params = moe::routed_expert_params(w);
  const double dense_here = (w.params - expert_params) / (l.tp * l.pp);
  // Routed experts are split by expert TP, not by TP (Layout): a chip holds
  // 1/(pp ep etp) of them.
  const double expert_here = expert_params / (static_cast<double>(l.pp) * l.ep * l.etp);
  const double params_here = dense_here + expert_here;
  // ZeRO shards over the data-parallel group including the CP ranks, which
  // hold the same weights; a routed expert's copies are tp x dp x cp / (ep
  // etp) (its expert-data-parallel group, drawn from the same ranks).
  const double replicas = static_cast<double>(l.dp) * l.cp;
  const double expert_replicas = replicas * l.tp / (static_cast<double>(l.ep) * l.etp);
  const double low_copy = precision == Precision::fp8   ? 1.0
                          : precision == Precision::fp4 ? 0.5
                                                        : 0.0;
  const double optimizer = l.offload_optimizer ? 0.0 : 12.0;
  const auto per_param = [&](double shards) {
    if (l.zero == 1) return 2.0 + low_copy + 2.0 + optimizer / shards;
    if (l.zero == 2) return 2.0 + low_copy + (2.0 + optimizer) / shards;
    if (l.zero == 3) return (2.0 + low_copy + 2.0 + optimizer) / shards;
    return 2.0 + low_copy + 2.0 + optimizer;  // ZeRO-0
  };
  const double layers_here = std::ceil(static_cast<double>(w.layers) / l.pp);
  double states = dense_here * per_param(replicas) + expert_here * per_param(expert_replicas);
  // FSDP: the gathered weights of the layer being computed and of the one
  // prefetched behind it.
  if (l.zero == 3) states += 2.0 * params_here / layers_here * (2.0 + low_copy);
  // 1F1B keeps up to pp - i microbatches in flight on stage i. When the
  // layers do not divide evenly, the pp x ceil(layers / pp) - layers stages
  // one layer short are the first ones (they hold the most in flight; Llama
  // 3 405B puts 126 layers on 16 stages, the first and last one short: arXiv
  // 2407.21783, sec. 3.3.2), so the fullest chip holds the larger of the
  // first stage's and the first full stage's layers x in flight. Streamed to
  // the host, only the layer being computed and the one being copied stay.
  const double sequences = w.global_batch_tokens / w.seq_len;
  const double microbatches = sequences / (l.dp * l.microbatch);
  const double short_stages = layers_here * l.pp - w.layers;
  double layer_microbatches = layers_here * std::min(l.pp - short_stages, microbatches);
  if (short_stages > 0) {
    layer_microbatches =
        std::max(layer_microbatches, (layers_here - 1) * std::min<double>(l.pp, microbatches));
  }
  const double per_layer = activation_bytes_per_layer(w, l, precision);
  const double activations =
      l.offload_activations ? 2.0 * per_layer : per_layer * layer_microbatches;
  return states + activations;
}

double context_parallel_bytes_per_layer(const Workload& w, const Layout& l) {
  if (l.cp <= 1) return 0.0;
  // K and V (two tensors) without MLA, its one compressed latent with it.
  const double tensors = moe::uses_mla(w) ? 1.0 : 2.0;
  const double k_and_v_bytes = tensors * l.microbatch * w.seq_len *
                               (moe::cp_values_per_token(w, l.tp) / tensors) * kBytesPerValue;
  return (l.cp - 1.0) / l.cp * k_and_v_bytes;
}

namespace {

// Places the pipeline split divides over the ranks: the layers, and the
// embedding and loss when they take one each (PipelineSplit).
inline int split_places(const Workload& w) {
  return w.layers + (w.pipeline_split == PipelineSplit::embedding_loss ? 2 : 0);
}

// check_layout, inlined into evaluate_layout (the search calls it millions of times).
inline LayoutCheck first_problem(const Workload& w, const Machine& m, const Layout& l) {
  using P = LayoutProblem;
  const auto d = [](auto x) { return static_cast<double>(x); };
  if (!(m.hbm_bytes_per_s > 0)) return {P::no_hbm_bandwidth, m.hbm_bytes_per_s, 0};
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
  // Expert ranks are drawn from the tp x cp x dp ones of a stage (Layout).
  const long expert_ranks = static_cast<long>(l.ep) * l.etp;
  if (l.ep < 1 || l.etp < 1 || (model_parallel / l.pp * l.dp) % expert_ranks != 0)
    return {P::ep_not_dividing_ranks, d(expert_ranks), d(model_parallel / l.pp * l.dp)};
  if (l.ep > 1 && w.experts % l.ep != 0) return {P::ep_not_dividing_experts, d(l.ep), d(w.experts)};
  const double sequences = w.global_batch_tokens / w.seq_len;
  const double microbatches = sequences / (static_cast<double>(l.dp) * l.microbatch);
  if (microbatches < 1 || microbatches != std::floor(microbatches)) {
    return {P::batch_not_divided, d(l.dp) * l.microbatch, sequences};
  }
  // Stages may hold unequal layer counts (Llama 3 405B: 126 layers on 16
  // stages); each rank's virtual stages split its share of the split's
  // places (layers, and the embedding and loss when they take one).
  const int rank_places = (split_places(w) + l.pp - 1) / l.pp;
  if (rank_places % l.interleave != 0)
    return {P::interleave_not_dividing_stage, d(l.interleave), d(rank_places)};
  if (l.interleave > 1 && l.pp == 1)
    return {P::interleave_without_pipeline, d(l.interleave), d(l.pp)};
  if (l.interleave > 1 && static_cast<long>(microbatches) % l.pp != 0) {
    return {P::microbatches_not_multiple_of_pp, microbatches, d(l.pp)};
  }
  if (l.zero < 0 || l.zero > 3) return {P::zero_stage, d(l.zero), 3};
  if ((l.offload_optimizer || l.offload_activations) && !(m.host_bytes_per_s > 0))
    return {P::no_host_link, m.host_bytes_per_s, 0};
  return {};
}

}  // namespace

LayoutCheck check_layout(const Workload& w, const Machine& m, const Layout& l) {
  return first_problem(w, m, l);
}

StageLayers stage_layers(const Workload& w, int pp) {
  if (pp <= 1) return {w.layers, w.layers, w.layers};
  // The fuller ranks come first; the last rank takes the floor share. With
  // embedding_loss the first and last ranks give one place each to the
  // embedding and the loss, so the fullest layer count is a middle rank's
  // (the first rank's with two stages).
  const bool places_both = w.pipeline_split == PipelineSplit::embedding_loss;
  const int places = split_places(w);
  const int fullest = (places + pp - 1) / pp;
  const int last = places / pp;
  if (!places_both) return {fullest, fullest, last};
  return {pp == 2 ? fullest - 1 : fullest, fullest - 1, std::max(0, last - 1)};
}

StepBreakdown evaluate_layout(const Workload& w, const Machine& m, const Layout& l) {
  StepBreakdown r;
  r.problem = first_problem(w, m, l);
  if (r.problem.problem != LayoutProblem::none) return r;
  const double sequences = w.global_batch_tokens / w.seq_len;
  const StageLayers stages = stage_layers(w, l.pp);
  const double microbatches = sequences / (static_cast<double>(l.dp) * l.microbatch);
  r.valid = true;
  r.memory_bytes = memory_per_chip(w, l, m.precision);
  r.fits = r.memory_bytes <= m.hbm_bytes;
  if (!r.fits) r.problem = {LayoutProblem::memory, r.memory_bytes, m.hbm_bytes};

  const double b = l.microbatch, s = w.seq_len, h = w.hidden;
  const double t = l.tp, cp = l.cp;
  // The terms below are the fullest rank's; what the first or last rank adds
  // (the last's output layer, BF16 edge layers) comes after them
  // (edge_stage_s), or here without PP.
  const double layers_here = std::max(1, stages.fullest);
  const double bf16_peak =
      m.precision == Precision::bf16 || !(m.bf16_peak_flops > 0) ? m.peak_flops : m.bf16_peak_flops;
  // FLOPs of one microbatch on one stage (forward + backward + recompute).
  // Every chip of a CP group computes 1/cp of them: the causal mask is
  // balanced by giving each chip two mirrored chunks (Megatron-LM).
  const moe::LayerFlop layer = moe::layer_forward_flop(w, b);
  const double linear = linear_forward_flop(w, b) * layers_here / (t * cp);
  const double attention = attention_forward_flop(w, b) * layers_here / (t * cp);
  double passes = 3.0;
  if (l.recompute == Recompute::full) passes = 4.0;
  // The output layer's logits GEMM (vocabulary split over TP), forward and
  // backward; a full recompute does not rerun it.
  const double logits = 2 * b * s * h * w.vocab * 3 / (t * cp);
  const double width = h / t;
  const double shape_efficiency = width / (width + kHalfWidth);
  const double linear_flops_per_s =
      m.peak_flops * matmul_ceiling(m, m.precision) * shape_efficiency;
  const double bf16_flops_per_s = bf16_peak * bf16_matmul_ceiling(m) * shape_efficiency;
  // Routed experts: the busiest expert sets the layer's pace (expert_imbalance
  // times the mean load), at the grouped GEMM's rate for its rows and for its
  // own width (moe::expert_gemm_width: the shape curve at the narrowest
  // dimension of an expert's GEMMs, as h / t is for the dense ones).
  const double routed = layer.routed * layers_here / (t * cp) * passes;
  const double routed_flops_per_s =
      expert_gemm_flops_per_s(w, m, moe::tokens_per_expert(w, l), l.etp);
  const double routed_s = routed > 0 ? routed * w.expert_imbalance / routed_flops_per_s : 0.0;
  // A selective policy's recomputed share of the dense linear matmuls.
  const double recomputed_linear =
      l.recompute == Recompute::full ? 0.0 : m.recompute_matmul_share * (linear - routed / passes);
  // The dense (not routed) linear GEMMs' FLOPs, recompute included.
  const double dense_linear = linear * passes - routed + recomputed_linear;
  const double linear_s = dense_linear / linear_flops_per_s + routed_s;
  const double attention_gemm_flop =
      attention_core_gemm_flop(m, attention, l.recompute, bf16_flops_per_s, bf16_peak);
  const double logits_s = logits / bf16_flops_per_s;
  const double matmul_s =
      linear_s + attention_gemm_flop / bf16_flops_per_s + (l.pp == 1 ? logits_s : 0.0);
  // Norms, dropout, residuals and softmax (all BF16): with sequence
  // parallelism each TP rank handles 1/t of the tokens, without it the
  // 10 bytes of norm-side work are repeated on every rank (Korthikanti et
  // al.'s activation split, as in memory_per_chip).
  const double elementwise_units = l.sequence_parallel ? kElementwiseBytes / t : 10.0 + 24.0 / t;
  double elementwise_bytes = 3.0 * elementwise_units * b * s * h * layers_here / cp;
  // FP8/FP4: the casts of one layer's GEMM inputs.
  const double cast_bytes_per_layer =
      2.0 * kFp8CastBytes * b * s * moe::gemm_input_values_per_token(w) / (t * cp);
  if (low_precision(m.precision)) elementwise_bytes += cast_bytes_per_layer * layers_here;
  const double elementwise_s = elementwise_bytes / m.hbm_bytes_per_s;
  // An FP8/FP4 recipe's BF16 edge layers (Workload::bf16_layers_at_start,
  // _at_end): one such layer's linear GEMMs at the BF16 rate instead of the
  // run's, less the casts it skips; what it adds to a microbatch.
  const int bf16_edges = w.bf16_layers_at_start + w.bf16_layers_at_end;
  double bf16_layer_s = 0;
  if (low_precision(m.precision) && bf16_edges > 0) {
    double extra = dense_linear / layers_here * (1.0 / bf16_flops_per_s - 1.0 / linear_flops_per_s);
    if (routed > 0) {
      Machine bf16_machine = m;
      bf16_machine.precision = Precision::bf16;
      bf16_machine.peak_flops = bf16_peak;
      const double bf16_routed_flops_per_s =
          expert_gemm_flops_per_s(w, bf16_machine, moe::tokens_per_expert(w, l), l.etp);
      extra += routed * w.expert_imbalance / layers_here *
               (1.0 / bf16_routed_flops_per_s - 1.0 / routed_flops_per_s);
    }
    extra -= cast_bytes_per_layer / m.hbm_bytes_per_s;
    bf16_layer_s = std::max(0.0, extra);
  }
  const double per_microbatch =
      matmul_s + elementwise_s + (l.pp == 1 ? bf16_edges * bf16_layer_s : 0.0);
  // Forward and backward shares of one layer of one microbatch: the windows
  // that DP transfers hide behind.
  const double layer_s = per_microbatch - (l.pp == 1 ? logits_s : 0.0);
  const double forward_layer_s = layer_s / passes / layers_here;
  const double backward_layer_s = layer_s / layers_here - forward_layer_s;
  const double tokens_here = b * s / cp;  // per chip per microbatch

  // Tensor parallelism: an all-reduce (as reduce-scatter + all-gather with
  // sequence parallelism, the same volume) of b s h values around attention
  // and another around a dense MLP, in forward and in backward: 4 per layer
  // per microbatch; a parallel attention+MLP block needs 2. A MoE layer's
  // routed experts take the sequence-parallel tokens straight to the
  // all-to-all, so they add no TP collective (Megatron-Core's token
  // dispatcher; expert TP has its own below); its shared experts are a
  // TP-split MLP and add the dense MLP's 2.
  const double moe_share = static_cast<double>(moe::moe_layers(w)) / std::max(1, w.layers);
  const double moe_layers_here = layers_here * moe_share;
  double tp_per_microbatch = 0;
  if (l.tp > 1) {
    const Tier up = tier(m, t);
    const double bytes = tokens_here * h * kBytesPerValue;
    const double ring = 2.0 * (t - 1) / t * bytes / up.bytes_per_s;
    const double mlp_collectives = w.shared_experts > 0 ? 2.0 : 2.0 * (1.0 - moe_share);
    const double collectives = w.parallel_block ? 2.0 : 2.0 + mlp_collectives;
    tp_per_microbatch = collectives * layers_here * (ring + 2 * (t - 1) * up.latency_s);
    // Comm-GEMM overlap splits each GEMM next to a collective into chunks and
    // moves one chunk while computing the next: hidden up to the linear
    // layers' time, at the cost of the SMs the transfers occupy.
    if (l.tp_overlap) {
      tp_per_microbatch = std::max(0.0, tp_per_microbatch - linear_s) +
                          up.overlap_cost * std::min(tp_per_microbatch, linear_s);
    }
  }
  // Expert TP: each MoE layer all-gathers its routed tokens over the etp
  // ranks before the expert GEMMs and reduce-scatters after them, in
  // forward and backward (moe::expert_tp_gather_bytes), on the fabric the
  // etp consecutive ranks span.
  if (l.etp > 1 && moe_layers_here > 0) {
    const Tier expert_tier = tier(m, l.etp);
    const double one = moe::expert_tp_gather_bytes(w, l, kBytesPerValue) / expert_tier.bytes_per_s +
                       (l.etp - 1.0) * expert_tier.latency_s;
    tp_per_microbatch += 4.0 * moe_layers_here * one;
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
    const Tier ring_tier = tier(m, t * cp);
    const double gathers = l.recompute == Recompute::full ? 4.0 : 3.0;
    const double ring_s = context_parallel_bytes_per_layer(w, l) / ring_tier.bytes_per_s +
                          (cp - 1) * ring_tier.latency_s;
    const double attention_passes = passes + (l.recompute == Recompute::selective ? 1.0 : 0.0);
    const double attention_s =
        m.attention_forward_efficiency > 0
            ? attention_gemm_flop / layers_here / bf16_flops_per_s
            : attention_passes * attention_forward_flop(w, b) / (t * cp) / bf16_flops_per_s;
    cp_per_microbatch = layers_here * std::max(0.0, gathers * ring_s - attention_s);
  }
  // Expert all-to-all on the MoE layers of the stage (moe.hpp), less what
  // the recipe hides behind computation: a share a2a_overlap of it runs
  // while another microbatch computes (Megatron-Core's 1F1B all-to-all
  // overlap, DeepSeek's DualPipe), at most as long as that computation, and
  // the hidden part costs the compute share its transfers take (the tier's
  // overlap cost, as for TP overlap).
  double ep_per_microbatch = 0;
  if (l.ep > 1) {
    const Tier ep_tier = tier(m, l.ep, l.etp);  // etp apart (moe::all_to_all)
    const double one = moe::all_to_all(w, m, l, kBytesPerValue, ep_tier.latency_s).duration_s;
    const double all = moe_layers_here * moe::all_to_alls_per_layer(l) * one;
    const double hidden = std::min(all * w.a2a_overlap, per_microbatch);
    ep_per_microbatch = all - hidden + ep_tier.overlap_cost * hidden;
  }
  // Dropless routing: every MoE layer of every microbatch waits for the host
  // to read its tokens per expert (kMoeHostSyncS, forward and backward
  // together), and again in the recomputed forward with full recompute.
  const double host_per_microbatch =
      w.dropless ? kMoeHostSyncS * moe_layers_here * moe::all_to_alls_per_layer(l) / 4.0 : 0.0;
  // Pipeline: activations cross each stage boundary forward and backward.
  double pp_per_microbatch = 0;
  if (l.pp > 1) {
    const double bytes = tokens_here * h * kBytesPerValue / t;
    const double bw = link_bytes_per_s(m, t * cp * l.pp);
    pp_per_microbatch = 2.0 * l.interleave * bytes / bw;
  }
  // Activation offload: each layer's saved activations go to the host as
  // forward leaves the layer and come back before backward reaches it,
  // overlapped with the pass; the excess is exposed.
  const double host_bytes_per_s = m.host_bytes_per_s > 0 ? m.host_bytes_per_s : 1.0;
  double offload_per_microbatch = 0;
  if (l.offload_activations) {
    const double copy_s =
        activation_bytes_per_layer(w, l, m.precision) * layers_here / host_bytes_per_s;
    offload_per_microbatch = std::max(0.0, copy_s - forward_layer_s * layers_here) +
                             std::max(0.0, copy_s - backward_layer_s * layers_here);
  }
  const double fullest_microbatch = per_microbatch + tp_per_microbatch + ep_per_microbatch +
                                    cp_per_microbatch + offload_per_microbatch +
                                    host_per_microbatch;
  // The first and last ranks: their layers' share of the same terms (all
  // linear in the layer count), the last's logits, and each one's BF16 edge
  // layers; when one outweighs the fullest rank, the excess paces every
  // microbatch.
  double edge_per_microbatch = 0;
  if (l.pp > 1) {
    const double first_microbatch = fullest_microbatch * stages.first / layers_here +
                                    std::min(w.bf16_layers_at_start, stages.first) * bf16_layer_s;
    const double last_microbatch = fullest_microbatch * stages.last / layers_here + logits_s +
                                   std::min(w.bf16_layers_at_end, stages.last) * bf16_layer_s;
    edge_per_microbatch =
        std::max(0.0, std::max(first_microbatch, last_microbatch) - fullest_microbatch);
  }
  const double stage_microbatch = fullest_microbatch + edge_per_microbatch;
  r.compute_s = per_microbatch * microbatches;
  r.tp_comm_s = tp_per_microbatch * microbatches;
  r.ep_comm_s = ep_per_microbatch * microbatches;
  r.cp_comm_s = cp_per_microbatch * microbatches;
  r.pp_comm_s = pp_per_microbatch * microbatches;
  r.offload_s = offload_per_microbatch * microbatches;
  r.moe_host_s = host_per_microbatch * microbatches;
  r.edge_stage_s = edge_per_microbatch * microbatches;
  r.logits_s = logits_s * microbatches;
  // Fill and drain: (p - 1) / v microbatch slots (Narayanan et al. 2021).
  r.bubble_s = l.pp > 1 ? (l.pp - 1.0) / l.interleave * stage_microbatch : 0.0;
  // Data parallelism over the dp x cp replicas (CP ranks hold the same
  // weights), one bucket per layer: ZeRO-0 all-reduces the gradients once per
  // step; ZeRO-1 reduce-scatters them and all-gathers the updated weights
  // (the gather behind the next forward, Megatron's overlapped param
  // gather); ZeRO-2 reduce-scatters after every microbatch, since it keeps
  // no full gradient buffer to accumulate in; ZeRO-3 also all-gathers each
  // layer's weights before its forward and again before its backward, every
  // microbatch (prefetched behind the previous layer). With dp_overlap each
  // bucket runs behind the next layer's compute (exposed_s).
  const double replicas = static_cast<double>(l.dp) * cp;
  if (replicas > 1) {
    // The replicas sit tp apart in the rank order (tp, cp, dp, pp).
    const Tier out = tier(m, replicas, t);
    // Routed experts are split by expert TP, not by TP (Layout): a chip
    // holds 1/(pp ep etp) of them and their gradients reduce over the
    // tp x dp x cp / (ep etp) copies, which sit ep x etp ranks apart.
    const double expert_params = moe::routed_expert_params(w);
    const double expert_ranks = static_cast<double>(l.ep) * l.etp;
    const double dense_bytes = (w.params - expert_params) / (t * l.pp) * kBytesPerValue;
    const double expert_bytes = expert_params / (l.pp * expert_ranks) * kBytesPerValue;
    const double expert_replicas = t * replicas / expert_ranks;
    double one_way = (replicas - 1.0) / replicas * (dense_bytes / layers_here) / out.bytes_per_s;
    if (expert_bytes > 0) {
      one_way += (expert_replicas - 1.0) / expert_replicas * (expert_bytes / layers_here) /
                 tier(m, expert_replicas, expert_ranks).bytes_per_s;
    }
    const auto hidden = [&](double comm_s, double compute_s) {
      return exposed_s(comm_s, compute_s, layers_here, l.dp_overlap, out.overlap_cost);
    };
    // Once-per-step traffic on an interleaved stage hides chunk by chunk
    // behind the pp microbatches still in flight (exposed_step_s).
    const double window = std::min<double>(l.pp, microbatches);
    const auto hidden_step = [&](double comm_s, double compute_s) {
      return exposed_step_s(comm_s, compute_s, layers_here, l.dp_overlap, out.overlap_cost,
                            l.interleave, window);
    };
    const double L = layers_here, M = microbatches;
    double traffic_s = 0;
    if (l.zero == 0) {
      r.dp_comm_s = hidden_step(2 * one_way, backward_layer_s);
      traffic_s = 2 * one_way * L;
    } else if (l.zero == 1) {
      r.dp_comm_s = hidden_step(one_way, backward_layer_s) + hidden_step(one_way, forward_layer_s);
      traffic_s = 2 * one_way * L;
    } else if (l.zero == 2) {
      r.dp_comm_s = M * hidden(one_way, backward_layer_s) + hidden_step(one_way, forward_layer_s);
      traffic_s = (M + 1) * one_way * L;
    } else {
      r.dp_comm_s = M * (hidden(one_way, backward_layer_s) + hidden(one_way, forward_layer_s) +
                         hidden(one_way, backward_layer_s));
      traffic_s = 3 * M * one_way * L;
    }
    r.dp_overlap_fraction = traffic_s > 0 ? std::max(0.0, 1.0 - r.dp_comm_s / traffic_s) : 0.0;
  }
  // Optimizer offload: the step runs on the host, so this chip's gradient
  // shard goes down and its updated BF16 weights come back, 2 + 2 bytes per
  // parameter of the shard, exposed (the step sits between iterations).
  // ASSUMPTION: the host's Adam keeps pace with the link (not modelled).
  if (l.offload_optimizer) {
    const double shard = w.params / (t * l.pp) / (l.zero >= 1 ? replicas : 1.0);
    r.offload_s += 4.0 * shard / host_bytes_per_s;
  }
  r.step_s = r.compute_s + r.tp_comm_s + r.ep_comm_s + r.cp_comm_s + r.pp_comm_s + r.bubble_s +
             r.dp_comm_s + r.offload_s + r.moe_host_s + r.edge_stage_s;
  r.model_flop = model_flop_per_step(w);
  r.mfu = r.model_flop / (r.step_s * m.chips * m.peak_flops);
  r.mfu_bf16 = r.model_flop / (r.step_s * m.chips * bf16_peak);
  r.tokens_per_s = w.global_batch_tokens / r.step_s;
  return r;
}

}  // namespace clustercap::training
