// Mixture-of-experts and multi-head latent attention (MLA) equations of the
// step model (estimator/training/step_model.cpp calls them). Pure functions
// of the workload, the layout and the machine; no state, thread-safe.
//
// Shape (Workload fields, 0 = not used):
//   a layer is dense (its MLP of width dense_ffn, default ffn) for the first
//   dense_layers layers, else MoE: a router (h x experts), `shared_experts`
//   always-active experts and `experts` routed ones of which each token uses
//   experts_per_token, all of width moe_ffn (default ffn). DeepSeek-V3
//   (arXiv 2412.19437, sec. 2 and 4.2): 61 layers, the first 3 dense with
//   width 18,432, then 1 shared + 256 routed experts of width 2,048, 8 routed
//   per token.
//   MLA replaces the attention projections when kv_lora_rank > 0: queries go
//   h -> q_lora_rank -> heads x (qk_nope + qk_rope) (q_lora_rank 0: straight
//   from h), keys and values h -> kv_lora_rank + qk_rope (the compressed KV)
//   -> heads x (qk_nope + v_head), output heads x v_head -> h.
//
// Per token of one layer, forward, in FLOPs (2 per multiply-add):
//   MLA projections  2 x (the weights above)
//   scores, context  2 s heads (qk_head) + 2 s heads (v_head), with
//                    qk_head = v_head = head_dim (default h / heads) without
//                    MLA (Megatron's 4 s h)
//   MLP              2 x matrices x h x width x (experts per token + shared)
//   router           2 h experts
#pragma once

#include "estimator/training/step_model.hpp"

