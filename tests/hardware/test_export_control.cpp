// Export-control classification against every reference chip in
// hardware/rules/export_control.toml. TPP and PD below are derived by hand from
// the catalog's dense rates (TPP = max over formats of dense TOPS x bits) and
// die areas; statuses are the reference's classifications.
#include <catch2/catch.hpp>

#include "hardware/export_control.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::export_control;

namespace {

const RuleBook& rules() {
  static const RuleBook book = load_builtin_rule_book(test::builtin_catalog());
  return book;
}

ChipMetrics metrics(const std::string& id, std::size_t reading = 0) {
  return chip_metrics(*test::builtin_catalog().find_chip(id)).at(reading);
}

Verdict verdict(const std::string& id, const std::string& rule, std::size_t reading = 0) {
  return classify(metrics(id, reading), *rules().find(rule));
}

}  // namespace

TEST_CASE("the rule book holds the four vintages", "[hardware][export]") {
  CHECK(rules().ids() == std::vector<std::string>{"2022-10", "2023-10", "2024-12", "2026-01"});
}

TEST_CASE("TPP and PD follow the BIS formulas", "[hardware][export]") {
  struct Case {
    const char* id;
    double tpp;
    double pd;  // 0: no die area in the catalog
  };
  const Case cases[] = {
      {"nvidia_h100_sxm", 1979 * 8.0, 1979 * 8.0 / 814},     // 15,832; 19.45
      {"nvidia_h200_sxm", 1979 * 8.0, 1979 * 8.0 / 814},     // 15,832
      {"nvidia_h800_sxm", 1979 * 8.0, 1979 * 8.0 / 814},     // 15,832
      {"nvidia_h800_pcie", 1513 * 8.0, 1513 * 8.0 / 814},    // 12,104; 14.87
      {"nvidia_a100_sxm_80gb", 624 * 8.0, 624 * 8.0 / 826},  // 4,992; 6.04
      {"nvidia_a800_sxm_80gb", 624 * 8.0, 624 * 8.0 / 826},  // 4,992; 6.04
      {"nvidia_h20", 296 * 8.0, 296 * 8.0 / 814},            // 2,368; 2.91
      {"nvidia_rtx_4090", 660.6 * 8, 660.6 * 8 / 608.5},     // 5,285; 8.68
      {"nvidia_rtx_4090d", 588 * 8.0, 588 * 8.0 / 608.5},    // 4,704
      {"nvidia_l40s", 733 * 8.0, 733 * 8.0 / 609},           // 5,864; 9.63
      {"intel_gaudi2", 865 * 8.0, 0},                        // 6,920 (BF16: 6,912)
      {"amd_mi250", 362.1 * 16, 362.1 * 16 / 1580},          // 5,794; 3.67
      {"amd_mi250x", 383 * 16.0, 0},                         // 6,128
      {"amd_mi300x", 2614.9 * 8, 0},                         // 20,919
      {"nvidia_b200_hgx", 4500 * 8.0, 0},                    // 36,000
      {"nvidia_b300_hgx", 13500 * 4.0, 0},                   // 54,000 (tracker: 56,000 from 14 PF)
      {"huawei_ascend_910b", 376 * 16.0, 376 * 16.0 / 665.61},  // 6,016; 9.04
      {"huawei_ascend_910c", 752 * 16.0, 752 * 16.0 / 1331},    // 12,032; 9.04
      {"huawei_ascend_950pr", 1000 * 8.0, 0},                   // 8,000
      {"cambricon_mlu590", 512 * 8.0, 0},                       // 4,096
  };
  for (const auto& c : cases) {
    INFO(c.id);
    const ChipMetrics m = metrics(c.id);
    REQUIRE(m.tpp.has_value());
    CHECK(*m.tpp == Approx(c.tpp));
    if (c.pd > 0) {
      REQUIRE(m.pd.has_value());
      CHECK(*m.pd == Approx(c.pd));
    } else {
      CHECK_FALSE(m.pd.has_value());
    }
  }
  CHECK(metrics("nvidia_h100_sxm").tpp_basis == "fp8 1979 TFLOPS x 8");
  CHECK(metrics("nvidia_h20").tpp_basis == "fp8 296 TFLOPS x 8");
}

TEST_CASE("the Oct 2022 rule needs both 600 GB/s and TPP 4,800", "[hardware][export]") {
  CHECK(verdict("nvidia_h100_sxm", "2022-10").status == "3A090.a");              // 900 GB/s
  CHECK(verdict("nvidia_a100_sxm_80gb", "2022-10").status == "3A090.a");         // exactly 600
  CHECK(verdict("nvidia_a800_sxm_80gb", "2022-10").status == "not controlled");  // 400 GB/s
  CHECK(verdict("nvidia_h800_sxm", "2022-10").status == "not controlled");       // 400 GB/s
}

