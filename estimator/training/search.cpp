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
// Typical evaluations per (tp, cp, pp) shape and EP degree after pruning:
// 5 microbatch sizes x 4 interleavings x ~6 memory/overlap choices.
constexpr std::size_t kEvaluationsPerShape = 120;

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

template <typename T>
std::vector<T> choices(const std::optional<T>& fixed, std::vector<T> all) {
  if (fixed) return {*fixed};
  return all;
}

// The memory and overlap choices of one layout whose shape, microbatch and
// interleaving are set in `l`, evaluated into `out`.
//
// Why pruning never drops the fastest layout (the exhaustive search is the
// reference in tests/training/test_search.cpp). In the step model, with the
// other choices fixed:
//  (a) sequence parallelism on is never slower and never needs more memory
//      than off (same TP traffic; norm-side work and activations split);
//  (b) DP overlap on is never slower than off (exposed_s <= layers x comm)
//      and memory does not depend on it;
//  (c) memory falls from ZeRO 0 to 1 to 2 (and 3 only adds traffic): ZeRO 0
//      fits only where 1 does; step time rises from ZeRO 1 to 2 to 3 (more
//      collectives, each exposed >= 0), so once ZeRO s in {1, 2} fits, the
//      higher stages are no faster;
//  (d) offload only adds exposed host-link time and only lowers memory, so
//      once ZeRO 0 fits without offload (then 1 fits too), every offload
//      variant is no faster than the ZeRO 0 or 1 one already evaluated;
//  (e) recompute none <= selective <= full in step time at ZeRO <= 1 without
//      offload: each adds compute, and the exposed TP, CP and DP time it
//      can hide is at most the compute it adds; so once (none, ZeRO 0, no
//      offload) fits, no later recompute mode is faster than it.
// When pinned by `fixed`, a choice is not searched and nothing is pruned for it.
void search_choices(const Workload& w, const Machine& m, Layout l, const SearchOptions& o,
                    SearchResult& out) {
  const LayoutConstraints& f = o.fixed;
  const bool prune = o.prune;
  const bool tp_on = l.tp > 1;
  const bool dp_on = static_cast<long>(l.dp) * l.cp > 1;
  const bool host = m.host_bytes_per_s > 0;
  const std::vector<bool> sps =
      choices(f.sequence_parallel,
              tp_on && !prune ? std::vector<bool>{true, false} : std::vector<bool>{true});
  const std::vector<bool> dpos = choices(
      f.dp_overlap, dp_on && !prune ? std::vector<bool>{true, false} : std::vector<bool>{true});
  const std::vector<bool> tpos =
      choices(f.tp_overlap, tp_on ? std::vector<bool>{false, true} : std::vector<bool>{false});
  const std::vector<bool> off_opts = choices(
      f.offload_optimizer, host ? std::vector<bool>{false, true} : std::vector<bool>{false});
  const std::vector<bool> off_acts = choices(
      f.offload_activations, host ? std::vector<bool>{false, true} : std::vector<bool>{false});
  const std::vector<Recompute> rcs =
      choices(f.recompute, {Recompute::none, Recompute::selective, Recompute::full});
  const std::vector<int> zeros = choices(f.zero, {0, 1, 2, 3});
  // Layouts an exhaustive search would evaluate here; what is not evaluated
  // below is pruned.
  const std::uint64_t full_size = (f.sequence_parallel || !tp_on ? 1u : 2u) *
                                  (f.dp_overlap || !dp_on ? 1u : 2u) * tpos.size() *
                                  off_opts.size() * off_acts.size() * rcs.size() * zeros.size();
  out.considered += full_size;
  std::uint64_t computed = 0;
  // Evaluates one layout; true when it is valid and fits.
  const auto run = [&](int zero, bool off_opt, bool off_act) {
    l.zero = zero;
    l.offload_optimizer = off_opt;
    l.offload_activations = off_act;
    const StepBreakdown r = evaluate_layout(w, m, l);
    ++computed;
    if (!r.valid) return false;
    ++out.evaluated;
    out.min_memory_bytes = std::min(out.min_memory_bytes, r.memory_bytes);
    if (!r.fits) return false;
    ++out.fitting;
    out.best.emplace_back(l, r);
    std::stable_sort(out.best.begin(), out.best.end(), faster);
    if (static_cast<int>(out.best.size()) > o.keep) out.best.pop_back();
    return true;
  };
  for (bool sp : sps) {
    l.sequence_parallel = sp;
    for (bool dpo : dpos) {
      l.dp_overlap = dpo;
      for (bool tpo : tpos) {
        l.tp_overlap = tpo;
        for (Recompute rc : rcs) {
          l.recompute = rc;
          bool zero0_fits_plain = false;  // ZeRO 0, no offload: (d), (e)
          for (bool off_opt : off_opts) {
            for (bool off_act : off_acts) {
              const bool plain = !off_opt && !off_act;
              if (prune && !plain && zero0_fits_plain) continue;  // (d)
              if (!prune || f.zero) {
                for (int z : zeros) {
                  const bool fits = run(z, off_opt, off_act);
                  if (plain && z == 0 && fits) zero0_fits_plain = true;
                }
                continue;
              }
              // (c): ZeRO 1 first; 0 only where 1 fits; 2 only where 1 does
              // not; 3 only where 2 does not.
              if (run(1, off_opt, off_act)) {
                if (run(0, off_opt, off_act) && plain) zero0_fits_plain = true;
              } else if (!run(2, off_opt, off_act)) {
                run(3, off_opt, off_act);
              }
            }
          }
          // (e): recompute modes after this one are no faster.
          if (prune && !f.recompute && zero0_fits_plain) break;
        }
      }
    }
  }
  out.pruned += full_size - computed;
}

