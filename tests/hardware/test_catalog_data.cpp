// Checks on the shipped catalog data (hardware/data/*.toml): coverage,
// provenance, and that system aggregates agree with their chips.
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
  // reference classifications need.
  CHECK(catalog().chips.size() == 39);
  CHECK(catalog().systems.size() == 17);
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
