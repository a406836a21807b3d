#include "estimator/scenario/workload_loader.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

#include "estimator/training/moe.hpp"

namespace clustercap {

double parameter_count(const training::Workload& w) { return training::moe::parameter_count(w); }

double active_parameter_count(const training::Workload& w) {
  return training::moe::active_parameter_count(w);
}

namespace {

// The MoE and MLA shape keys (estimator/training/moe.hpp).
void read_moe_shape(TableReader& r, training::Workload& w) {
  const auto count = [&](const char* key) {
    return static_cast<int>(r.integer(key, Range::closed(1, 1e6)).value_or(0));
  };
  w.moe_ffn = r.number("moe_ffn", Range::positive(1e7)).value_or(0);
  w.dense_ffn = r.number("dense_ffn", Range::positive(1e7)).value_or(0);
  w.shared_experts =
      static_cast<int>(r.integer("shared_experts", Range::closed(0, 256)).value_or(0));
  w.dense_layers = static_cast<int>(r.integer("dense_layers", Range::closed(0, 10000)).value_or(0));
  w.q_lora_rank = count("q_lora_rank");
  w.kv_lora_rank = count("kv_lora_rank");
  w.qk_nope_head_dim = count("qk_nope_head_dim");
  w.qk_rope_head_dim = count("qk_rope_head_dim");
  w.v_head_dim = count("v_head_dim");
  if (w.dense_layers >= w.layers && w.experts > 1) {
    r.error_at("dense_layers",
               "must leave at least one MoE layer (layers " + std::to_string(w.layers) + ")");
  }
  const bool mla = w.kv_lora_rank > 0;
  for (const char* key : {"q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"}) {
    const bool given = r.has(key);
    if (given && !mla) r.error_at(key, "is an MLA key: needs kv_lora_rank");
    if (!given && mla && std::string_view(key) != "q_lora_rank")
      r.error_at("kv_lora_rank", std::string("MLA needs ") + key);
  }
}

}  // namespace

training::Workload read_workload(TableReader& r, bool tokens_required) {
  training::Workload w;
  w.name = r.string("name").value_or("");
  w.layers = static_cast<int>(
      r.integer("layers", Range::closed(1, 10000), Presence::required).value_or(1));
  w.hidden = r.number("hidden", Range::closed(1, 1e6), Presence::required).value_or(1);
  w.heads =
      static_cast<int>(r.integer("heads", Range::closed(1, 10000), Presence::required).value_or(1));
  w.kv_heads = static_cast<int>(r.integer("kv_heads", Range::closed(1, 10000)).value_or(w.heads));
  w.ffn = r.number("ffn", Range::positive(1e7)).value_or(4 * w.hidden);
  w.gated_mlp = r.boolean("gated_mlp").value_or(false);
  w.tied_embeddings = r.boolean("tied_embeddings").value_or(true);
  w.seq_len = r.number("seq_len", Range::closed(1, 1e7), Presence::required).value_or(1);
  w.vocab = r.number("vocab", Range::closed(1, 1e7), Presence::required).value_or(1);
  w.global_batch_tokens =
      r.number("global_batch_tokens", Range::positive(1e12), Presence::required).value_or(1);
  w.experts = static_cast<int>(r.integer("experts", Range::closed(1, 4096)).value_or(1));
  w.experts_per_token =
      static_cast<int>(r.integer("experts_per_token", Range::closed(1, 256)).value_or(1));
  read_moe_shape(r, w);
  w.tokens = r.number("tokens", Range::positive(1e18),
                      tokens_required ? Presence::required : Presence::optional)
                 .value_or(0);
  // A forced context-parallel degree; tp x cp may exceed the scale-up domain
  // (the CP ring then runs on the scale-out network), TP alone may not.
  const auto cp = r.integer("cp", Range::closed(1, 4096));
  const auto params = r.number("params", Range::positive(1e16));
  const auto active = r.number("active_params", Range::positive(1e16));
  const double hidden_int = std::round(w.hidden);
  if (w.heads > 0 && std::fmod(hidden_int, w.heads) != 0) {
    r.error_at("heads", "must divide hidden (" + format_number(w.hidden) + ")");
  }
  if (w.kv_heads > 0 && w.heads % w.kv_heads != 0) r.error_at("kv_heads", "must divide heads");
  if (cp) {
    w.forced_cp = static_cast<int>(*cp);
    if (std::fmod(w.seq_len, static_cast<double>(*cp)) != 0) {
      r.error_at("cp", "must divide seq_len (" + format_number(w.seq_len) + ")");
    }
  }
  if (w.experts_per_token > w.experts) r.error_at("experts_per_token", "must not exceed experts");
  if (w.global_batch_tokens < w.seq_len) {
    r.error_at("global_batch_tokens",
               "must hold at least one sequence (seq_len " + format_number(w.seq_len) + ")");
  }
  w.params = params.value_or(parameter_count(w));
  w.active_params = active.value_or(params && w.experts == 1 ? *params : active_parameter_count(w));
  if (w.active_params > w.params) r.error_at("active_params", "must not exceed params");
  return w;
}

}  // namespace clustercap