// The least step time any layout of group `l` (shape, EP, microbatch and
// interleaving set) can have, and whether the group has valid layouts.
// step_s = compute_s + tp_comm_s + pp_comm_s + bubble_s + terms >= 0, with
// bubble_s = (pp - 1) / v x (compute + TP + other traffic) per microbatch.
// Each part is bounded below over the group's choices:
//  - compute_s depends only on recompute (none <= selective <= full: each
//    adds FLOPs) and sequence parallelism (the elementwise bytes), so the
//    least recompute allowed at the cheaper sequence-parallel choice bounds it;
//  - tp_comm_s does not depend on ZeRO, offload, DP overlap or sequence
//    parallelism (same volume); without TP overlap it does not depend on
//    recompute either, and with it, max(0, c - L) + k min(c, L) (c the
//    traffic, L the linear layers' time, k <= 1 the overlap cost) falls as L
//    grows, and L is largest under the most recompute allowed; overlap on is
//    never above off (the same formula at L = 0). So TP overlap on (when it
//    may be searched) at the most recompute allowed bounds it;
//  - pp_comm_s depends on none of the choices;
//  - with PP the stage time is the larger of the fullest rank's (the terms
//    above) and the last rank's: its layers' share of the same terms (all
//    linear in the layer count, so bounded by the same bound scaled) plus
//    the logits, which no choice changes; edge_stage_s is the excess.
// Validity depends on none of them either.
struct GroupBound {
  bool valid = false;
  double step_s = 0;
};

GroupBound group_bound(const Workload& w, const Machine& m, Layout l, const SearchOptions& o) {
  const LayoutConstraints& f = o.fixed;
  l.zero = f.zero.value_or(0);
  l.offload_optimizer = f.offload_optimizer.value_or(false);
  l.offload_activations = f.offload_activations.value_or(false);
  l.dp_overlap = true;
  const std::vector<bool> sps =
      choices(f.sequence_parallel,
              l.tp > 1 && !o.prune ? std::vector<bool>{true, false} : std::vector<bool>{true});
  GroupBound g;
  double compute_s = std::numeric_limits<double>::infinity();
  l.recompute = f.recompute.value_or(Recompute::none);
  l.tp_overlap = false;
  for (bool sp : sps) {
    l.sequence_parallel = sp;
    const StepBreakdown r = evaluate_layout(w, m, l);
    if (!r.valid) return {};
    compute_s = std::min(compute_s, r.compute_s);
  }
  l.recompute = f.recompute.value_or(Recompute::full);
  l.tp_overlap = f.tp_overlap.value_or(l.tp > 1);
  const StepBreakdown most = evaluate_layout(w, m, l);
  const double microbatches =
      w.global_batch_tokens / w.seq_len / (static_cast<double>(l.dp) * l.microbatch);
  double stage_s = compute_s + most.tp_comm_s;
  if (l.pp > 1) {
    const StageLayers st = stage_layers(w, l.pp);
    stage_s = std::max(stage_s, stage_s * st.last / std::max(1, st.fullest) + most.logits_s);
  }
  const double bubble_s = l.pp > 1 ? (l.pp - 1.0) / l.interleave * (stage_s / microbatches) : 0.0;
  g.valid = true;
  g.step_s = stage_s + most.pp_comm_s + bubble_s;
  return g;
}

