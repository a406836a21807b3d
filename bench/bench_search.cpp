// Benchmark of the parallelism search: GPT-3 175B on 1,024 A100 (the case
// Calculon needs ~20 CPU-hours for), timed over repeated full searches at 1
// and 2 threads; prints layouts evaluated, layout evaluations per second per
// core and the time for one full search. Then Llama 3 405B at 128K tokens on
// 16,384 H100, where context parallelism (CP 1-16) multiplies the shapes.
#include <chrono>
#include <cstdio>

#include "estimator/training/search.hpp"
#include "tests/training/reference_shapes.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

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
        "%s, %d thread%s: %llu layouts per search (%llu fit), one search %.3g ms, "
        "%.3g layout evaluations/s (%.3g per core)\n",
        label, threads, threads == 1 ? "" : "s", static_cast<unsigned long long>(last.evaluated),
        static_cast<unsigned long long>(last.fitting), seconds / repeats * 1e3,
        static_cast<double>(evaluated) / seconds,
        static_cast<double>(evaluated) / seconds / threads);
    if (last.best.empty()) continue;
    const auto& best = last.best.front();
    std::printf("  best: tp %d cp %d pp %d dp %d mb %d v %d recompute %s, step %.3g s, MFU %.3g\n",
                best.first.tp, best.first.cp, best.first.pp, best.first.dp, best.first.microbatch,
                best.first.interleave, to_string(best.first.recompute), best.second.step_s,
                best.second.mfu);
  }
}

}  // namespace

int main() {
  const Workload w = test::gpt3();
  const Machine m = test::a100s(1024);
  time_search("GPT-3 175B on 1,024 A100", w, m, 200);

  // Llama 3 405B's long-context stage (arXiv 2407.21783, Tables 3-4).
  time_search("Llama 3 405B at 128K on 16,384 H100", test::llama405b_128k(), test::h100s(16384),
              50);
  return 0;
}
