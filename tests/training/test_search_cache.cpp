// Branch and bound in the layout search (SearchOptions::bound) against the
// search without it, and the search memo (search_cache.hpp) against no
// memo: same layouts, same MFU tables, same sweep output.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "estimator/training/mfu_fixed_point.hpp"
#include "estimator/training/search.hpp"
#include "estimator/training/search_cache.hpp"
#include "tests/training/reference_shapes.hpp"

using namespace clustercap;
using namespace clustercap::training;
using namespace clustercap::test;

namespace {

bool same_layout(const Layout& a, const Layout& b) {
  return a.tp == b.tp && a.pp == b.pp && a.dp == b.dp && a.ep == b.ep && a.cp == b.cp &&
         a.microbatch == b.microbatch && a.interleave == b.interleave &&
         a.recompute == b.recompute && a.zero == b.zero &&
         a.sequence_parallel == b.sequence_parallel && a.tp_overlap == b.tp_overlap &&
         a.dp_overlap == b.dp_overlap && a.offload_optimizer == b.offload_optimizer &&
         a.offload_activations == b.offload_activations;
}

// The bounded search returns exactly the unbounded one's `keep` fastest
// layouts, in the same order (ties included), evaluating no more.
void check_bound_is_exact(const Workload& w, const Machine& m, SearchOptions o) {
  o.bound = false;
  const SearchResult full = search_layouts(w, m, o);
  o.bound = true;
  const SearchResult bounded = search_layouts(w, m, o);
  REQUIRE(bounded.best.size() == full.best.size());
  for (std::size_t k = 0; k < full.best.size(); ++k) {
    INFO("rank " << k);
    CHECK(same_layout(bounded.best[k].first, full.best[k].first));
    // The same evaluation: bit-identical step times.
    CHECK(bounded.best[k].second.step_s == Approx(full.best[k].second.step_s).epsilon(0));
  }
  CHECK(bounded.evaluated <= full.evaluated);
  if (full.best.empty()) {
    CHECK(bounded.evaluated == full.evaluated);
    CHECK(bounded.min_memory_bytes == Approx(full.min_memory_bytes).epsilon(0));
  }
}

Workload small_moe() {
  Workload w;
  w.layers = 8;
  w.hidden = 1024;
  w.heads = 8;
  w.kv_heads = 8;
  w.ffn = 4096;
  w.experts = 8;
  w.experts_per_token = 2;
  w.seq_len = 1024;
  w.vocab = 32000;
  w.global_batch_tokens = 65536;
  w.params = 8 * (4 * 1024.0 * 1024 + 8 * 2 * 1024.0 * 4096) + 2 * 32000 * 1024.0;
  w.active_params = 8 * (4 * 1024.0 * 1024 + 2 * 2 * 1024.0 * 4096) + 2 * 32000 * 1024.0;
  return w;
}

}  // namespace

TEST_CASE("branch and bound returns the unbounded search's fastest layouts", "[training][search]") {
  // Dense shapes of the fixed point across sizes, precisions and scale-up
  // domains; memory-tight machines with a host link (ZeRO, recompute and
  // offload all matter); an MoE with EP; a long context with CP; and
  // constraints pinned. keep 1 (the fixed point) and keep 5.
  for (int keep : {1, 5}) {
    SearchOptions o;
    o.keep = keep;
    for (double params : {1e9, 8e9, 70e9, 400e9, 2e12}) {
      for (int chips : {64, 768, 4096}) {
        Machine m = h100s(chips);
        m.host_bytes_per_s = 32e9;
        INFO("keep " << keep << " params " << params << " chips " << chips);
        check_bound_is_exact(compute_optimal_shape(params, 1), m, o);
        Machine fp8 = m;
        fp8.precision = Precision::fp8;
        fp8.bf16_peak_flops = m.peak_flops;
        fp8.peak_flops = 2 * m.peak_flops;
        fp8.scaleup_domain = 72;
        check_bound_is_exact(compute_optimal_shape(params, 9), fp8, o);
      }
    }
    for (double hbm : {80e9, 40e9, 16e9}) {
      Workload w = gpt3();
      w.layers = 24;
      w.params = 175e9 / 4;
      w.global_batch_tokens = 512 * 2048.0;
      Machine m = a100s(128);
      m.hbm_bytes = hbm;
      m.host_bytes_per_s = 32e9;
      INFO("hbm " << hbm);
      check_bound_is_exact(w, m, o);
      SearchOptions exhaustive = o;
      exhaustive.prune = false;
      check_bound_is_exact(w, m, exhaustive);
      SearchOptions pinned = o;
      pinned.fixed.recompute = Recompute::selective;
      pinned.fixed.sequence_parallel = false;
      check_bound_is_exact(w, m, pinned);
    }
    check_bound_is_exact(small_moe(), h100s(16), o);
    check_bound_is_exact(small_moe(), h100s(64), o);
    check_bound_is_exact(llama405b_128k(), h100s(16384), o);
  }
}

