// Every sourced export verdict under every rule vintage, table-driven.
//
// Expected statuses are derived by hand from the rule texts (2022-10: TPP >=
// 4,800 AND bidirectional I/O >= 600 GB/s; 2023-10 onward: 3A090.a/.b by TPP
// and PD, Note 2 for consumer parts) and the classifications in
// the project's sourced rule notes (docs/policy-supply.md §A.2, §A.7),
// docs/policy-supply.md §A.5 (the April 2025 is-informed letter) and the
// issue's sourced corrections:
//  - H100 PCIe: NVLink bridge 600 GB/s bidirectional (NVIDIA datasheet), TPP
//    1513 x 8 = 12,104 -> 3A090.a in 2022 (NVIDIA 8-K of 2022-08-31: the
//    licence requirement covers H100).
//  - MI250: 6 Infinity Fabric links x 100 GB/s = 600 GB/s, TPP 362.1 x 16 =
//    5,794 -> 3A090.a in 2022 (controlled from the Aug 2022 letter on).
//  - H800 PCIe: NVLink 400 GB/s < 600 -> not controlled in 2022; TPP 12,104
//    -> 3A090.a from 2023-11-17.
//  - H20: TPP 296 x 8 = 2,368 < 2,400, PD 2.91 < 3.2 -> outside 3A090.a/.b;
//    a licence is required from 2025-04-09 by the is-informed letter, which
//    only the 2026-01 vintage (effective after it) carries.
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

std::vector<ChipMetrics> readings(const std::string& id) {
  return chip_metrics(*test::builtin_catalog().find_chip(id));
}

Verdict verdict(const std::string& id, const std::string& rule, std::size_t reading = 0) {
  return classify(readings(id).at(reading), *rules().find(rule));
}

constexpr const char* kA = "3A090.a";
constexpr const char* kNo = "not controlled";
constexpr const char* kLetter = "licence required (is-informed letter, 2025-04-09)";

}  // namespace

TEST_CASE("every sourced verdict holds under every rule vintage", "[hardware][export]") {
  struct Case {
    const char* id;
    const char* v2022;  // nullptr: no sourced verdict to pin
    const char* v2023;  // 2023-10 and 2024-12 (same IC clauses)
    const char* v2026;
    const char* v2024 = nullptr;  // 2024-12 when it differs from 2023-10
  };
  const Case cases[] = {
      // id                    2022-10      2023-10/2024-12   2026-01
      {"nvidia_h100_sxm", kA, kA, kA},             // 900 GB/s; TPP 15,832
      {"nvidia_h100_pcie", kA, kA, kA},            // bridge 600 GB/s; TPP 12,104
      {"nvidia_h200_sxm", kA, kA, kA},             // 900 GB/s; TPP 15,832
      {"nvidia_h800_sxm", kNo, kA, kA},            // 400 GB/s
      {"nvidia_h800_pcie", kNo, kA, kA},           // bridge 400 GB/s
      {"nvidia_a100_sxm_80gb", kA, kA, kA},        // 600 GB/s, TPP 4,992
      {"nvidia_a800_sxm_80gb", kNo, kA, kA},       // 400 GB/s
      {"nvidia_h20", kNo, kNo, kLetter, kLetter},  // TPP 2,368; letter of 2025-04-09
      {"nvidia_l40s", kNo, kA, kA},                // PCIe 64 GB/s; TPP 5,864
      {"nvidia_rtx_4090", kNo, kA, kA},            // 64 GB/s; TPP 5,285 (consumer, NAC)
      {"nvidia_rtx_4090d", kNo, "outside 3A090", "outside 3A090"},  // Note 2, TPP 4,704
      {"intel_gaudi2", kA, kA, kA},              // 24 x 100GbE = 600 GB/s; TPP 6,920
      {"amd_mi250", kA, kA, kA},                 // 6 IF links = 600 GB/s; TPP 5,794
      {"amd_mi250x", kA, kA, kA},                // 800 GB/s; TPP 6,128
      {"amd_mi300x", kA, kA, kA},                // 896 GB/s; TPP 20,919
      {"nvidia_b200_hgx", kA, kA, kA},           // 1,800 GB/s; TPP 36,000
      {"nvidia_b300_hgx", kA, kA, kA},           // 1,800 GB/s; TPP 54,000
      {"huawei_ascend_910c", kA, kA, kA},        // 784 GB/s; TPP 12,032
      {"huawei_ascend_910b", nullptr, kA, kA},   // 2022 unsourced (392 GB/s, direction?)
      {"huawei_ascend_950pr", nullptr, kA, kA},  // TPP 8,000 (1 PFLOPS FP8 x 8)
      {"aws_trainium2", kA, kA, kA},             // 1,280 GB/s either direction >= 600; TPP 21,344
  };
  for (const auto& c : cases) {
    for (const auto& [rule, expected] : {std::pair<const char*, const char*>{"2022-10", c.v2022},
                                         {"2023-10", c.v2023},
                                         {"2024-12", c.v2024 ? c.v2024 : c.v2023},
                                         {"2026-01", c.v2026}}) {
      if (expected == nullptr) continue;
      INFO(c.id << " under " << rule);
      const Verdict v = verdict(c.id, rule);
      CHECK(v.status == expected);
      const bool controlled = std::string(expected) == kA || std::string(expected) == kLetter;
      CHECK(v.controlled == controlled);
    }
  }
}

