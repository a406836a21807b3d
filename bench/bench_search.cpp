// Benchmark of the parallelism search: GPT-3 175B on 1,024 A100 (the case
// Calculon needs ~20 CPU-hours for), timed over repeated full searches at 1
// and 2 threads; prints layouts evaluated, layout evaluations per second per
// core and the time for one full search. Then Llama 3 405B at 128K tokens on
// 16,384 H100, where context parallelism (CP 1-16) multiplies the shapes.
#include <chrono>
#include <cstdio>

#include "estimator/training/search.hpp"

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
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s, %d thread%s: %llu layouts per search (%llu fit), one search %.3g ms, "
                "%.3g layout evaluations/s (%.3g per core)\n",
                label, threads, threads == 1 ? "" : "s", static_cast<unsigned long long>(last.evaluated),
                static_cast<unsigned long long>(last.fitting), seconds / repeats * 1e3,
                static_cast<double>(evaluated) / seconds, static_cast<double>(evaluated) / seconds / threads);
    if (last.best.empty()) continue;
    const auto& best = last.best.front();
    std::printf("  best: tp %d cp %d pp %d dp %d mb %d v %d recompute %s, step %.3g s, MFU %.3g\n", best.first.tp,
                best.first.cp, best.first.pp, best.first.dp, best.first.microbatch, best.first.interleave,
                to_string(best.first.recompute), best.second.step_s, best.second.mfu);
  }
}

}  // namespace

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
  time_search("GPT-3 175B on 1,024 A100", w, m, 200);

  // Llama 3 405B's long-context stage (arXiv 2407.21783, Tables 3-4).
  Workload llama;
  llama.layers = 126;
  llama.hidden = 16384;
  llama.heads = 128;
  llama.kv_heads = 8;
  llama.ffn = 53248;
  llama.gated_mlp = true;
  llama.seq_len = 131072;
  llama.vocab = 128256;
  llama.global_batch_tokens = 128 * 131072.0;
  llama.params = 405e9;
  llama.active_params = 405e9;
  Machine h100;
  h100.chips = 16384;
  h100.peak_flops = 989.5e12;
  h100.hbm_bytes = 80e9;
  h100.hbm_bytes_per_s = 3.35e12;
  h100.scaleup_bytes_per_s = 450e9;
  h100.scaleup_domain = 8;
  h100.scaleout_bytes_per_s = 50e9;
  time_search("Llama 3 405B at 128K on 16,384 H100", llama, h100, 50);
  return 0;
}