TEST_CASE("branch and bound evaluates fewer layouts on the fixed point's shapes",
          "[training][search]") {
  SearchOptions o;
  o.keep = 1;
  const SearchResult full = search_layouts(compute_optimal_shape(400e9, 1), h100s(8192), o);
  o.bound = true;
  const SearchResult bounded = search_layouts(compute_optimal_shape(400e9, 1), h100s(8192), o);
  REQUIRE(!full.best.empty());
  // 2,923 of 9,734 (the last stage's logits slowed the pipelined layouts,
  // so more groups fall under the fastest one's step than the 2,000 before).
  CHECK(bounded.evaluated * 3 < full.evaluated);
}

TEST_CASE("the search memo returns what the search returns and counts its hits",
          "[training][search][cache]") {
  set_search_cache_enabled(true);
  const Workload w = compute_optimal_shape(70e9, 1);
  const Machine m = h100s(1024);
  SearchOptions o;
  o.keep = 3;
  const SearchResult direct = search_layouts(w, m, o);
  const SearchResult first = cached_search_layouts(w, m, o);
  const SearchCacheStats after_first = search_cache_stats();
  const SearchResult second = cached_search_layouts(w, m, o);
  const SearchCacheStats after_second = search_cache_stats();
  CHECK(after_second.hits == after_first.hits + 1);
  CHECK(after_second.misses == after_first.misses);
  for (const SearchResult* r : {&first, &second}) {
    REQUIRE(r->best.size() == direct.best.size());
    for (std::size_t k = 0; k < direct.best.size(); ++k) {
      CHECK(same_layout(r->best[k].first, direct.best[k].first));
      CHECK(r->best[k].second.step_s == Approx(direct.best[k].second.step_s).epsilon(0));
    }
    CHECK(r->evaluated == direct.evaluated);
  }
  // Any argument the search reads is in the key: a different machine or
  // option is a miss, not the stored answer.
  Machine slower = m;
  slower.scaleout_bytes_per_s /= 2;
  cached_search_layouts(w, slower, o);
  SearchOptions pinned = o;
  pinned.fixed.tp = 4;
  const SearchResult tp4 = cached_search_layouts(w, m, pinned);
  // A torus scale-up fabric (TPU ICI) with the same figures is another machine.
  Machine torus = m;
  torus.scaleup_torus_dims = 2;
  cached_search_layouts(w, torus, o);
  CHECK(search_cache_stats().misses == after_second.misses + 3);
  REQUIRE(!tp4.best.empty());
  CHECK(tp4.best.front().first.tp == 4);
}

TEST_CASE("an MFU table is the same with the memo on or off, at 1 and 2 threads",
          "[training][mfu][cache]") {
  MfuTableSpec spec;
  spec.machine = h100s(0);
  spec.machine.host_bytes_per_s = 32e9;
  spec.chips_min = 8;
  spec.chips_max = 65536;
  spec.c1_min_flop = 1e23;
  spec.c1_max_flop = 1e27;
  spec.exact_chips = {3000};
  spec.exact_c1_flop = {2e25};
  std::vector<std::vector<double>> tables;
  std::vector<SearchCacheStats> stats;
  for (bool cached : {false, true, true}) {
    set_search_cache_enabled(cached);
    for (int threads : {1, 2}) {
      spec.threads = threads;
      const MfuTableBuild b = build_mfu_table(spec);
      std::vector<double> values;
      for (std::size_t i = 0; i < b.table.chips_nodes().size(); ++i)
        for (std::size_t j = 0; j < b.table.c1_nodes().size(); ++j)
          values.push_back(b.table.node(i, j));
      values.push_back(static_cast<double>(b.iterations));
      tables.push_back(values);
      stats.push_back(search_cache_stats());
    }
  }
  set_search_cache_enabled(true);
  for (const auto& t : tables) {
    REQUIRE(t.size() == tables.front().size());
    for (std::size_t k = 0; k < t.size(); ++k) CHECK(t[k] == Approx(tables.front()[k]).epsilon(0));
  }
  // Off, nothing is stored; on, the second build (2 threads) took every
  // node from the memo.
  CHECK(stats[1].node_hits == 0);
  CHECK(stats[1].entries == 0);
  CHECK(stats[2].node_hits == 0);
  CHECK(stats[3].node_hits == stats[2].node_misses);
  CHECK(stats[3].node_misses == stats[2].node_misses);
}
