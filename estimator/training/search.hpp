// Parallelism search: every valid layout of a workload on a cluster
// (TP over divisors of the heads within the scale-up domain, CP over powers of
// two up to 16 dividing the sequence into chunks of >= 4,096 tokens -- or only
// the workload's forced_cp --, PP over divisors of the layers,
// DP = chips / (TP CP PP), EP over divisors of the experts that divide
// TP x CP x DP (expert TP 1 unless pinned),
// microbatch, pipeline interleaving, recompute, ZeRO stage, sequence
// parallelism, TP and DP overlap, offload of optimizer state and
// activations when the machine has a host link), evaluated in parallel when
// the search is large enough to pay for the threads; returns the fastest
// layouts that fit in memory. Deterministic for any thread count (ties broken
// by enumeration order).
//
// Pruning (SearchOptions::prune) skips layouts that cannot beat one already
// evaluated with the same shape, microbatch and interleaving; the argument
// is in search.cpp and tests/training/test_search.cpp compares it against
// the exhaustive search.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "estimator/training/step_model.hpp"

namespace clustercap::training {

struct SearchResult {
  std::vector<std::pair<Layout, StepBreakdown>> best;  // fastest first
  std::uint64_t considered = 0;                        // layouts enumerated (evaluated + pruned)
  std::uint64_t pruned = 0;     // skipped: provably no faster than one evaluated
  std::uint64_t evaluated = 0;  // layouts whose step time was computed and that are valid
  std::uint64_t fitting = 0;    // of which fit in memory
  double min_memory_bytes = 0;  // smallest per-chip need over valid layouts
};

// Choices pinned by the caller (a published run's recipe, a scenario's
// tp/pp); every unset one is searched.
struct LayoutConstraints {
  std::optional<int> tp, pp, cp, ep, etp, zero, interleave;
  std::optional<int> microbatch;  // sequences per microbatch
  std::optional<Recompute> recompute;
  std::optional<bool> sequence_parallel, tp_overlap, dp_overlap, offload_optimizer,
      offload_activations;
};

struct SearchOptions {
  int keep = 5;     // fastest layouts returned, >= 1
  int threads = 1;  // >= 1
  bool prune = true;
  // Branch and bound over (tp, cp, pp, ep, microbatch, interleave) groups:
  // each group's least possible step time (its compute with the least
  // recompute, plus the pipeline bubble that compute alone makes; every
  // other term is >= 0) is found with one evaluation, groups are searched
  // from the lowest bound up, and the search stops once a bound exceeds the
  // keep-th fastest step found. `best` (order and ties included) is the
  // same as without it; so is min_memory_bytes when nothing fits (no group
  // is skipped then). `considered`, `pruned`, `evaluated` and `fitting` then
  // count only the groups searched. Groups run one after another (threads
  // is ignored). For callers that need only `best` (the MFU fixed point).
  bool bound = false;
  LayoutConstraints fixed;
};

SearchResult search_layouts(const Workload& w, const Machine& m, const SearchOptions& options);
SearchResult search_layouts(const Workload& w, const Machine& m, int keep = 5, int threads = 1);

}  // namespace clustercap::training
