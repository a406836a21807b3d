#include "estimator/training/search_cache.hpp"

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

namespace clustercap::training {
namespace {

// A field added to Workload, Machine or the search options must join the
// key below; these sizes (x86-64, libstdc++) fail the build until the key
// has been checked against the new field.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(Workload) == 240, "a Workload field changed: add it to key_of");
static_assert(sizeof(Machine) == 152, "a Machine field changed: add it to key_of");
static_assert(sizeof(LayoutConstraints) == 84, "a constraint changed: add it to key_of");
static_assert(sizeof(SearchOptions) == 96, "a search option changed: add it to key_of");
static_assert(sizeof(FixedPointOptions) == 32, "a fixed-point option changed: add it to node_key");
#endif

class KeyWriter {
 public:
  template <class T>
  void add(const T& value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    key_.append(bytes, sizeof(T));
  }
  template <class T>
  void add(const std::optional<T>& value) {
    add(value.has_value());
    if (value) add(*value);
  }
  std::string take() { return std::move(key_); }

 private:
  std::string key_;
};

// Every Machine field the search reads but `chips`.
void add_machine(KeyWriter& k, const Machine& m) {
  k.add(m.precision);
  k.add(m.peak_flops);
  k.add(m.bf16_peak_flops);
  k.add(m.hbm_bytes);
  k.add(m.hbm_bytes_per_s);
  k.add(m.scaleup_bytes_per_s);
  k.add(m.scaleup_domain);
  k.add(m.scaleup_torus_dims);
  k.add(m.scaleup_mesh);
  k.add(m.scaleout_bytes_per_s);
  k.add(m.scaleup_efficiency);
  k.add(m.scaleout_efficiency);
  k.add(m.scaleup_latency_s);
  k.add(m.scaleout_latency_s);
  k.add(m.host_bytes_per_s);
  k.add(m.matmul_ceiling);
  k.add(m.attention_forward_efficiency);
  k.add(m.attention_backward_efficiency);
  k.add(m.recompute_matmul_share);
}

// Bit patterns, so -0.0 and 0.0 differ and NaN equals itself: a key matches
// only arguments the search cannot tell apart.
std::string key_of(const Workload& w, const Machine& m, const SearchOptions& o) {
  KeyWriter k;
  // Workload (name and tokens: the search does not read them).
  k.add(w.params);
  k.add(w.active_params);
  k.add(w.layers);
  k.add(w.hidden);
  k.add(w.ffn);
  k.add(w.heads);
  k.add(w.kv_heads);
  k.add(w.seq_len);
  k.add(w.vocab);
  k.add(w.experts);
  k.add(w.experts_per_token);
  k.add(w.gated_mlp);
  k.add(w.tied_embeddings);
  k.add(w.global_batch_tokens);
  k.add(w.forced_cp);
  k.add(w.head_dim);
  k.add(w.parallel_block);
  k.add(w.moe_ffn);
  k.add(w.shared_experts);
  k.add(w.dense_layers);
  k.add(w.dense_ffn);
  k.add(w.q_lora_rank);
  k.add(w.kv_lora_rank);
  k.add(w.qk_nope_head_dim);
  k.add(w.qk_rope_head_dim);
  k.add(w.v_head_dim);
  k.add(w.expert_imbalance);
  k.add(w.a2a_overlap);
  k.add(w.dropless);
  k.add(static_cast<int>(w.dispatcher));
  k.add(static_cast<int>(w.pipeline_split));
  k.add(w.bf16_layers_at_start);
  k.add(w.bf16_layers_at_end);
  // Machine.
  add_machine(k, m);
  k.add(m.chips);
  // Options (threads never changes the result).
  k.add(o.keep);
  k.add(o.prune);
  k.add(o.bound);
  const LayoutConstraints& f = o.fixed;
  k.add(f.tp);
  k.add(f.pp);
  k.add(f.cp);
  k.add(f.ep);
  k.add(f.etp);
  k.add(f.microbatch);
  k.add(f.zero);
  k.add(f.interleave);
  k.add(f.recompute);
  k.add(f.sequence_parallel);
  k.add(f.tp_overlap);
  k.add(f.dp_overlap);
  k.add(f.offload_optimizer);
  k.add(f.offload_activations);
  return k.take();
}

struct Memo {
  std::mutex mutex;
  std::unordered_map<std::string, SearchResult> results;
  std::uint64_t hits = 0, misses = 0;
  std::unordered_map<std::string, MfuPrediction> nodes;
  std::uint64_t node_hits = 0, node_misses = 0;
  std::atomic<bool> enabled{true};
};

Memo& memo() {
  static Memo instance;
  return instance;
}

}  // namespace

SearchResult cached_search_layouts(const Workload& w, const Machine& m,
                                   const SearchOptions& options) {
  Memo& c = memo();
  if (!c.enabled.load()) return search_layouts(w, m, options);
  std::string key = key_of(w, m, options);
  {
    const std::lock_guard<std::mutex> lock(c.mutex);
    const auto found = c.results.find(key);
    if (found != c.results.end()) {
      ++c.hits;
      return found->second;
    }
    ++c.misses;
  }
  // Searched outside the lock: two threads may search the same arguments at
  // once, and both store the same result.
  SearchResult result = search_layouts(w, m, options);
  const std::lock_guard<std::mutex> lock(c.mutex);
  if (c.results.size() >= kSearchCacheEntries) c.results.clear();
  c.results.emplace(std::move(key), result);
  return result;
}

std::string node_key(const Machine& m, double chips, double c1_flop,
                     const FixedPointOptions& options) {
  KeyWriter k;
  add_machine(k, m);
  k.add(chips);
  k.add(c1_flop);
  k.add(options.initial_mfu);
  k.add(options.params_cap);
  k.add(options.tolerance);
  k.add(options.max_iterations);
  return k.take();
}

std::optional<MfuPrediction> find_node(const std::string& key) {
  Memo& c = memo();
  if (!c.enabled.load()) return std::nullopt;
  const std::lock_guard<std::mutex> lock(c.mutex);
  const auto found = c.nodes.find(key);
  if (found == c.nodes.end()) {
    ++c.node_misses;
    return std::nullopt;
  }
  ++c.node_hits;
  return found->second;
}

void store_node(std::string key, const MfuPrediction& prediction) {
  Memo& c = memo();
  if (!c.enabled.load()) return;
  const std::lock_guard<std::mutex> lock(c.mutex);
  if (c.nodes.size() >= kSearchCacheEntries) c.nodes.clear();
  c.nodes.emplace(std::move(key), prediction);
}

SearchCacheStats search_cache_stats() {
  Memo& c = memo();
  const std::lock_guard<std::mutex> lock(c.mutex);
  return {c.hits, c.misses, static_cast<std::uint64_t>(c.results.size()), c.node_hits,
          c.node_misses};
}

void set_search_cache_enabled(bool enabled) {
  Memo& c = memo();
  const std::lock_guard<std::mutex> lock(c.mutex);
  c.enabled.store(enabled);
  c.results.clear();
  c.hits = 0;
  c.misses = 0;
  c.nodes.clear();
  c.node_hits = 0;
  c.node_misses = 0;
}

bool search_cache_enabled() { return memo().enabled.load(); }

}  // namespace clustercap::training