namespace clustercap::training::moe {

// True when the workload's attention is MLA (kv_lora_rank > 0).
bool uses_mla(const Workload& w);
// Per-expert MLP width: moe_ffn, or ffn when it is not given.
double expert_ffn(const Workload& w);
// Width of the dense layers' MLP: dense_ffn, or ffn when it is not given.
double dense_ffn(const Workload& w);
// Layers with routed experts: layers - dense_layers when experts > 1, else 0.
int moe_layers(const Workload& w);

// Weights of one layer's attention projections (MLA or multi-/grouped-query).
double attention_params_per_layer(const Workload& w);
// Weights of the whole model from its shape (embeddings included once or
// twice by tied_embeddings); and the share a token uses (routed experts
// counted experts_per_token times, shared experts and router always).
double parameter_count(const Workload& w);
double active_parameter_count(const Workload& w);
// Routed-expert weights of the whole model, the part expert parallelism
// splits: the shape's routed share of w.params (so a stated total scales it).
double routed_expert_params(const Workload& w);

// Forward FLOPs of one layer's linear layers for a microbatch of b
// sequences, averaged over the model's layers (dense and MoE layers alike):
// `routed` is the routed experts' grouped GEMMs (the work routing imbalance
// and small per-expert batches slow down), `other` the rest (attention
// projections, dense and shared MLPs, router). Scores and context apart.
struct LayerFlop {
  double other = 0;
  double routed = 0;
};
LayerFlop layer_forward_flop(const Workload& w, double b);
// Scores and context alone (the work selective recompute repeats and CP
// overlaps its exchange with): 2 b s^2 heads (qk_head + v_head).
double attention_score_flop(const Workload& w, double b);

// Activation bytes per token a layer keeps for backward beyond the dense
// MLP share of Korthikanti et al.'s 34 bytes per hidden value (19 h: its
// 2 h input, 2 x 4h of GEMM and GeLU outputs and h of dropout mask), mean
// over the layers: each MoE layer keeps, for each of its experts_per_token +
// shared_experts copies of a token, the permuted input (2 h bytes) and the
// first GEMM's and activation's outputs (2 x 2 f, or 3 x 2 f gated), bf16.
// 0 without routed experts.
double expert_activation_bytes(const Workload& w);

// Input values per token per layer, mean over the layers, that an FP8/FP4
// recipe casts to the GEMM precision (Transformer Engine quantizes each
// linear layer's input): attention's QKV input h (MLA: the query and KV
// down-projections' h each and the up-projections' q_lora_rank and
// kv_lora_rank) and its output projection's heads x v_head; a dense MLP's
// input h and second GEMM's input f (ffn x experts_per_token without routed
// experts, dense_ffn in the dense first layers); a MoE layer's
// experts_per_token + shared_experts expert copies, each with input h and
// second input moe_ffn (the expert width, not ffn).
double gemm_input_values_per_token(const Workload& w);

// Values per token per layer a CP ring exchanges: K and V of one TP rank's
// share of KV heads (at least one head, head_dim wide), or with MLA the compressed latent
// (kv_lora_rank + qk_rope values, shared by all heads, not split by TP).
double cp_values_per_token(const Workload& w, int tp);

// Rows (tokens) of one routed expert's GEMM in one microbatch on the busiest
// expert: the ep x etp ranks holding one copy of every expert each send
// their b s / (cp tp) tokens (the share sequence parallelism leaves a TP
// rank) to experts_per_token of the `experts` (the etp ranks of an expert
// all-gather its rows), times expert_imbalance (max expert load / mean).
double tokens_per_expert(const Workload& w, const Layout& l);
// The narrowest dimension of a routed expert's GEMMs, the width the step
// model's shape curve w / (w + kHalfWidth) is read at: min(hidden, expert
// width / etp). Experts are split by expert TP (etp), not by the dense TP:
// Megatron-Core's expert_tensor_parallel_size, which NVIDIA's MoE recipes
// set to 1 (the Qwen3 table's ETP column, the DeepSeek-V3 benchmark
// configs), so at etp 1 neither dimension divides.
double expert_gemm_width(const Workload& w, int etp = 1);
// Fraction of the large-GEMM rate a grouped expert GEMM of `tokens` rows
// reaches: tokens / (tokens + kGroupedGemmHalfTokens), in (0, 1).
double grouped_gemm_efficiency(double tokens);
// The tokens at which a grouped expert GEMM runs at half its large-M rate.
double grouped_gemm_half_tokens();

// One expert all-to-all (a dispatch or a combine) of one MoE layer for one
// microbatch on one chip, each token's hidden state sent to its
// experts_per_token experts at bytes_per_value bytes a value: the bytes it
// sends to EP peers inside its scale-up domain and outside it (the peers sit
// etp ranks apart, so a domain of D chips holds D / etp of them), and the
// time (both fabrics at once, each at its bandwidth x efficiency, the slower
// sets it, plus one collective latency of latency_s), each rate times the
// dispatcher's achieved share (dispatcher_bandwidth_share). Zero when ep = 1.
// With a DeepEP or HybridEP dispatcher a token crosses the scale-out network once
// per remote domain holding one of its experts, (D - 1) (1 - C(E - E/D, k) /
// C(E, k)) times on average for an EP group over D domains, E experts, k a
// token, and the copies that crossed are forwarded over the scale-up fabric.
struct AllToAll {
  double scaleup_bytes = 0;
  double scaleout_bytes = 0;
  double duration_s = 0;
};
AllToAll all_to_all(const Workload& w, const Machine& m, const Layout& l, double bytes_per_value,
                    double latency_s);
// Share of the line rate (one direction) an expert dispatch and combine
// reach together, per fabric, measured by the dispatcher's authors on
// DeepSeek-V3's shape (fitted_constants.cpp has the figures): NCCL's
// all-to-all has no published figure and keeps the line rate (the tier's
// efficiency still applies); DeepEP reaches the line rate inside an 8-GPU
// node and over RDMA but kDeepEpMnnvlShare on a larger (multi-node NVLink)
// domain; HybridEP kHybridEpScaleupShareSmall with up to 8 EP ranks in the
// domain, kHybridEpScaleupShareLarge with more, kHybridEpScaleoutShare over
// the scale-out network. `ep_in_domain` is the EP ranks of one domain.
struct BandwidthShare {
  double scaleup = 1.0;
  double scaleout = 1.0;
};
BandwidthShare dispatcher_bandwidth_share(Dispatcher d, long scaleup_domain, double ep_in_domain);
// All-to-alls per MoE layer per microbatch: dispatch and combine in forward
// and in backward (4), and again in the recomputed forward with full
// recompute (6).
double all_to_alls_per_layer(const Layout& l);

// Bytes one chip receives in one all-gather of the routed tokens over its
// expert-TP group (etp ranks), each rank holding its all-to-all share of the
// microbatch's dispatched tokens (b s / (cp tp) x experts_per_token, hidden
// wide): (etp - 1) x that share. The expert layer needs one all-gather
// before its GEMMs and one reduce-scatter of the same volume after them, in
// forward and in backward (Megatron-Core's token dispatcher with expert TP).
// Zero when etp = 1.
double expert_tp_gather_bytes(const Workload& w, const Layout& l, double bytes_per_value);

}  // namespace clustercap::training::moe