// The least memory per chip any layout of group `l` needs: memory falls
// with recompute (none > selective > full: fewer saved activations) and
// with sequence parallelism on, so the most recompute allowed bounds it;
// ZeRO stages and offload are not monotone in every corner (ZeRO 3's
// gathered layers, offload's two resident layers), so every allowed
// combination of them is tried.
double group_min_memory_bytes(const Workload& w, const Machine& m, Layout l,
                              const SearchOptions& o) {
  const LayoutConstraints& f = o.fixed;
  const bool host = m.host_bytes_per_s > 0;
  l.recompute = f.recompute.value_or(Recompute::full);
  double least = std::numeric_limits<double>::infinity();
  for (bool sp : choices(f.sequence_parallel, std::vector<bool>{true, false})) {
    l.sequence_parallel = sp;
    for (bool off_opt : choices(f.offload_optimizer,
                                host ? std::vector<bool>{false, true} : std::vector<bool>{false})) {
      l.offload_optimizer = off_opt;
      for (bool off_act : choices(f.offload_activations, host ? std::vector<bool>{false, true}
                                                              : std::vector<bool>{false})) {
        l.offload_activations = off_act;
        for (int z : choices(f.zero, {0, 1, 2, 3})) {
          l.zero = z;
          least = std::min(least, memory_per_chip(w, l, m.precision));
        }
      }
    }
  }
  return least;
}

// A bound that rounding could push above the exact step time of a layout
// that ties the incumbent: groups are skipped only when their bound exceeds
// the incumbent by more than this, relative.
constexpr double kBoundSlack = 1e-9;

// SearchOptions::bound: the groups of `shapes` in enumeration order, then
// searched from the lowest bound up.
SearchResult search_bounded(const Workload& w, const Machine& m, const SearchOptions& o,
                            const std::vector<Layout>& groups) {
  std::vector<double> lower(groups.size(), 0.0);
  std::vector<std::size_t> order;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const GroupBound b = group_bound(w, m, groups[g], o);
    if (!b.valid) continue;  // no valid layout: nothing to evaluate or count as evaluated
    lower[g] = b.step_s;
    order.push_back(g);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lower[a] < lower[b]; });
  // The fastest `keep` so far with their place in enumeration order (group,
  // then position in the group's own list), which breaks ties as the
  // unbounded search does.
  struct Entry {
    std::pair<Layout, StepBreakdown> layout;
    std::size_t group, position;
  };
  std::vector<Entry> best;
  SearchResult merged;
  merged.min_memory_bytes = std::numeric_limits<double>::infinity();
  const auto keep = static_cast<std::size_t>(std::max(1, o.keep));
  for (std::size_t g : order) {
    if (best.size() >= keep && lower[g] > best[keep - 1].layout.second.step_s * (1 + kBoundSlack))
      break;  // this group and every later one (bounds ascend) are slower than `keep` found
    // Once something fits, a group none of whose layouts fits cannot change
    // `best` (and min_memory_bytes is then not needed).
    if (!best.empty() && group_min_memory_bytes(w, m, groups[g], o) > m.hbm_bytes) continue;
    SearchResult local;
    local.min_memory_bytes = std::numeric_limits<double>::infinity();
    search_choices(w, m, groups[g], o, local);
    merged.considered += local.considered;
    merged.pruned += local.pruned;
    merged.evaluated += local.evaluated;
    merged.fitting += local.fitting;
    merged.min_memory_bytes = std::min(merged.min_memory_bytes, local.min_memory_bytes);
    for (std::size_t k = 0; k < local.best.size(); ++k) best.push_back({local.best[k], g, k});
    std::sort(best.begin(), best.end(), [](const Entry& a, const Entry& b) {
      if (a.layout.second.tokens_per_s != b.layout.second.tokens_per_s)
        return a.layout.second.tokens_per_s > b.layout.second.tokens_per_s;
      return a.group != b.group ? a.group < b.group : a.position < b.position;
    });
    if (best.size() > keep) best.resize(keep);
  }
  for (auto& e : best) merged.best.push_back(std::move(e.layout));
  if (merged.evaluated == 0) merged.min_memory_bytes = 0;
  return merged;
}

}  // namespace

SearchResult search_layouts(const Workload& w, const Machine& m, int keep, int threads) {
  SearchOptions o;
  o.keep = keep;
  o.threads = threads;
  return search_layouts(w, m, o);
}

