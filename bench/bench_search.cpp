// Benchmark of the parallelism search: GPT-3 175B on 1,024 A100 (the case
// Calculon needs ~20 CPU-hours for), timed over repeated full searches at 1
// and 2 threads; prints layouts evaluated, layout evaluations per second per
// core and the time for one full search.
#include <chrono>
#include <cstdio>

#include "estimator/training/search.hpp"

using namespace clustercap::training;

int main() {
  Workload w;
  w.layers = 96;
  w.hidden = 12288;
  w.heads = 96;
  w.kv_heads = 96;
  w.ffn = 4 * 12288;
  w.seq_len = 2048;
  w.vocab = 51200;
  w.global_batch_tokens = 1536 * 2048.0;
  w.params = 175e9;
  w.active_params = 175e9;
  Machine m;
  m.chips = 1024;
  m.peak_flops = 312e12;
  m.hbm_bytes = 80e9;
  m.hbm_bytes_per_s = 2.039e12;
  m.scaleup_bytes_per_s = 300e9;
  m.scaleup_domain = 8;
  m.scaleout_bytes_per_s = 25e9;
  for (int threads : {1, 2}) {
    constexpr int kRepeats = 200;
    std::uint64_t evaluated = 0;
    SearchResult last;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRepeats; ++i) {
      last = search_layouts(w, m, 5, threads);
      evaluated += last.evaluated;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("GPT-3 175B on 1,024 A100, %d thread%s: %llu layouts per search (%llu fit), one search %.3g ms, "
                "%.3g layout evaluations/s (%.3g per core)\n",
                threads, threads == 1 ? "" : "s", static_cast<unsigned long long>(last.evaluated),
                static_cast<unsigned long long>(last.fitting), seconds / kRepeats * 1e3,
                static_cast<double>(evaluated) / seconds, static_cast<double>(evaluated) / seconds / threads);
    const auto& best = last.best.front();
    std::printf("  best: tp %d pp %d dp %d mb %d v %d recompute %s, step %.3g s, MFU %.3g\n", best.first.tp,
                best.first.pp, best.first.dp, best.first.microbatch, best.first.interleave,
                to_string(best.first.recompute), best.second.step_s, best.second.mfu);
  }
  return 0;
}
