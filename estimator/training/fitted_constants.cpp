#include "estimator/training/fitted_constants.hpp"

#include <algorithm>

namespace clustercap::training {
namespace {

// The ten rows of Narayanan et al. 2021, Table 1 (configs/validation/published-runs.toml).
constexpr std::string_view kMegatron2021[] = {
    "megatron2021-1.7B", "megatron2021-3.6B", "megatron2021-7.5B", "megatron2021-18B",
    "megatron2021-39B",  "megatron2021-76B",  "megatron2021-145B", "megatron2021-310B",
    "megatron2021-530B", "megatron2021-1T"};
std::vector<std::string_view> megatron2021() {
  return {std::begin(kMegatron2021), std::end(kMegatron2021)};
}

// The five NeMo / Megatron-Bridge FP8 rows (configs/validation/nvidia-fp8.toml).
std::vector<std::string_view> nemo_fp8() {
  return {"nemo-h100-gpt3-175b-512", "nemo-h100-llama31-405b-1024", "nemo-b200-llama31-405b-128",
          "nemo-gb200-llama31-405b-128", "nemo-gb300-llama31-405b-128"};
}

}  // namespace

const std::vector<FittedConstant>& fitted_constants() {
  using namespace calibrated;
  static const std::vector<FittedConstant> table = {
      {"kMatmulCeiling",
       kMatmulCeiling,
       "set above the 52% of peak Megatron's 530B and 1T rows reach end to end "
       "(Narayanan et al. 2021, Table 1)",
       {"megatron2021-530B", "megatron2021-1T"}},
      {"kHalfWidth", kHalfWidth,
       "fitted so the Megatron 2021 table's 1.7B-1T rows (0.43-0.52 MFU) fall in line",
       megatron2021()},
      {"kElementwiseBytes",
       kElementwiseBytes,
       "activation bytes per token-hidden element per layer, Korthikanti et al. 2022 "
       "(arXiv 2205.05198)",
       {}},
      {"kFp8CeilingShare", kFp8CeilingShare,
       "FP8 GEMM ceiling as a share of the BF16 one, fitted on the five NeMo FP8 rows; FP4 "
       "assumed the same (no published FP4 training run)",
       nemo_fp8()},
      {"kFp8CastBytes",
       kFp8CastBytes,
       "Transformer Engine's cast of each FP8 GEMM input: read 2 bytes, write the FP8 value and "
       "its transpose",
       {}},
      {"kScaleupOverlapCost",
       kScaleupOverlapCost,
       "compute share an overlapped scale-up collective takes, Calculon's A100/H100 system "
       "files (processor_usage)",
       {}},
      {"kScaleoutOverlapCost",
       kScaleoutOverlapCost,
       "compute share an overlapped scale-out collective takes, Calculon's A100/H100 system "
       "files (processor_usage)",
       {}},
      {"kGroupedGemmHalfTokens",
       kGroupedGemmHalfTokens,
       "tokens per expert at which a grouped GEMM runs at half efficiency, M / (M + 200) "
       "through DeepGEMM's published H800 FP8 table (not fitted on any case)",
       {}},
      {"kCollectiveLatencyS",
       kCollectiveLatencyS,
       "per-collective launch latency of each network tier unless a case sets it, NCCL ring "
       "within a node (order of magnitude)",
       {}},
      // NVIDIA's DeepSeek-V3 GB200 note, sec. 2.3 and 3.1
      // (https://github.com/NVIDIA/Megatron-LM/blob/main/docs/discussions/deepseek-v3-gb200-optimization/deepseek-v3-gb200-optimization.md):
      // after CUDA graphs
      // of attention, router and EP preprocessing, the routed experts stay
      // out of the graphs because dropless routing syncs the tokens per
      // expert to the host in every MoE layer; removing that sync gains "at
      // least 10%" (a proxy-model estimate) on its 970 TFLOP/s-per-GPU run:
      // TP 1, PP 8, VPP 4, EP 32, MBS 1, GBS 2,048 x 4,096 on 256 GB200. At
      // the 2.598e11 FLOPs a token NVIDIA counts for DeepSeek-V3 (949 TFLOP/s
      // at 3,653 tokens/s/GPU, its Megatron-Bridge table) that run takes
      // 2,048 x 4,096 / (970e12 / 2.598e11 x 256) = 8.78 s a step; 10% more
      // throughput is 8.78 x (1 - 1 / 1.1) = 0.80 s, over the fullest GPU's
      // 8 MoE layers (layout Et|(tt|)*30L over 32 virtual stages) x 64
      // microbatches (DP 32): 1.56 ms per layer per microbatch, taken down
      // to 1.5 ms since the gain is a lower bound.
      {"kMoeHostSyncS",
       kMoeHostSyncS,
       "exposed host time per MoE layer per microbatch of dropless routing (device-to-host "
       "sync of the tokens per expert), NVIDIA's DeepSeek-V3 GB200 note: removing it gains at "
       "least 10% on its 970 TFLOP/s run (0.80 s over 8 layers x 64 microbatches; not fitted "
       "on any case)",
       {}},
      // DeepEP's Hybrid-EP_Implementation.md (github.com/deepseek-ai/DeepEP),
      // GB200 table: 4,096 tokens, hidden 7,168, top-8 (DeepSeek-V3's
      // shape), algorithm bandwidth through the Torch API at 32 SMs, BF16
      // dispatch and combine. A dispatch and a combine of the same bytes take
      // 1/d + 1/c together, so the pair runs at 2 / (1/d + 1/c): EP 8
      // 545.71 and 568.94 GB/s give 557 GB/s, EP 36 (the largest measured)
      // 479.02 and 447.89 give 463 GB/s, of NVL72's 900 GB/s one way.
      {"kHybridEpScaleupShareSmall",
       kHybridEpScaleupShareSmall,
       "HybridEP's achieved share of the scale-up line rate with up to 8 EP ranks in the domain: "
       "557 of 900 GB/s (DeepEP's Hybrid-EP_Implementation.md, GB200 EP 8, 32 SMs, BF16 dispatch "
       "545.71 and combine 568.94 GB/s; not fitted on any case)",
       {}},
      {"kHybridEpScaleupShareLarge",
       kHybridEpScaleupShareLarge,
       "HybridEP's achieved share of the scale-up line rate with more than 8 EP ranks in the "
       "domain: 463 of 900 GB/s (same table, GB200 EP 36, 32 SMs, BF16 dispatch 479.02 and "
       "combine 447.89 GB/s; not fitted on any case)",
       {}},
      // Same page, H100 table (IB bandwidth), 64 ranks, 8 SMs (its best Torch
      // API row): BF16 dispatch 41.46, combine 47.68 GB/s, 44.4 GB/s the pair,
      // of a 400 Gb/s (50 GB/s) ConnectX-7 NIC.
      {"kHybridEpScaleoutShare",
       kHybridEpScaleoutShare,
       "HybridEP's achieved share of the scale-out line rate: 44.4 of 50 GB/s (DeepEP's "
       "Hybrid-EP_Implementation.md, H100 EP 64, 8 SMs, BF16 dispatch 41.46 and combine 47.68 "
       "GB/s; not fitted on any case)",
       {}},
      // NVIDIA's DeepSeek-V3 GB200 note, sec. 2.2.1: with DeepEP at EP 32 on
      // GB200 NVL72 (community MNNVL support) "the dispatch can only reach
      // about 400 GB/s and the combine can only reach about 190 GB/s
      // algorithm bandwidth with 24 SMs", against 900 GB/s one way: 258 GB/s
      // the pair. DeepEP inside an 8-GPU node (153 and 158 of ~160 GB/s on
      // H800) and over RDMA (51 and 50 of ~50 GB/s at EP 64, its README)
      // reaches the line rate, so it has no constant there.
      {"kDeepEpMnnvlShare",
       kDeepEpMnnvlShare,
       "DeepEP's achieved share of the scale-up line rate on a multi-node NVLink domain (more "
       "than 8 GPUs): 258 of 900 GB/s (NVIDIA's DeepSeek-V3 GB200 note, sec. 2.2.1: EP 32 "
       "dispatch ~400, combine ~190 GB/s; not fitted on any case)",
       {}},
  };
  return table;
}

bool in_sample(std::string_view case_id, const std::vector<FittedConstant>& constants) {
  return std::any_of(constants.begin(), constants.end(), [&](const FittedConstant& c) {
    return std::find(c.fitted_on.begin(), c.fitted_on.end(), case_id) != c.fitted_on.end();
  });
}

}  // namespace clustercap::training
