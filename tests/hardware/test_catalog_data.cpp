// Checks on the shipped catalog data (hardware/data/*.toml): coverage,
// provenance, and that system aggregates agree with their chips.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "estimator/estimate.hpp"
#include "hardware/catalog_loader.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {
const Catalog& catalog() { return test::builtin_catalog(); }
}  // namespace

TEST_CASE("the catalog holds the chips, systems and clusters the model needs", "[hardware][data]") {
  for (const char* id : {"nvidia_a100_sxm_80gb", "nvidia_a800_sxm_80gb", "nvidia_h100_sxm",
                         "nvidia_h800_sxm", "nvidia_h20", "nvidia_h200_sxm", "nvidia_b200_hgx",
                         "nvidia_gb200_gpu", "huawei_ascend_910b", "huawei_ascend_910c"}) {
    INFO(id);
    const Chip* chip = catalog().find_chip(id);
    REQUIRE(chip != nullptr);
    CHECK(chip->peak_flops(Precision::bf16).has_value());
    CHECK(chip->hbm_bytes.has_value());
    CHECK(chip->tdp_w.has_value());
    CHECK(chip->mfu_bf16.has_value());
    CHECK_FALSE(chip->mfu_sources.empty());
  }
  for (const char* id : {"nvidia_hgx_dgx_h100", "nvidia_gb200_nvl72", "huawei_cloudmatrix_384"}) {
    INFO(id);
    CHECK(catalog().find_system(id) != nullptr);
  }
  for (const char* id : {"xai_colossus_1_phase1", "xai_colossus_1_phase2", "xai_colossus_1_phase3",
                         "meta_genai_24k_roce", "meta_genai_24k_ib", "meta_llama3_405b_run"}) {
    INFO(id);
    CHECK(catalog().find_cluster(id) != nullptr);
  }
}

TEST_CASE("every catalog entry carries sources and an estimated list", "[hardware][data]") {
  auto check = [](const std::string& id, const Provenance& p) {
    INFO(id);
    CHECK_FALSE(p.sources.empty());
    for (const auto& s : p.sources) CHECK_FALSE(s.empty());
  };
  for (const auto& c : catalog().chips) check(c.id, c.provenance);
  for (const auto& s : catalog().systems) check(s.id, s.provenance);
  for (const auto& c : catalog().clusters) check(c.id, c.provenance);
  // The reference's 37 chips plus H800 PCIe and MI250, which export-control
  // reference classifications need, plus the 16 of issue 14 (H20E, L20, L2,
  // MI308, B30A, RTX Pro 6000D, Kunlun P800, T-Head PPU, MTT S5000, MetaX
  // C500, RTX 5090, MI350X, MI455X, Trainium3, Gaudi 2 HL-225B, RTX 5090D,
  // Cambricon MLU690) and their 3 systems, plus the A100 SXM4 40GB that
  // validation cases of 40GB-era runs name (issue 15).
  CHECK(catalog().chips.size() == 57);
  CHECK(catalog().systems.size() == 20);
  CHECK(catalog().clusters.size() == 26);
}

TEST_CASE("datasheet figures are dense and in catalog units", "[hardware][data]") {
  // NVIDIA quotes 1,979 TFLOPS BF16 for H100 SXM with sparsity: 989.5 dense.
  CHECK(*catalog().find_chip("nvidia_h100_sxm")->peak_flops(Precision::bf16) == Approx(989.5e12));
  // CloudMatrix paper: 752 TFLOPS BF16 per 910C (2 x 376).
  CHECK(*catalog().find_chip("huawei_ascend_910c")->peak_flops(Precision::bf16) == Approx(752e12));
  // 910C in H100-equivalents: 752 / 989.5 = 0.760.
  const Chip& c910 = *catalog().find_chip("huawei_ascend_910c");
  CHECK(h100_equivalents_per_chip(c910, Precision::bf16, catalog()) ==
        Approx(0.75998).epsilon(1e-4));
}

