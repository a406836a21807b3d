// Parallelism search: every valid layout of a workload on a cluster
// (TP over divisors of the heads within the scale-up domain, CP over powers of
// two up to 16 dividing the sequence into chunks of >= 4,096 tokens -- or only
// the workload's forced_cp --, PP over divisors of the layers,
// DP = chips / (TP CP PP), EP over divisors of the experts within DP,
// microbatch, pipeline interleaving, recompute), evaluated in parallel when
// the search is large enough to pay for the threads; returns the fastest
// layouts that fit in memory. Deterministic for any thread count (ties broken
// by enumeration order).
#pragma once

#include <cstdint>
#include <vector>

#include "estimator/training/step_model.hpp"

namespace clustercap::training {

struct SearchResult {
  std::vector<std::pair<Layout, StepBreakdown>> best;  // fastest first
  std::uint64_t evaluated = 0;                         // layouts whose step time was computed
  std::uint64_t fitting = 0;                           // of which fit in memory
  double min_memory_bytes = 0;                         // smallest per-chip need over valid layouts
};

SearchResult search_layouts(const Workload& w, const Machine& m, int keep = 5, int threads = 1);

}  // namespace clustercap::training
