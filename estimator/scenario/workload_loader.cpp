#include "estimator/scenario/workload_loader.hpp"

#include <algorithm>
#include <cmath>

namespace clustercap {

double parameter_count(const training::Workload& w) {
  const double h_kv = w.hidden * w.kv_heads / std::max(1, w.heads);
  const double mlp = (w.gated_mlp ? 3.0 : 2.0) * w.hidden * w.ffn;
  const double embeddings = (w.tied_embeddings ? 1.0 : 2.0) * w.vocab * w.hidden;
  return w.layers * (2 * w.hidden * w.hidden + 2 * w.hidden * h_kv + mlp * w.experts) + embeddings;
}

double active_parameter_count(const training::Workload& w) {
  training::Workload active = w;
  active.experts = w.experts_per_token;
  return parameter_count(active);
}

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
