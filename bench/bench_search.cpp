// Benchmark of the parallelism search: GPT-3 175B on 1,024 A100 (the case
// Calculon needs ~20 CPU-hours for), timed over repeated full searches at 1
// and 2 threads; prints layouts evaluated, layout evaluations per second per
// core, layouts considered and pruned, and the time for one full search; and
// the best of the TP 2 / PP 8 family (sequence parallel, sharded optimizer)
// Calculon reports as its best for this problem. Then Llama 3 405B at 128K tokens on
// 16,384 H100, where context parallelism (CP 1-16) multiplies the shapes.
#include <chrono>
#include <cstdio>

#include "estimator/training/search.hpp"
#include "tests/training/reference_shapes.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

void print_layout(const char* label, const Layout& l, const StepBreakdown& r) {
  std::printf(
      "%s: tp %d cp %d pp %d dp %d mb %d v %d recompute %s zero %d sp %d tp-overlap %d "
      "dp-overlap %d, step %.3g s, MFU %.3g\n",
      label, l.tp, l.cp, l.pp, l.dp, l.microbatch, l.interleave, to_string(l.recompute), l.zero,
      l.sequence_parallel, l.tp_overlap, l.dp_overlap, r.step_s, r.mfu);
}

void time_search(const char* label, const Workload& w, const Machine& m, int repeats) {
  for (int threads : {1, 2}) {
    std::uint64_t evaluated = 0;
    SearchResult last;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) {
      last = search_layouts(w, m, 5, threads);
      evaluated += last.evaluated;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "%s, %d thread%s: %llu layouts considered, %llu pruned, %llu evaluated (%llu fit), one "
        "search %.3g ms, %.3g layout evaluations/s (%.3g per core)\n",
        label, threads, threads == 1 ? "" : "s", static_cast<unsigned long long>(last.considered),
        static_cast<unsigned long long>(last.pruned),
        static_cast<unsigned long long>(last.evaluated),
        static_cast<unsigned long long>(last.fitting), seconds / repeats * 1e3,
        static_cast<double>(evaluated) / seconds,
        static_cast<double>(evaluated) / seconds / threads);
    if (last.best.empty()) continue;
    const auto& best = last.best.front();
    print_layout("  best", best.first, best.second);
  }
}

}  // namespace

int main() {
  const Workload w = test::gpt3();
  const Machine m = test::a100s(1024);
  time_search("GPT-3 175B on 1,024 A100", w, m, 200);
  SearchOptions family;
  family.fixed.tp = 2;
  family.fixed.pp = 8;
  const SearchResult tp2pp8 = search_layouts(w, m, family);
  if (!tp2pp8.best.empty())
    print_layout("  TP 2 / PP 8 family", tp2pp8.best.front().first, tp2pp8.best.front().second);

  // Llama 3 405B's long-context stage (arXiv 2407.21783, Tables 3-4).
  time_search("Llama 3 405B at 128K on 16,384 H100", test::llama405b_128k(), test::h100s(16384),
              50);
  return 0;
}