TEST_CASE("system aggregates agree with chips x per-chip figures", "[hardware][data]") {
  // Tolerance 5%: CloudMatrix 384 keeps SemiAnalysis's 300 PF (384 x ~780 TF)
  // against 384 x 752 = 288.8 PF from the Huawei paper (3.9% apart).
  constexpr double kTolerance = 0.05;
  // Known gaps: these aggregates count memory in GiB (32 GiB = 34.4 GB per
  // TPU v4; AWS's "6 TB" = 6,144 GiB) while the chip rows use vendor GB.
  // Their notes must say so, and the gap must be real (no stale waivers).
  const std::vector<std::string> explained = {"google_tpu_v4_pod", "aws_trn2_ultraserver"};
  int compared = 0;
  for (const auto& s : catalog().systems) {
    const Chip* chip = catalog().find_chip(s.chip_id);
    if (chip == nullptr || !s.chips) continue;
    const double n = static_cast<double>(*s.chips);
    const bool waived = std::find(explained.begin(), explained.end(), s.id) != explained.end();
    auto compare = [&](const char* what, std::optional<double> total, std::optional<double> each) {
      if (!total || !each) return;
      ++compared;
      const double rel = std::fabs(*total - n * *each) / (n * *each);
      INFO(s.id << " " << what << ": system " << *total << " vs chips x chip " << n * *each);
      if (waived && rel > kTolerance) {
        CHECK(s.provenance.notes.find("GiB") != std::string::npos);
      } else {
        CHECK(rel <= kTolerance);
      }
    };
    compare("bf16", s.bf16_dense_flops, chip->peak_flops(Precision::bf16));
    compare("fp8", s.fp8_dense_flops, chip->peak_flops(Precision::fp8));
    compare("hbm", s.hbm_bytes, chip->hbm_bytes);
    compare("hbm bandwidth", s.hbm_bandwidth_bytes_per_s, chip->hbm_bandwidth_bytes_per_s);
  }
  CHECK(compared >= 20);
  // CloudMatrix 384 by hand: 384 x 752 TFLOPS = 288.8 PFLOPS; catalog 300.
  const System& cm = *catalog().find_system("huawei_cloudmatrix_384");
  CHECK(*cm.bf16_dense_flops == Approx(384 * 752e12).epsilon(kTolerance));
  // GB200 NVL72: 72 x 2,500 TFLOPS = 180 PFLOPS dense BF16.
  CHECK(*catalog().find_system("nvidia_gb200_nvl72")->bf16_dense_flops == Approx(180e15));
}

TEST_CASE("GB300 NVL72 has its own rack power and HBM that agrees with its chips",
          "[hardware][data]") {
  const System& gb300 = *catalog().find_system("nvidia_gb300_nvl72");
  const System& gb200 = *catalog().find_system("nvidia_gb200_nvl72");
  // GB300 NVL72 racks are quoted at 120-140 kW (Microsoft ~136 kW,
  // ai-infrastructure.net); it used to reuse GB200's 132 kW power-shelf figure.
  CHECK(*gb300.power_w == Approx(136e3));
  CHECK(*gb300.power_w >= 120e3);
  CHECK(*gb300.power_w <= 140e3);
  CHECK(*gb300.power_w > *gb200.power_w);
  // Blackwell Ultra datasheet: 279 GB usable per GPU; 72 x 279 GB = 20.088 TB
  // (the marketed 20.7 TB is 72 x 288 GB physical).
  const Chip& chip = *catalog().find_chip(gb300.chip_id);
  CHECK(*chip.hbm_bytes == Approx(279e9));
  CHECK(*gb300.hbm_bytes == Approx(72 * 279e9).epsilon(0.001));
}

TEST_CASE("CloudMatrix 384 keeps SemiAnalysis's system figure and the paper's per-chip rate",
          "[hardware][data]") {
  // SemiAnalysis: 300 PF dense BF16 for 384 chips = 781 TF each; the Huawei
  // CloudMatrix384 paper: 752 TF per 910C, 384 x 752 = 288.8 PF. `compare`
  // shows the system figure (labelled huawei_cloudmatrix_384.bf16_dense_pflops,
  // an estimate); `estimate` counts chips x the chip's rate.
  const System& cm = *catalog().find_system("huawei_cloudmatrix_384");
  const Chip& c910 = *catalog().find_chip("huawei_ascend_910c");
  CHECK(*cm.bf16_dense_flops == Approx(300e15));
  CHECK(*cm.bf16_dense_flops / 384 == Approx(781.25e12));
  CHECK(*c910.peak_flops(Precision::bf16) * 384 == Approx(288.768e15));
  CHECK(cm.provenance.is_estimated("bf16_dense_pflops"));
  CHECK(cm.provenance.notes.find("not a chip-sum") != std::string::npos);
  CHECK(c910.provenance.notes.find("752 TFLOPS") != std::string::npos);
}

