// Published model shapes and GPU figures shared by the step-model tests and
// bench/bench_search.cpp, so both time and check the same cases.
#pragma once

#include "estimator/training/step_model.hpp"

namespace clustercap::test {

// GPT-3 175B as trained in Megatron-LM 2021 (arXiv 2104.04473, Table 1):
// 96 layers, hidden 12,288, 96 heads, 2,048 tokens, batch 1,536.
inline training::Workload gpt3() {
  training::Workload w;
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
  return w;
}

// Llama 3 405B's long-context stage (arXiv 2407.21783, Tables 3-4): 131,072
// tokens a sequence, 128 sequences a step.
inline training::Workload llama405b_128k() {
  training::Workload w;
  w.layers = 126;
  w.hidden = 16384;
  w.heads = 128;
  w.kv_heads = 8;
  w.ffn = 53248;
  w.gated_mlp = true;
  w.seq_len = 131072;
  w.vocab = 128256;
  w.global_batch_tokens = 128 * 131072.0;
  w.params = 405e9;
  w.active_params = 405e9;
  return w;
}

inline training::Machine h100s(int chips) {
  training::Machine m;
  m.chips = chips;
  m.peak_flops = 989.5e12;
  m.hbm_bytes = 80e9;
  m.hbm_bytes_per_s = 3.35e12;
  m.scaleup_bytes_per_s = 450e9;
  m.scaleup_domain = 8;
  m.scaleout_bytes_per_s = 50e9;
  return m;
}

inline training::Machine a100s(int chips) {
  training::Machine m;
  m.chips = chips;
  m.peak_flops = 312e12;
  m.hbm_bytes = 80e9;
  m.hbm_bytes_per_s = 2.039e12;
  m.scaleup_bytes_per_s = 300e9;
  m.scaleup_domain = 8;
  m.scaleout_bytes_per_s = 25e9;
  return m;
}

}  // namespace clustercap::test
