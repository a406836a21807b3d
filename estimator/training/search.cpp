#include "estimator/training/search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hardware/common/parallel.hpp"

namespace clustercap::training {
namespace {

std::vector<int> divisors(int n, int limit) {
  std::vector<int> out;
  for (int d = 1; d <= std::min(n, limit); ++d) {
    if (n % d == 0) out.push_back(d);
  }
  return out;
}

// Context parallelism only pays once each chip keeps a long chunk: below
// ~4K tokens per chip the GEMMs get short in the token dimension and the
// O(s) K/V ring is no longer small against the O(s^2 / cp) attention. NeMo's
// Llama 3 70B recipe runs CP 2 at 8K (nemo/collections/llm/recipes/
// llama3_70b.py), Llama 3 CP 16 at 128K (arXiv 2407.21783, Table 4), both
// >= 4,096 tokens per chip; shorter sequences search cp = 1 only, which keeps
// the search as fast as before for them.
constexpr double kMinCpChunkTokens = 4096;
constexpr int kMaxCp = 16;
// Below this many layout evaluations (~0.1 us each) a parallel region costs
// more to start than it saves, especially on cores shared with other work.
constexpr std::size_t kMinEvaluationsPerThread = 20000;
// Upper bound of evaluations per (tp, cp, pp) shape and EP degree:
// 5 microbatch sizes x 4 interleavings x 3 recompute modes.
constexpr std::size_t kEvaluationsPerShape = 60;

std::vector<int> context_parallel_degrees(const Workload& w) {
  if (w.forced_cp > 0) return {w.forced_cp};
  std::vector<int> out{1};
  for (int cp = 2; cp <= kMaxCp; cp *= 2) {
    if (std::fmod(w.seq_len, cp) == 0 && w.seq_len / cp >= kMinCpChunkTokens) out.push_back(cp);
  }
  return out;
}

bool faster(const std::pair<Layout, StepBreakdown>& a, const std::pair<Layout, StepBreakdown>& b) {
  return a.second.tokens_per_s > b.second.tokens_per_s;
}

}  // namespace

SearchResult search_layouts(const Workload& w, const Machine& m, int keep, int threads) {
  struct Shape {
    int tp, cp, pp;
  };
  std::vector<Shape> shapes;
  std::size_t work = 0;
  const std::vector<int> cps = context_parallel_degrees(w);
  for (int tp : divisors(w.heads, std::min(m.scaleup_domain, m.chips))) {
    if (m.chips % tp != 0) continue;
    for (int cp : cps) {
      if ((m.chips / tp) % cp != 0) continue;
      // Any pipeline depth that divides the remaining chips and leaves each
      // stage at least one layer.
      for (int pp : divisors(m.chips / (tp * cp), w.layers)) {
        shapes.push_back({tp, cp, pp});
        const int dp = m.chips / (tp * cp * pp);
        work += kEvaluationsPerShape * (w.experts > 1 ? divisors(w.experts, dp).size() : 1);
      }
    }
  }
  const int n = static_cast<int>(shapes.size());
  std::vector<SearchResult> partial(static_cast<std::size_t>(n));
  const double sequences = w.global_batch_tokens / w.seq_len;
  const std::size_t wanted = static_cast<std::size_t>(std::max(1, threads));
  const int team =
      static_cast<int>(std::max<std::size_t>(1, std::min(wanted, work / kMinEvaluationsPerThread)));
  parallel_for(n, team, [&](std::int64_t k) {
    SearchResult& out = partial[static_cast<std::size_t>(k)];
    out.min_memory_bytes = std::numeric_limits<double>::infinity();
    Layout l;
    l.tp = shapes[static_cast<std::size_t>(k)].tp;
    l.cp = shapes[static_cast<std::size_t>(k)].cp;
    l.pp = shapes[static_cast<std::size_t>(k)].pp;
    l.dp = m.chips / (l.tp * l.cp * l.pp);
    const std::vector<int> eps = w.experts > 1 ? divisors(w.experts, l.dp) : std::vector<int>{1};
    for (int ep : eps) {
      if (l.dp % ep != 0) continue;
      l.ep = ep;
      for (int mb : {1, 2, 4, 8, 16}) {
        if (sequences / l.dp < mb) break;
        l.microbatch = mb;
        for (int v : {1, 2, 4, 8}) {
          if (v > 1 && l.pp == 1) break;
          l.interleave = v;
          for (Recompute rc : {Recompute::none, Recompute::selective, Recompute::full}) {
            l.recompute = rc;
            const StepBreakdown r = evaluate_layout(w, m, l);
            if (!r.valid) continue;
            ++out.evaluated;
            out.min_memory_bytes = std::min(out.min_memory_bytes, r.memory_bytes);
            if (!r.fits) continue;
            ++out.fitting;
            out.best.emplace_back(l, r);
            std::stable_sort(out.best.begin(), out.best.end(), faster);
            if (static_cast<int>(out.best.size()) > keep) out.best.pop_back();
          }
        }
      }
    }
  });
  SearchResult merged;
  merged.min_memory_bytes = std::numeric_limits<double>::infinity();
  for (const auto& p : partial) {  // in enumeration order: deterministic ties
    merged.evaluated += p.evaluated;
    merged.fitting += p.fitting;
    merged.min_memory_bytes = std::min(merged.min_memory_bytes, p.min_memory_bytes);
    for (const auto& b : p.best) merged.best.push_back(b);
  }
  std::stable_sort(merged.best.begin(), merged.best.end(), faster);
  if (static_cast<int>(merged.best.size()) > keep)
    merged.best.resize(static_cast<std::size_t>(keep));
  if (merged.evaluated == 0) merged.min_memory_bytes = 0;
  return merged;
}

}  // namespace clustercap::training