TEST_CASE("the 2022 rule counts a PCIe card's NVLink bridge as I/O", "[hardware][export]") {
  // H100 PCIe: bridge 600 GB/s >= 600 and TPP 12,104 >= 4,800.
  const ChipMetrics h100 = readings("nvidia_h100_pcie").front();
  REQUIRE(h100.io_bidir_gbs.has_value());
  CHECK(*h100.io_bidir_gbs == Approx(600));
  CHECK(h100.io_basis.find("NVLink bridge") != std::string::npos);
  CHECK(verdict("nvidia_h100_pcie", "2022-10").matched_clause == "3A090.a (2022)");
  // H800 PCIe: 400 GB/s fails the I/O bound, so nothing is missing.
  const Verdict h800 = verdict("nvidia_h800_pcie", "2022-10");
  CHECK(h800.missing.empty());
  REQUIRE(readings("nvidia_h800_pcie").front().io_bidir_gbs.has_value());
  CHECK(*readings("nvidia_h800_pcie").front().io_bidir_gbs == Approx(400));
  // MI250: 6 x 100 GB/s.
  REQUIRE(readings("amd_mi250").front().io_bidir_gbs.has_value());
  CHECK(*readings("amd_mi250").front().io_bidir_gbs == Approx(6 * 100.0));
}

TEST_CASE("the is-informed letter is the H20's verdict under the rules in force from 2025-04",
          "[hardware][export]") {
  const Verdict v = verdict("nvidia_h20", "2026-01");
  CHECK(v.status == kLetter);
  CHECK(v.controlled);
  CHECK(v.controlled_truth == Truth::yes);
  // The thresholds alone still say what they say.
  CHECK(v.thresholds_status == "not controlled");
  REQUIRE_FALSE(v.named_sources.empty());
  CHECK(v.named_sources.front() ==
        "https://www.sec.gov/Archives/edgar/data/1045810/000104581025000082/nvda-20250409.htm");
  // Under both 21,000 TPP (2,368) and 6,500 GB/s (4,000): case-by-case review.
  CHECK(v.license_policy.rfind("case-by-case review", 0) == 0);
  // The Dec 2024 package was in force when the letter came (2025-04-09).
  CHECK(verdict("nvidia_h20", "2024-12").status == kLetter);
  CHECK(verdict("amd_mi308x", "2024-12").status == kLetter);
  // Earlier vintages had ended before the letter and are unchanged.
  for (const char* rule : {"2022-10", "2023-10"}) {
    INFO(rule);
    const Verdict earlier = verdict("nvidia_h20", rule);
    CHECK(earlier.status == kNo);
    CHECK(earlier.named_effects.empty());
  }
}