SearchResult search_layouts(const Workload& w, const Machine& m, const SearchOptions& o) {
  struct Shape {
    int tp, cp, pp;
  };
  const LayoutConstraints& f = o.fixed;
  std::vector<Shape> shapes;
  std::size_t work = 0;
  const std::vector<int> cps = f.cp ? std::vector<int>{*f.cp} : context_parallel_degrees(w);
  for (int tp : divisors(w.heads, std::min(m.scaleup_domain, m.chips))) {
    if (m.chips % tp != 0 || (f.tp && tp != *f.tp)) continue;
    for (int cp : cps) {
      if (cp < 1 || (m.chips / tp) % cp != 0) continue;
      // Any pipeline depth that divides the remaining chips and leaves each
      // stage at least one layer.
      for (int pp : divisors(m.chips / (tp * cp), w.layers)) {
        if (f.pp && pp != *f.pp) continue;
        shapes.push_back({tp, cp, pp});
        const int dp = m.chips / (tp * cp * pp);
        work +=
            kEvaluationsPerShape * (w.experts > 1 ? divisors(w.experts, tp * cp * dp).size() : 1);
      }
    }
  }
  const int n = static_cast<int>(shapes.size());
  const double sequences = w.global_batch_tokens / w.seq_len;
  // Every (shape, EP, microbatch, interleave) group, in enumeration order.
  const auto each_group = [&](std::size_t k, auto&& visit) {
    Layout l;
    l.tp = shapes[k].tp;
    l.cp = shapes[k].cp;
    l.pp = shapes[k].pp;
    l.dp = m.chips / (l.tp * l.cp * l.pp);
    l.etp = f.etp.value_or(1);
    // EP ranks come from the tp x cp x dp ones of a stage (Layout), etp each.
    const int stage_ranks = l.tp * l.cp * l.dp;
    const std::vector<int> eps = f.ep            ? std::vector<int>{*f.ep}
                                 : w.experts > 1 ? divisors(w.experts, stage_ranks)
                                                 : std::vector<int>{1};
    const std::vector<int> mbs =
        f.microbatch ? std::vector<int>{*f.microbatch} : std::vector<int>{1, 2, 4, 8, 16};
    for (int ep : eps) {
      if (ep < 1 || stage_ranks % (ep * std::max(1, l.etp)) != 0) continue;
      l.ep = ep;
      for (int mb : mbs) {
        if (sequences / l.dp < mb) break;
        l.microbatch = mb;
        for (int v :
             f.interleave ? std::vector<int>{*f.interleave} : std::vector<int>{1, 2, 4, 8}) {
          if (v > 1 && l.pp == 1) break;
          l.interleave = v;
          visit(l);
        }
      }
    }
  };
  if (o.bound) {
    std::vector<Layout> groups;
    for (std::size_t k = 0; k < shapes.size(); ++k)
      each_group(k, [&](const Layout& l) { groups.push_back(l); });
    return search_bounded(w, m, o, groups);
  }
  std::vector<SearchResult> partial(static_cast<std::size_t>(n));
  const std::size_t wanted = static_cast<std::size_t>(std::max(1, o.threads));
  const int team =
      static_cast<int>(std::max<std::size_t>(1, std::min(wanted, work / kMinEvaluationsPerThread)));
  parallel_for(n, team, [&](std::int64_t k) {
    SearchResult& out = partial[static_cast<std::size_t>(k)];
    out.min_memory_bytes = std::numeric_limits<double>::infinity();
    each_group(static_cast<std::size_t>(k),
               [&](const Layout& l) { search_choices(w, m, l, o, out); });
  });
  SearchResult merged;
  merged.min_memory_bytes = std::numeric_limits<double>::infinity();
  for (const auto& p : partial) {  // in enumeration order: deterministic ties
    merged.considered += p.considered;
    merged.pruned += p.pruned;
    merged.evaluated += p.evaluated;
    merged.fitting += p.fitting;
    merged.min_memory_bytes = std::min(merged.min_memory_bytes, p.min_memory_bytes);
    for (const auto& b : p.best) merged.best.push_back(b);
  }
  std::stable_sort(merged.best.begin(), merged.best.end(), faster);
  if (static_cast<int>(merged.best.size()) > o.keep)
    merged.best.resize(static_cast<std::size_t>(o.keep));
  if (merged.evaluated == 0) merged.min_memory_bytes = 0;
  return merged;
}

}  // namespace clustercap::training