TEST_CASE("2026 chips carry their sourced figures", "[hardware][data]") {
  // Tom's Hardware (retailer table): L20 119.5 BF16 / 239 FP8 TFLOPS, 48 GB
  // GDDR6 at 864 GB/s; L2 96.5 / 193, 24 GB at 300 GB/s.
  const Chip& l20 = *catalog().find_chip("nvidia_l20");
  CHECK(*l20.peak_flops(Precision::bf16) == Approx(119.5e12));
  CHECK(*l20.peak_flops(Precision::fp8) == Approx(239e12));
  CHECK(*l20.hbm_bytes == Approx(48e9));
  CHECK(*l20.hbm_bandwidth_bytes_per_s == Approx(0.864e12));
  CHECK(*l20.tdp_w == Approx(275));
  const Chip& l2 = *catalog().find_chip("nvidia_l2");
  CHECK(*l2.peak_flops(Precision::bf16) == Approx(96.5e12));
  CHECK_FALSE(l2.tdp_w.has_value());
  // AWS Neuron docs: Trainium3 671 BF16 dense, 2,517 MXFP8, 144 GiB at 4.9 TB/s;
  // the Trn3 UltraServer's 362 PF FP8 is 144 x 2,517 TF.
  const Chip& trn3 = *catalog().find_chip("aws_trainium3");
  CHECK(*trn3.peak_flops(Precision::bf16) == Approx(671e12));
  CHECK(*trn3.peak_flops(Precision::fp8) == Approx(2517e12));
  const System& ultra = *catalog().find_system("aws_trn3_ultraserver");
  CHECK(*ultra.fp8_dense_flops == Approx(144 * 2517e12).epsilon(0.002));
  // AMD at Hot Chips 2025: MI350X 1,000 W TBP, 288 GB HBM3e at 8 TB/s; the
  // 8-GPU platform's 18.5 PF FP16 is 2.3 PF per GPU.
  const Chip& mi350x = *catalog().find_chip("amd_mi350x");
  CHECK(*mi350x.tdp_w == Approx(1000));
  CHECK(*mi350x.hbm_bytes == Approx(288e9));
  CHECK(*mi350x.peak_flops(Precision::bf16) * 8 == Approx(18.5e15).epsilon(0.01));
  // Moore Threads: S5000 1,000 TFLOPS FP8, 80 GB at 1.6 TB/s. T-Head PPU:
  // 96 GB HBM2e, 400 W (CCTV via SCMP).
  CHECK(*catalog().find_chip("moore_threads_mtt_s5000")->peak_flops(Precision::fp8) ==
        Approx(1000e12));
  CHECK(*catalog().find_chip("alibaba_thead_ppu")->tdp_w == Approx(400));
  // RTX 5090: 838.4 TFLOPS FP16 sparse with FP16 accumulate = 419.2 dense;
  // half of that with FP32 accumulate (as the 4090's bf16_tflops).
  const Chip& rtx5090 = *catalog().find_chip("nvidia_rtx_5090");
  CHECK(*rtx5090.peak_flops(Precision::fp16) == Approx(838.4e12 / 2));
  CHECK(*rtx5090.peak_flops(Precision::bf16) == Approx(838.4e12 / 4).epsilon(0.001));
  // The Baidu cluster now names its chip.
  CHECK(catalog().find_cluster("baidu_kunlun_p800_30k")->chip_id == "baidu_kunlun_p800");
}

