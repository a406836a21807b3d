// Training step time from first principles for one parallel layout
// (docs/methodology.md §2, §3; Narayanan et al. 2021, Korthikanti et al.
// 2022). Pure, allocation-free, and cheap enough to evaluate millions of
// layouts per second.
//
// Per microbatch of b sequences of length s, one transformer layer costs in
// the forward pass
//   attention projections  2 b s h (2h + 2 h_kv)
//   scores and context     4 b s^2 h
//   MLP                    2 b s h f (2, or 3 matrices when gated) x experts per token
// (MLA, dense first layers, shared experts and the router: moe.hpp) and
// backward is twice forward. Full recompute adds one forward; selective
// recompute re-runs only the scores. For h_kv = h, f = 4h, ungated, this is
// Megatron's 24 b s h^2 + 4 b s^2 h (72 B s l h^2 (1 + s/6h + V/16lh) per
// iteration without recompute).
//
// Context parallelism (CP) splits each sequence over cp chips: every per-token
// cost (matmuls, elementwise work, activations, TP/EP/PP traffic) falls by cp,
// and attention exchanges K and V around a ring of the cp chips
// (context_parallel_bytes_per_layer). Weights are replicated over CP, so the
// gradient reduction and the optimizer sharding run over dp x cp chips.
//
// Precision (Machine::precision): the linear layers' GEMMs (attention
// projections and MLP) run at the chip's dense peak for that precision with
// that precision's efficiency ceiling; what FP8/FP4 recipes keep in BF16
// runs at the BF16 peak: attention scores and context (Transformer Engine's
// FP8 recipe leaves core attention in BF16 unless FP8 attention is switched
// on), and the output layer (Megatron-LM builds it as a plain BF16
// ColumnParallelLinear, not a Transformer Engine layer). Norms, casts and
// elementwise work are memory-bound at HBM bandwidth; the optimizer and its
// master weights stay FP32.
//
// Memory and overlap are layout choices: ZeRO stage 0-3, sequence
// parallelism, TP-communication overlap, DP-communication overlap, offload of
// optimizer state and activations to host memory (Layout).
#pragma once

#include <string>

#include "estimator/training/fitted_constants.hpp"
#include "hardware/precision.hpp"

