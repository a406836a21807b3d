#include "estimator/training/moe.hpp"

#include <algorithm>
#include <cmath>

#include "estimator/training/fitted_constants.hpp"
#include "estimator/training/machine.hpp"

namespace clustercap::training::moe {
namespace {

// Rows at which a grouped expert GEMM runs at half its large-M rate. Fitted
// on DeepGEMM's published H800 FP8 GEMMs of the DeepSeek-V3 expert shape
// N 4096 x K 7168 (github.com/deepseek-ai/DeepGEMM README, performance
// tables): M 128 runs at 533 TFLOPS, 0.41 of M 4096's 1,304, which
// M / (M + 200) gives exactly; M 64 (287, 0.22), M 512 (masked grouped,
// 1,040, 0.80) and M 1,024 (1,233, 0.95) fall within 0.05 of the curve (0.25,
// 0.75, 0.88). The cause is the 128-row tile: below a tile or two the tensor
// cores idle on padding and the weights are read for few rows. ASSUMPTION:
// the same shape of loss holds at BF16 and on other chips.
using calibrated::kDeepEpMnnvlShare;
using calibrated::kGroupedGemmHalfTokens;
using calibrated::kHybridEpScaleoutShare;
using calibrated::kHybridEpScaleupShareLarge;
using calibrated::kHybridEpScaleupShareSmall;

double mlp_matrices(const Workload& w) { return w.gated_mlp ? 3.0 : 2.0; }

// Weights of one MLP of the given width.
double mlp_params(const Workload& w, double width) { return mlp_matrices(w) * w.hidden * width; }

// Weights of one layer's routed experts, shared experts and router.
struct MoeLayerParams {
  double routed_each = 0;  // one routed expert
  double always = 0;       // shared experts and router
};

MoeLayerParams moe_layer_params(const Workload& w) {
  MoeLayerParams p;
  p.routed_each = mlp_params(w, expert_ffn(w));
  p.always = w.shared_experts * p.routed_each + w.hidden * w.experts;
  return p;
}

double embedding_params(const Workload& w) {
  return (w.tied_embeddings ? 1.0 : 2.0) * w.vocab * w.hidden;
}

// Width of one attention head without MLA: head_dim, or hidden / heads.
double plain_head_dim(const Workload& w) {
  return w.head_dim > 0 ? w.head_dim : w.hidden / std::max(1, w.heads);
}
// Head widths of the scores (query-key) and the context (values).
double qk_head_dim(const Workload& w) {
  return uses_mla(w) ? w.qk_nope_head_dim + w.qk_rope_head_dim : plain_head_dim(w);
}
double v_head_dim(const Workload& w) { return uses_mla(w) ? w.v_head_dim : plain_head_dim(w); }

// Parameters with `routed_used` routed experts per MoE layer.
double parameters_with(const Workload& w, double routed_used) {
  const MoeLayerParams moe = moe_layer_params(w);
  const int moe_count = moe_layers(w);
  const int dense_count = w.layers - moe_count;
  // A model without routed experts (experts = 1) keeps its one MLP of width
  // ffn in every layer, as before the MoE shape options.
  const double dense_mlp = moe_count > 0 ? mlp_params(w, dense_ffn(w)) : mlp_params(w, w.ffn);
  return w.layers * attention_params_per_layer(w) + dense_count * dense_mlp +
         moe_count * (moe.always + routed_used * moe.routed_each) + embedding_params(w);
}

}  // namespace

bool uses_mla(const Workload& w) { return w.kv_lora_rank > 0; }

double expert_ffn(const Workload& w) { return w.moe_ffn > 0 ? w.moe_ffn : w.ffn; }

double dense_ffn(const Workload& w) { return w.dense_ffn > 0 ? w.dense_ffn : w.ffn; }

int moe_layers(const Workload& w) {
  return w.experts > 1 ? std::max(0, w.layers - w.dense_layers) : 0;
}

double attention_params_per_layer(const Workload& w) {
  const double h = w.hidden;
  if (!uses_mla(w)) {
    // Q and the output projection heads x d wide, K and V kv_heads x d.
    const double d = plain_head_dim(w);
    return 2 * h * d * w.heads + 2 * h * d * w.kv_heads;
  }
  const double qk = w.qk_nope_head_dim + w.qk_rope_head_dim;
  const double query = w.q_lora_rank > 0
                           ? h * w.q_lora_rank + static_cast<double>(w.q_lora_rank) * w.heads * qk
                           : h * w.heads * qk;
  const double kv_down = h * (w.kv_lora_rank + w.qk_rope_head_dim);
  const double kv_up =
      static_cast<double>(w.kv_lora_rank) * w.heads * (w.qk_nope_head_dim + w.v_head_dim);
  const double out = static_cast<double>(w.heads) * w.v_head_dim * h;
  return query + kv_down + kv_up + out;
}

double parameter_count(const Workload& w) {
  return parameters_with(w, moe_layers(w) > 0 ? w.experts : 0);
}

double active_parameter_count(const Workload& w) {
  return parameters_with(w, moe_layers(w) > 0 ? w.experts_per_token : 0);
}

double routed_expert_params(const Workload& w) {
  const int moe_count = moe_layers(w);
  if (moe_count == 0) return 0.0;
  const double routed = moe_count * w.experts * moe_layer_params(w).routed_each;
  const double total = parameter_count(w);
  return total > 0 ? routed / total * w.params : 0.0;
}

LayerFlop layer_forward_flop(const Workload& w, double b) {
  const double tokens = b * w.seq_len;
  const int moe_count = moe_layers(w);
  const int dense_count = w.layers - moe_count;
  const double dense_mlp =
      moe_count > 0 ? mlp_params(w, dense_ffn(w)) : mlp_params(w, w.ffn) * w.experts_per_token;
  const MoeLayerParams moe = moe_layer_params(w);
  const double layers = std::max(1, w.layers);
  LayerFlop f;
  // Without routed experts every layer is the same: no averaging to round.
  const double mlp_mean =
      moe_count > 0 ? (dense_count * dense_mlp + moe_count * moe.always) / layers : dense_mlp;
  if (moe_count == 0 && !uses_mla(w)) {
    // The dense formula term by term (the same rounding as before MoE shapes).
    const double s = w.seq_len, h = w.hidden, d = plain_head_dim(w);
    const double q_width = d * w.heads, kv_width = d * w.kv_heads;
    f.other = 2 * b * s * h * (2 * q_width + 2 * kv_width) +
              2 * b * s * h * w.ffn * mlp_matrices(w) * w.experts_per_token;
    return f;
  }
  f.other = 2 * tokens * (attention_params_per_layer(w) + mlp_mean);
  f.routed = 2 * tokens * moe_count * w.experts_per_token * moe.routed_each / layers;
  return f;
}

double attention_score_flop(const Workload& w, double b) {
  const double s = w.seq_len;
  if (!uses_mla(w)) return 4 * b * s * s * plain_head_dim(w) * w.heads;
  return 2 * b * s * s * w.heads * (qk_head_dim(w) + v_head_dim(w));
}

double expert_activation_bytes(const Workload& w) {
  const int moe_count = moe_layers(w);
  if (moe_count == 0) return 0.0;
  // The MLP's share of the 34 h bytes Korthikanti et al. 2022 (sec. 4.1)
  // count a layer: input 2 h, fc1 and GeLU outputs 8 h each, dropout mask h.
  constexpr double kDenseMlpBytesPerHidden = 19.0;
  const double copies = w.experts_per_token + w.shared_experts;
  const double per_copy = 2.0 * w.hidden + 2.0 * (w.gated_mlp ? 3.0 : 2.0) * expert_ffn(w);
  const double moe_extra = copies * per_copy - kDenseMlpBytesPerHidden * w.hidden;
  return moe_extra * moe_count / std::max(1, w.layers);
}

double gemm_input_values_per_token(const Workload& w) {
  const double h = w.hidden;
  const int moe_count = moe_layers(w);
  // The dense sum in the order it was first written (outputs unchanged).
  if (moe_count == 0 && !uses_mla(w))
    return 2 * h + plain_head_dim(w) * w.heads + w.ffn * w.experts_per_token;
  const double attention = uses_mla(w) ? 2.0 * h + w.q_lora_rank + w.kv_lora_rank +
                                             static_cast<double>(w.heads) * w.v_head_dim
                                       : h + plain_head_dim(w) * w.heads;
  if (moe_count == 0) return attention + h + w.ffn * w.experts_per_token;
  const double copies = w.experts_per_token + w.shared_experts;
  const double dense_count = w.layers - moe_count;
  const double mlp = (dense_count * (h + dense_ffn(w)) + moe_count * copies * (h + expert_ffn(w))) /
                     std::max(1, w.layers);
  return attention + mlp;
}

double cp_values_per_token(const Workload& w, int tp) {
  if (uses_mla(w)) return static_cast<double>(w.kv_lora_rank) + w.qk_rope_head_dim;
  // With fewer KV heads than TP ranks Megatron replicates them, so a rank
  // always holds at least one KV head.
  const double kv_heads_here = std::max(1.0, std::ceil(static_cast<double>(w.kv_heads) / tp));
  return 2.0 * plain_head_dim(w) * kv_heads_here;
}

double tokens_per_expert(const Workload& w, const Layout& l) {
  const double tokens_here = l.microbatch * w.seq_len / l.cp;
  if (w.experts <= 1) return tokens_here;
  // With expert TP 1 the EP group is ep consecutive ranks of the tp x cp x dp
  // ones (all_to_all below), each holding the 1/tp of a microbatch's tokens
  // sequence parallelism leaves it (Megatron-Core requires sequence
  // parallelism when TP and EP are both above 1): the ep ranks feed an
  // expert ep x b s / (cp tp) tokens, not ep x b s / cp.
  // With expert TP the etp ranks of an expert gather each other's rows.
  const double tokens_dispatched = tokens_here / l.tp;
  return tokens_dispatched * w.experts_per_token * l.ep * l.etp / w.experts * w.expert_imbalance;
}

double expert_gemm_width(const Workload& w, int etp) {
  return std::min(w.hidden, expert_ffn(w) / std::max(1, etp));
}

double grouped_gemm_efficiency(double tokens) { return tokens / (tokens + kGroupedGemmHalfTokens); }

double grouped_gemm_half_tokens() { return kGroupedGemmHalfTokens; }

AllToAll all_to_all(const Workload& w, const Machine& m, const Layout& l, double bytes_per_value,
                    double latency_s) {
  AllToAll a;
  if (l.ep <= 1) return a;
  // With sequence parallelism each TP rank dispatches its 1/tp of the tokens.
  const double tokens_here = l.microbatch * w.seq_len / (static_cast<double>(l.cp) * l.tp);
  const double bytes = tokens_here * w.experts_per_token * w.hidden * bytes_per_value;
  // Experts are not tensor-parallel (expert TP 1, as NVIDIA's MoE recipes
  // set it), and Megatron-Core then numbers the expert ranks of a pipeline
  // stage in its own order, expert-TP, EP, expert-DP (megatron/core/
  // parallel_state.py, the expert RankGenerator): the EP group is that
  // many consecutive ranks, drawn from the tp x cp x dp ranks, so a domain
  // of D chips holds D of them whatever tp and cp are. Routing spreads a
  // chip's tokens evenly over the ep ranks: 1/ep stays here, each peer gets
  // 1/ep, in-domain peers over the scale-up fabric.
  // With expert TP the EP peers sit etp ranks apart.
  const long per_domain = std::max(1L, static_cast<long>(m.scaleup_domain) / std::max(1, l.etp));
  const double peers_inside = static_cast<double>(std::min<long>(l.ep, per_domain) - 1);
  const double peers_outside = l.ep - 1.0 - peers_inside;
  a.scaleup_bytes = bytes * peers_inside / l.ep;
  a.scaleout_bytes = bytes * peers_outside / l.ep;
  const double domains = std::ceil(static_cast<double>(l.ep) / static_cast<double>(per_domain));
  if (w.dispatcher != Dispatcher::alltoall && domains > 1 && w.experts > 1) {
    // Once per remote domain that holds any of the token's experts: with
    // routing spread evenly, a domain holds experts / domains of them and
    // misses all experts_per_token with probability C(E - E/D, k) / C(E, k).
    // Each copy that crosses is then forwarded inside its domain.
    const double e = w.experts, in_domain = e / domains;
    double p_none = 1.0;
    for (int i = 0; i < w.experts_per_token; ++i)
      p_none *= std::max(0.0, e - in_domain - i) / (e - i);
    const double crossing = tokens_here * w.hidden * bytes_per_value;
    const auto domain_chips = static_cast<double>(per_domain);
    a.scaleup_bytes += a.scaleout_bytes * (domain_chips - 1.0) / domain_chips;
    a.scaleout_bytes = crossing * (domains - 1.0) * (1.0 - p_none);
  }
  const BandwidthShare share =
      dispatcher_bandwidth_share(w.dispatcher, m.scaleup_domain, peers_inside + 1);
  const double up_bytes_per_s = m.scaleup_bytes_per_s * m.scaleup_efficiency *
                                mesh_share(m, peers_inside + 1) * share.scaleup;
  const double out_bytes_per_s = m.scaleout_bytes_per_s * m.scaleout_efficiency * share.scaleout;
  const double inside_s = a.scaleup_bytes > 0 ? a.scaleup_bytes / up_bytes_per_s : 0.0;
  const double outside_s = a.scaleout_bytes > 0 ? a.scaleout_bytes / out_bytes_per_s : 0.0;
  a.duration_s = std::max(inside_s, outside_s) + latency_s;
  return a;
}

BandwidthShare dispatcher_bandwidth_share(Dispatcher d, long scaleup_domain, double ep_in_domain) {
  // The largest domain DeepEP's intranode kernels were built for (one
  // 8-GPU node), and the EP ranks of HybridEP's smallest published row.
  constexpr double kEightGpus = 8.0;
  BandwidthShare s;
  switch (d) {
    case Dispatcher::alltoall:
      break;
    case Dispatcher::deepep:
      if (static_cast<double>(scaleup_domain) > kEightGpus) s.scaleup = kDeepEpMnnvlShare;
      break;
    case Dispatcher::hybridep:
      s.scaleup =
          ep_in_domain > kEightGpus ? kHybridEpScaleupShareLarge : kHybridEpScaleupShareSmall;
      s.scaleout = kHybridEpScaleoutShare;
      break;
  }
  return s;
}

double all_to_alls_per_layer(const Layout& l) { return l.recompute == Recompute::full ? 6.0 : 4.0; }

double expert_tp_gather_bytes(const Workload& w, const Layout& l, double bytes_per_value) {
  if (l.etp <= 1) return 0.0;
  const double tokens_here = l.microbatch * w.seq_len / (static_cast<double>(l.cp) * l.tp);
  return (l.etp - 1.0) * tokens_here * w.experts_per_token * w.hidden * bytes_per_value;
}

}  // namespace clustercap::training::moe