TEST_CASE("the Oct 2023 rule catches what the reference lists", "[hardware][export]") {
  for (const char* id :
       {"nvidia_h100_sxm", "nvidia_h200_sxm", "nvidia_h800_sxm", "nvidia_h800_pcie",
        "nvidia_a100_sxm_80gb", "nvidia_a800_sxm_80gb", "nvidia_rtx_4090", "nvidia_l40s",
        "intel_gaudi2", "amd_mi250", "amd_mi250x", "amd_mi300x", "nvidia_b200_hgx",
        "nvidia_b300_hgx", "huawei_ascend_910b", "huawei_ascend_910c"}) {
    for (const char* rule : {"2023-10", "2024-12", "2026-01"}) {
      INFO(id << " under " << rule);
      const Verdict v = verdict(id, rule);
      CHECK(v.status == "3A090.a");
      CHECK(v.controlled);
    }
  }
  // A800: TPP 4,992 >= 4,800 -> 3A090.a.1 (PD 6.04 also meets a.2).
  CHECK(verdict("nvidia_a800_sxm_80gb", "2023-10").matched_clause == "3A090.a.1");
  // MI250: TPP 5,794 >= 4,800 makes it 3A090.a although PD 3.67 also meets b.2.
  CHECK(verdict("amd_mi250", "2023-10").matched_clause == "3A090.a.1");
}

TEST_CASE("the H20 sits just under the 2023 thresholds", "[hardware][export]") {
  const Verdict v = verdict("nvidia_h20", "2023-10");
  CHECK(v.status == "not controlled");
  CHECK_FALSE(v.controlled);
  // Named outside the thresholds from April 2025: the letter is the verdict.
  const Verdict named = verdict("nvidia_h20", "2026-01");
  CHECK(named.status == "licence required (is-informed letter, 2025-04-09)");
  CHECK(named.controlled);
  REQUIRE(named.named_effects.size() == 1);

  const auto room = headroom(metrics("nvidia_h20"), *rules().find("2023-10"));
  REQUIRE_FALSE(room.empty());
  // Nearest TPP threshold: 2,400 (3A090.b.1), 32 below.
  CHECK(room.front().metric == Metric::tpp);
  CHECK(room.front().threshold == Approx(2400));
  CHECK(room.front().margin == Approx(-32));
}

TEST_CASE("consumer GPUs under 4,800 TPP fall under Note 2", "[hardware][export]") {
  const Verdict d = verdict("nvidia_rtx_4090d", "2023-10");
  CHECK(d.status == "outside 3A090");
  CHECK_FALSE(d.controlled);
  // RTX 4090 read with FP32 accumulation (165.2 x 16 = 2,643; PD 4.34):
  // the thresholds alone give 3A090.b, and Note 2 then takes the consumer
  // part out; read at its datasheet rate (5,285) it is 3A090.a, NAC-eligible.
  const Verdict fp32 = verdict("nvidia_rtx_4090", "2023-10", 1);
  CHECK(*metrics("nvidia_rtx_4090", 1).tpp == Approx(165.2 * 16));
  CHECK(*metrics("nvidia_rtx_4090", 1).pd == Approx(165.2 * 16 / 608.5));
  CHECK(fp32.thresholds_status == "3A090.b");
  CHECK(fp32.status == "outside 3A090");
  const Verdict fp16 = verdict("nvidia_rtx_4090", "2023-10", 0);
  CHECK(fp16.status == "3A090.a");
  CHECK(fp16.license_exceptions == std::vector<std::string>{"NAC (3A090.a)"});
}

TEST_CASE("the Jan 2026 policy splits H200 from B200", "[hardware][export]") {
  // H200: TPP 15,832 < 21,000 and 4,800 GB/s < 6,500 -> case-by-case.
  CHECK(verdict("nvidia_h200_sxm", "2026-01").license_policy.rfind("case-by-case", 0) == 0);
  CHECK(verdict("nvidia_h100_sxm", "2026-01").license_policy.rfind("case-by-case", 0) == 0);
  // B200: TPP 36,000 -> presumption of denial.
  CHECK(verdict("nvidia_b200_hgx", "2026-01").license_policy.rfind("presumption of denial", 0) ==
        0);
  CHECK(verdict("nvidia_b300_hgx", "2026-01").license_policy.rfind("presumption of denial", 0) ==
        0);
}

TEST_CASE("unknown inputs leave a verdict undecided, never wrong", "[hardware][export]") {
  // Siyuan 590: TPP 4,096 but no die area, so 3A090.a.2 and .b depend on PD.
  const Verdict v = verdict("cambricon_mlu590", "2023-10");
  CHECK(v.status == "undecided");
  CHECK(v.missing == std::vector<std::string>{"pd"});
  // The 2022 rule cannot judge a chip whose interconnect direction is unknown.
  CHECK(verdict("huawei_ascend_910b", "2022-10").status == "undecided");
}