namespace clustercap::training {

// The library that sends a MoE layer's tokens to their experts and back
// (Megatron-Core's --moe-token-dispatcher-type alltoall, or flex with
// --moe-flex-dispatcher-backend deepep / hybridep).
enum class Dispatcher { alltoall = 0, deepep = 1, hybridep = 2 };

// How the transformer layers are split over the pipeline stages. layers:
// evenly (the fuller stages first when they do not divide), the input
// embedding on the first stage and the output layer and loss on the last
// (Megatron-LM's and DeepSpeed's default). embedding_loss: the embedding and
// the loss each take one layer's place in the split (Megatron-LM's
// --account-for-embedding-in-pipeline-split and
// --account-for-loss-in-pipeline-split; Llama 3 405B's one layer fewer on
// the first and last stages, arXiv 2407.21783 sec. 3.3.2).
enum class PipelineSplit { layers = 0, embedding_loss = 1 };

struct Workload {
  std::string name;
  double params = 0;         // total parameters
  double active_params = 0;  // per token (MoE); = params for dense
  int layers = 0;
  double hidden = 0;
  double ffn = 0;  // MLP width (per expert unless moe_ffn is given)
  int heads = 0;
  int kv_heads = 0;
  double seq_len = 0;
  double vocab = 0;
  int experts = 1;
  int experts_per_token = 1;
  bool gated_mlp = false;  // SwiGLU-style three-matrix MLP
  // One vocab x hidden matrix serves as input embedding and output layer
  // (GPT-3); Llama 3 and DeepSeek-V3 keep two. Only the parameter count uses it.
  bool tied_embeddings = true;
  double tokens = 0;  // training tokens
  double global_batch_tokens = 0;
  // [workload] cp: the context-parallel degree every searched layout must use
  // (divides seq_len); 0 leaves it to the search.
  int forced_cp = 0;
  // Width of one attention head; 0 = hidden / heads. Gemma and PaLM-style
  // shapes untie it (queries heads x head_dim wide, keys/values kv_heads x
  // head_dim).
  double head_dim = 0;
  // Attention and MLP read the same layer input and their outputs are summed
  // (GPT-J, PaLM): one TP all-reduce per layer per pass instead of two.
  bool parallel_block = false;
  // The recipe applies dropout (GPT-3-era Megatron runs): its 1-byte masks
  // on both residual branches and on the attention probabilities are saved
  // activations. Llama, DeepSeek and MaxText recipes train without it.
  bool dropout = true;
  // Mixture-of-experts and MLA shape (estimator/training/moe.hpp; 0: unused).
  double moe_ffn = 0;                     // routed and shared experts' MLP width; 0: ffn
  int shared_experts = 0;                 // always-active experts per MoE layer
  int dense_layers = 0;                   // the first layers have a dense MLP of width dense_ffn
  double dense_ffn = 0;                   // 0: ffn
  int q_lora_rank = 0, kv_lora_rank = 0;  // MLA when kv_lora_rank > 0
  int qk_nope_head_dim = 0, qk_rope_head_dim = 0, v_head_dim = 0;
  // Busiest expert's tokens over the mean (>= 1): Switch Transformer's
  // capacity factor 1.25 (Fedus et al. 2022, arXiv 2101.03961, sec. 2.2 and
  // Table 1), the padding a token-dropping recipe computes; a dropless run
  // states its measured figure, a force-balanced benchmark 1.
  double expert_imbalance = 1.25;
  // Routing drops no token (Megatron-Core's default, the NeMo and model-zoo
  // MoE recipes): each MoE layer syncs its tokens per expert to the host
  // (kMoeHostSyncS). false: a capacity factor fixes the shapes.
  bool dropless = true;
  // The expert dispatcher. alltoall: Megatron-Core's NCCL all-to-all, once
  // per expert copy (it permutes a row per routed expert before sending).
  // deepep, hybridep: a token crosses the scale-out network once per remote
  // scale-up domain holding one of its experts and is forwarded to them over
  // the scale-up fabric (DeepEP's and HybridEP's internode kernels, after
  // DeepSeek-V3's dispatch: arXiv 2412.19437, sec. 3.2.2), and each reaches
  // its own published share of the line rate (moe::dispatcher_bandwidth_share).
  Dispatcher dispatcher = Dispatcher::alltoall;
  // Share of the expert all-to-all hidden behind computation, 0-1. 0: Megatron
  // Core overlaps it only with --overlap-moe-expert-parallel-comm, added in
  // v0.14 and off by default (megatron/core/transformer/moe/README.md).
  double a2a_overlap = 0;
  PipelineSplit pipeline_split = PipelineSplit::layers;
  // An FP8/FP4 recipe's first and last transformer layers kept in BF16
  // (Megatron-LM's --first-last-layers-bf16 with --num-layers-at-start-in-bf16
  // and --num-layers-at-end-in-bf16): their linear GEMMs run at the BF16 rate.
  int bf16_layers_at_start = 0;
  int bf16_layers_at_end = 0;
};

// The hardware one layout runs on.
struct Machine {
  // Precision of the linear layers' GEMMs (bf16, fp16, fp8, fp4).
  Precision precision = Precision::bf16;
  double peak_flops = 0;           // dense, at `precision`, per chip
  double bf16_peak_flops = 0;      // dense BF16: attention, output layer; 0 = peak_flops
  double hbm_bytes = 0;            // per chip
  double hbm_bytes_per_s = 0;      // per chip
  double scaleup_bytes_per_s = 0;  // per chip, one direction
  int scaleup_domain = 8;          // chips sharing the scale-up fabric
  // 0: the scale-up fabric is switched (NVSwitch, UB): a ring over any group
  // inside the domain reaches the chip's whole bandwidth (unless
  // scaleup_mesh).
  // 2 or 3: it is a torus of that many dimensions (TPU ICI), each side
  // domain^(1/dims) chips, the chip's bandwidth split evenly over its 2 x dims
  // links; a group reaches only the links of the dimensions it spans
  // (tier() in step_model.cpp).
  int scaleup_torus_dims = 0;
  // The domain is a switchless full mesh (Ascend 910B HCCS, Gaudi RoCE
  // card-to-card ports, AMD xGMI): the chip's bandwidth is split evenly over
  // links to each of its scaleup_domain - 1 peers (mesh_share in machine.hpp).
  bool scaleup_mesh = false;
  double scaleout_bytes_per_s = 0;  // per chip, one direction
  int chips = 0;                    // in the cluster
  // Per-tier network: the share of the link bandwidth a collective reaches
  // (0, 1], and the launch latency of one collective step, seconds.
  double scaleup_efficiency = 1.0, scaleout_efficiency = 1.0;
  double scaleup_latency_s = calibrated::kCollectiveLatencyS,
         scaleout_latency_s = calibrated::kCollectiveLatencyS;
  // Chip <-> host memory link, per chip, one direction (offload only).
  double host_bytes_per_s = 0;
  // Largest share of the dense BF16 peak a big GEMM reaches on this chip
  // (the catalog's matmul_efficiency, (0, 1]); 0: the A100-fitted
  // calibrated::kMatmulCeiling. FP8/FP4 GEMMs reach kFp8CeilingShare of it.
  double matmul_ceiling = 0;
  // The attention kernel's measured share of the dense BF16 peak on the FLOPs
  // it executes, forward and backward (a case's attention_*_efficiency); 0:
  // the attention core runs at the big-GEMM rate (attention_core_gemm_flop).
  double attention_forward_efficiency = 0, attention_backward_efficiency = 0;
  // Share of the linear layers' forward matmul FLOPs a selective policy
  // recomputes in the backward (torchtitan's op-level SAC: every second mm);
  // ignored with full recompute, which recomputes them all.
  double recompute_matmul_share = 0;
};

enum class Recompute { none = 0, selective = 1, full = 2 };
const char* to_string(Recompute r);

struct Layout {
  // tp x cp x pp x dp = chips. cp divides the sequence length: each chip
  // holds seq_len / cp tokens of every sequence in its microbatch.
  // Experts are laid out as Megatron-Core does (megatron/core/
  // parallel_state.py, the expert RankGenerator): a stage's tp x cp x dp
  // ranks are renumbered expert-TP first, then EP, then expert-DP, so ep x
  // etp divides tp x cp x dp and ep divides the experts; an expert is split
  // over etp consecutive ranks, its EP group is ep ranks etp apart, and it
  // has tp x cp x dp / (ep x etp) copies (expert data parallelism).
  int tp = 1, pp = 1, dp = 1, ep = 1, cp = 1;
  int etp = 1;         // expert tensor-parallel degree (NVIDIA's MoE recipes: 1)
  int microbatch = 1;  // sequences per microbatch
  int interleave = 1;  // virtual pipeline stages per device
  Recompute recompute = Recompute::none;
  // ZeRO stage over the dp x cp replicas: 0 replicates everything; 1 shards
  // the optimizer state (Megatron's distributed optimizer); 2 also the
  // gradients (reduce-scattered after every microbatch); 3 also the weights
  // (FSDP: all-gathered per layer in forward and again in backward).
  int zero = 1;
  // Sequence parallelism (Korthikanti et al. 2022): norms, dropout and their
  // activations split over TP; TP all-reduces become reduce-scatter +
  // all-gather (same volume).
  bool sequence_parallel = true;
  bool tp_overlap = false;           // TP collectives run behind the GEMMs (comm-GEMM overlap)
  bool dp_overlap = true;            // bucketed DP collectives run behind backward/forward
  bool offload_optimizer = false;    // optimizer state in host memory, step on the host
  bool offload_activations = false;  // saved activations streamed to host memory
};

// Why a layout cannot run (check_layout, StepBreakdown::problem), with the
// two figures that say so: `value` is the layout's, `limit` what it breaks.
enum class LayoutProblem {
  none,
  no_hbm_bandwidth,                 // the machine's HBM bytes/s; 0 (catalog lacks it)
  tp_over_scaleup_domain,           // tp; chips in the scale-up domain
  tp_not_dividing_heads,            // tp; attention heads
  pp_over_layers,                   // pp; layers
  cp_not_dividing_seq_len,          // cp; seq_len (cp < 1 too)
  chips_not_divided,                // tp x cp x pp; chips in the cluster
  chips_mismatch,                   // tp x cp x pp x dp; chips in the cluster
  batch_not_divided,                // dp x microbatch; sequences in the global batch
  interleave_not_dividing_stage,    // interleave; layers on the fullest stage
  interleave_without_pipeline,      // interleave; pp (1)
  microbatches_not_multiple_of_pp,  // microbatches per step; pp
  ep_not_dividing_ranks,            // ep x etp; tp x cp x dp
  ep_not_dividing_experts,          // ep; routed experts
  zero_stage,                       // zero; 3 (0..3)
  no_host_link,                     // offload with host_bytes_per_s = 0; 0
  memory,                           // bytes needed per chip; HBM bytes per chip
};

struct LayoutCheck {
  LayoutProblem problem = LayoutProblem::none;
  double value = 0, limit = 0;
};

// Transformer layers on the pipeline rank holding the most of them (all its
// virtual stages), on the first rank (beside the embedding) and on the last
// rank, which also holds the output layer and loss; all three are all the
// layers without PP.
struct StageLayers {
  int fullest = 0;
  int first = 0;
  int last = 0;
};
StageLayers stage_layers(const Workload& w, int pp);

// The first reason the layout cannot run on the machine, memory aside
// (evaluate_layout adds that one); problem none when it can.
LayoutCheck check_layout(const Workload& w, const Machine& m, const Layout& l);

struct StepBreakdown {
  bool valid = false;   // the layout divides the workload and the cluster
  bool fits = false;    // memory per chip <= HBM
  LayoutCheck problem;  // why not valid, or why it does not fit
  double memory_bytes = 0;
  double compute_s = 0;  // matmul and memory-bound work, all microbatches
  double bubble_s = 0;   // pipeline fill and drain
  double tp_comm_s = 0;  // exposed tensor-parallel collectives
  double pp_comm_s = 0;  // pipeline sends
  double dp_comm_s = 0;  // exposed data-parallel gradient reduction
  double ep_comm_s = 0;  // expert all-to-all
  double cp_comm_s = 0;  // context-parallel K/V exchange not hidden behind attention
  double offload_s = 0;  // host-link transfers not hidden behind compute
  // Host time the GPUs wait for in dropless MoE layers (kMoeHostSyncS per
  // MoE layer per microbatch, more with full recompute); 0 without experts.
  double moe_host_s = 0;
  // With pipeline parallelism, what the first or last stage adds over the
  // fullest stage's layers, all microbatches: the last stage's output layer
  // and loss (its logits GEMM), and the BF16 layers an FP8/FP4 recipe keeps
  // at either end; the step runs at the slowest stage's pace. 0 without PP
  // (one stage holds everything, in compute_s).
  double edge_stage_s = 0;
  // The output layer's logits GEMM, all microbatches: in compute_s without
  // PP; with PP on the last stage only, where edge_stage_s weighs it.
  double logits_s = 0;
  double step_s = 0;
  // Share of the DP traffic (gradient reduction, ZeRO-3 weight gathers) that
  // ran behind compute; 0 when there is no DP traffic or no overlap.
  double dp_overlap_fraction = 0;
  double model_flop = 0;  // per step, 6-N-style model FLOPs (no recompute)
  double mfu = 0;         // against the dense peak at the machine's precision
  double mfu_bf16 = 0;    // against the dense BF16 peak (the usual convention)
  double tokens_per_s = 0;
};

// FLOP/s one chip's routed-expert grouped GEMMs reach with `tokens_per_expert`
// rows each: the dense peak at the machine's precision x its matmul ceiling
// x the shape curve at moe::expert_gemm_width (experts split over etp ranks)
// x moe::grouped_gemm_efficiency.
double expert_gemm_flops_per_s(const Workload& w, const Machine& m, double tokens_per_expert,
                               int etp = 1);

// The attention core (scores and context) of one microbatch on one stage
// under `recompute`, as the FLOPs that take as long at `gemm_flops_per_s`;
// `forward_flop` is its full, non-causal forward count. Without kernel
// figures (m.attention_forward_efficiency 0) every FLOP runs at the GEMM
// rate: the backward costs two forwards and selective or full recompute one
// more. With them the kernel is a causal FlashAttention-style one: it
// executes half of each count, its backward 2.5 forwards (five matmuls
// against two, recomputing the scores itself, so selective adds nothing; the
// FlashAttention benchmarks' convention) and full recompute one more
// forward, forward and backward at their own share of `bf16_peak_flops`.
double attention_core_gemm_flop(const Machine& m, double forward_flop, Recompute recompute,
                                double gemm_flops_per_s, double bf16_peak_flops);

// Model FLOPs of one training step (forward + backward, no recompute).
double model_flop_per_step(const Workload& w);
// Megatron's per-iteration formula with full recompute (96 B s l h^2 (...)).
double megatron_flop_per_iteration(double batch_sequences, double seq_len, double layers,
                                   double hidden, double vocab);
// Model FLOPs of one step counted as NVIDIA's NeMo / Megatron-Bridge
// benchmark tables count "model TFLOP/s per GPU": as model_flop_per_step but
// with causal attention at half the scores-and-context FLOPs.
double causal_model_flop_per_step(const Workload& w);
// Bytes per chip: weights, gradients, optimizer state and activations, with
// weights and saved GEMM inputs at the GEMM precision's bytes.
double memory_per_chip(const Workload& w, const Layout& l, Precision precision = Precision::bf16);
// Bytes one chip receives in the forward ring all-gather of one layer's K and
// V for one microbatch: (cp - 1) / cp of the whole sequence's K and V for its
// tensor-parallel share of the KV heads (at least one head). 0 when cp = 1.
double context_parallel_bytes_per_layer(const Workload& w, const Layout& l);

StepBreakdown evaluate_layout(const Workload& w, const Machine& m, const Layout& l);

}  // namespace clustercap::training