TEST_CASE("China-market chips carry the figures their sources give and no others",
          "[hardware][data]") {
  auto sources_for = [](const Chip& chip, const std::string& key) {
    return chip.provenance.sources_for(key);
  };
  auto cites = [](const std::vector<std::string>& urls, const std::string& part) {
    return std::any_of(urls.begin(), urls.end(),
                       [&](const std::string& u) { return u.find(part) != std::string::npos; });
  };
  // Atlas 350 (one Ascend 950PR), Huawei China Partner Conference 2026-03-20:
  // 600 W, 1.56 PFLOPS FP4, 112 GB at 1.4 TB/s
  // (https://www.intelligentliving.co/huawei-ascend-950pr-atlas-350-fp4-ai/,
  // https://allthingsgeek.me/?p=6100). The catalog keeps the roadmap's rates
  // and memory and takes the card's power.
  const Chip& pr = *catalog().find_chip("huawei_ascend_950pr");
  REQUIRE(pr.tdp_w.has_value());
  CHECK(*pr.tdp_w == Approx(600));
  CHECK(cites(sources_for(pr, "tdp_w"), "intelligentliving.co"));
  CHECK(cites(sources_for(pr, "tdp_w"), "allthingsgeek.me"));
  CHECK_FALSE(cites(sources_for(pr, "tdp_w"), "huawei.com"));
  // Huawei Connect 2025 (https://www.huawei.com/en/news/2025/9/hc-xu-keynote-speech):
  // 1 PFLOPS FP8; the card's 1.56 PF FP4 is 78% of the roadmap's 2 PF.
  CHECK(*pr.peak_flops(Precision::fp8) == Approx(1000e12));
  CHECK(*pr.peak_flops(Precision::fp4) * 0.78 == Approx(1.56e15));
  // Still no BF16 rate, so a BF16 estimate cannot use it; FP8 can with a set mfu.
  CHECK_FALSE(pr.peak_flops(Precision::bf16).has_value());
  const ChipUsability pr_use = chip_usability(pr, catalog());
  CHECK(pr_use.with_prior.empty());
  CHECK(std::find(pr_use.with_user_mfu.begin(), pr_use.with_user_mfu.end(), Precision::fp8) !=
        pr_use.with_user_mfu.end());

  // Epoch ai-chip-counts, staging/chip_types.csv, row "Instinct MI308X":
  // 192 GB (192000000000 B), 750 W, both flagged as estimates
  // (https://github.com/epoch-research/ai-chip-counts). Its 653.7 TFLOPS is
  // not stored: 653.7 x 16 = 10,459 TPP >= 4,800 would contradict the 2025
  // is-informed letter, so the MI308X's verdicts stay with the letter.
  const Chip& mi308 = *catalog().find_chip("amd_mi308x");
  REQUIRE(mi308.hbm_bytes.has_value());
  REQUIRE(mi308.tdp_w.has_value());
  CHECK(*mi308.hbm_bytes == Approx(192e9));
  CHECK(*mi308.tdp_w == Approx(750));
  CHECK(mi308.provenance.is_estimated("hbm_gb"));
  CHECK(mi308.provenance.is_estimated("tdp_w"));
  CHECK(cites(sources_for(mi308, "tdp_w"), "epoch-research/ai-chip-counts"));
  CHECK_FALSE(mi308.peak_flops(Precision::bf16).has_value());
  CHECK_FALSE(mi308.peak_flops(Precision::fp16).has_value());
  CHECK_FALSE(mi308.hbm_bandwidth_bytes_per_s.has_value());

  // T-Head Zhenwu 810E (https://servernews.ru/1136036): 96 GB HBM2e, 700 GB/s
  // ICN; CCTV via SCMP: 400 W. No rate published.
  const Chip& ppu = *catalog().find_chip("alibaba_thead_ppu");
  CHECK(*ppu.hbm_bytes == Approx(96e9));
  CHECK(cites(sources_for(ppu, "hbm_gb"), "servernews.ru"));
  CHECK_FALSE(cites(sources_for(ppu, "tdp_w"), "servernews.ru"));
  CHECK_FALSE(ppu.peak_flops(Precision::bf16).has_value());

  // Cambricon: the MLU590 keeps Epoch's 512 TOPS at 8 bits only (Epoch's 200 W
  // and an aggregator's 350 W disagree by 75%, so no power); the MLU690 is
  // listed with its sources (Bloomberg via TechRadar) but no figure.
  const Chip& mlu590 = *catalog().find_chip("cambricon_mlu590");
  CHECK(*mlu590.peak_flops(Precision::int8) == Approx(512e12));
  CHECK_FALSE(mlu590.tdp_w.has_value());
  CHECK_FALSE(cites(sources_for(mlu590, "int8_tops"), "pakgazette.com"));
  const Chip* mlu690 = catalog().find_chip("cambricon_mlu690");
  REQUIRE(mlu690 != nullptr);
  CHECK_FALSE(mlu690->provenance.sources.empty());
  CHECK_FALSE(mlu690->tdp_w.has_value());
  const ChipUsability mlu690_use = chip_usability(*mlu690, catalog());
  CHECK(mlu690_use.with_prior.empty());
  CHECK(mlu690_use.with_user_mfu.empty());
}
