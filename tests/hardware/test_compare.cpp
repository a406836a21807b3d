#include <catch2/catch.hpp>

#include "hardware/compare.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {
double ratio(const std::optional<double>& a, const std::optional<double>& b) {
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  return *a / *b;
}
}  // namespace

TEST_CASE("CloudMatrix 384 vs GB200 NVL72 reproduces the published ratios", "[hardware][compare]") {
  const ComparisonResult r =
      compare_hardware(test::builtin_catalog(), {"huawei_cloudmatrix_384", "nvidia_gb200_nvl72"});
  REQUIRE(r.items.size() == 2);
  const CompareItem& cm = r.items[0];
  const CompareItem& nvl = r.items[1];
  CHECK(r.power_basis.rfind("all-in", 0) == 0);
  // SemiAnalysis: 300 vs 180 PF dense BF16 = 1.67x.
  CHECK(ratio(cm.bf16_flops.value, nvl.bf16_flops.value) == Approx(300.0 / 180));
  // 49.2 TB vs 13.4 TB = 3.67x (3.5-3.7x depending on the NVL72 figure).
  CHECK(ratio(cm.hbm_bytes.value, nvl.hbm_bytes.value) == Approx(49.2 / 13.4));
  // 1,229 vs 576 TB/s = 2.13x.
  CHECK(ratio(cm.hbm_bytes_per_s.value, nvl.hbm_bytes_per_s.value) == Approx(1229.0 / 576));
  // 269 vs 130 TB/s bidirectional scale-up = 2.07x.
  CHECK(ratio(cm.scaleup_bidirectional_bytes_per_s.value,
              nvl.scaleup_bidirectional_bytes_per_s.value) == Approx(269.0 / 130));
  // All-in power 559 vs 145 kW = 3.86x.
  CHECK(ratio(cm.power_w.value, nvl.power_w.value) == Approx(559.0 / 145));
  // W per TFLOP: 559,000 / 300,000 = 1.86 vs 145,000 / 180,000 = 0.806 -> 2.31x.
  CHECK(*cm.w_per_bf16_tflop == Approx(559e3 / 300e3));
  CHECK(ratio(cm.w_per_bf16_tflop, nvl.w_per_bf16_tflop) == Approx((559.0 / 300) / (145.0 / 180)));
  // Scale-out: 384 vs 72 NICs at 400 Gb/s = 5.33x.
  CHECK(ratio(cm.scaleout_bits_per_s.value, nvl.scaleout_bits_per_s.value) == Approx(384.0 / 72));
  // H100e at dense BF16: 300,000 / 989.5 = 303.2.
  CHECK(*cm.h100e == Approx(300e3 / 989.5));
}

TEST_CASE("without all-in figures each item keeps its own power scope", "[hardware][compare]") {
  const ComparisonResult r =
      compare_hardware(test::builtin_catalog(), {"huawei_cloudmatrix_384", "nvidia_gb200_gpu"});
  CHECK(r.power_basis.rfind("each item's", 0) == 0);
  CHECK(*r.items[0].power_w.value == Approx(559e3));
  CHECK(*r.items[1].power_w.value == Approx(1200));  // GB200 TDP
  CHECK(r.items[1].power_scope == "chip TDP");
}

TEST_CASE("system figures fall back to chips x chip figures and say so", "[hardware][compare]") {
  // DGX H100 states no scale-up aggregate: 8 x 900 GB/s bidirectional.
  const ComparisonResult r =
      compare_hardware(test::builtin_catalog(), {"nvidia_hgx_dgx_h100", "nvidia_h100_sxm"});
  CHECK(*r.items[0].scaleup_bidirectional_bytes_per_s.value == Approx(8 * 900e9));
  CHECK(*r.items[0].bf16_flops.value == Approx(7.9e15));  // the system's own figure
  CHECK(ratio_to_first(r.items[0].bf16_flops.value, r.items[1].bf16_flops.value).value() ==
        Approx(7.9e15 / 989.5e12));
  // One-way figures are doubled: 910C 392 GB/s each way -> 784 bidirectional.
  const ComparisonResult c =
      compare_hardware(test::builtin_catalog(), {"huawei_ascend_910c", "nvidia_h100_sxm"});
  CHECK(*c.items[0].scaleup_bidirectional_bytes_per_s.value == Approx(784e9));
}