TEST_CASE("a named control lists chips by id, so a later chip needs no code",
          "[hardware][export]") {
  const std::string rules_text = R"([[vintage]]
id = "test"
name = "Test rule"
effective = 2025-05-01
destinations = ["CN"]
sources = ["https://example.org/rule"]

[[vintage.clause]]
eccn = "3A090.a"
id = "3A090.a.1"
tpp_ge = 4800.0

[[vintage.named]]
id = "is-informed letter"
chips = ["nvidia_h20", "nvidia_rtx_4090d"]
effective = 2025-04-09
effect = "Licence required."
sources = ["https://example.org/letter"]
)";
  const RuleBook book = load_rule_book({{"rules.toml", rules_text}}, test::builtin_catalog());
  const Vintage& v = *book.find("test");
  for (const char* id : {"nvidia_h20", "nvidia_rtx_4090d"}) {
    INFO(id);
    const Verdict verdict_now = classify(readings(id).front(), v);
    CHECK(verdict_now.status == kLetter);
    CHECK(verdict_now.named_sources == std::vector<std::string>{"https://example.org/letter"});
  }
  // A chip the thresholds already control keeps its ECCN.
  CHECK(classify(readings("nvidia_h100_sxm").front(), v).status == kA);
}

TEST_CASE("a named control naming an unknown chip is an error", "[hardware][export]") {
  const auto errors = test::error_lines([] {
    load_rule_book({{"rules.toml", R"([[vintage]]
id = "test"
name = "Test rule"
effective = 2025-05-01
destinations = ["CN"]
sources = ["https://example.org/rule"]

[[vintage.clause]]
eccn = "3A090.a"
id = "3A090.a.1"
tpp_ge = 4800.0

[[vintage.named]]
id = "letter"
chips = ["nvidia_h20", "nvidia_h21"]
effective = 2025-04-09
effect = "Licence required."
sources = ["https://example.org/letter"]
)"}},
                   test::builtin_catalog());
  });
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "rules.toml:15:9: vintage.named.chips = [...]: unknown chip id \"nvidia_h21\" (did you "
        "mean \"nvidia_h20\"?)");
}

TEST_CASE("a chip whose TF32 rate sets its TPP is read both ways", "[hardware][export]") {
  // Trainium2: TF32 667 x 32 = 21,344 (the trackers' reading) against BF16
  // 667 x 16 = 10,672 (FP8 1,299 x 8 = 10,392) without TF32.
  const auto trn2 = readings("aws_trainium2");
  REQUIRE(trn2.size() == 2);
  CHECK(*trn2[0].tpp == Approx(667 * 32.0));
  CHECK(trn2[0].tpp_basis == "tf32 667 TFLOPS x 32");
  CHECK(trn2[0].reading_source.find("s-w-kelly") != std::string::npos);
  CHECK(trn2[1].reading == kTf32Reading);
  CHECK(*trn2[1].tpp == Approx(667 * 16.0));
  CHECK(trn2[1].tpp_basis == "bf16 667 TFLOPS x 16");
  CHECK(trn2[1].reading_source.find("19 bits") != std::string::npos);
  // 2026-01: the reading decides the review policy, not the ECCN.
  const Verdict at32 = verdict("aws_trainium2", "2026-01", 0);
  const Verdict at16 = verdict("aws_trainium2", "2026-01", 1);
  CHECK(at32.status == kA);
  CHECK(at16.status == kA);
  CHECK(at32.license_policy.rfind("presumption of denial", 0) == 0);
  CHECK(at16.license_policy.rfind("case-by-case review", 0) == 0);

  // Every chip gets the second reading exactly when TF32 x 32 is strictly
  // above every other rate x its bits (the H20's TF32 74 x 32 only ties FP8
  // 296 x 8, and the H100's 494.5 x 32 = 15,824 is under 15,832).
  for (const auto& chip : test::builtin_catalog().chips) {
    INFO(chip.id);
    const auto tf32 = chip.peak_flops(Precision::tf32);
    double others = chip.fp64_tensor_flops.value_or(0) / 1e12 * 64;
    for (Precision p : kAllPrecisions) {
      if (p == Precision::tf32) continue;
      if (auto peak = chip.peak_flops(p)) others = std::max(others, *peak / 1e12 * bit_length(p));
    }
    const bool tf32_sets = tf32 && *tf32 / 1e12 * 32 > others;
    const auto list = readings(chip.id);
    const bool has = std::any_of(list.begin(), list.end(),
                                 [](const ChipMetrics& m) { return m.reading == kTf32Reading; });
    CHECK(has == tf32_sets);
  }
  // The RTX 4090 keeps its two readings.
  const auto rtx = readings("nvidia_rtx_4090");
  REQUIRE(rtx.size() == 2);
  CHECK(*rtx[1].tpp == Approx(165.2 * 16));
}
