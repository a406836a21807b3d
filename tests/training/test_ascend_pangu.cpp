// Huawei's Pangu Ultra runs on 8,192 Ascend 910B NPUs
// (configs/validation/ascend-pangu.toml): the cases carry the cluster, layout
// and batch of the technical report (arXiv 2504.07866, sec. 3.1.3 and 4), the
// shape counts the FLOPs a token of the MFU convention the report cites
// (PaLM's), and the published layout spends the pipeline bubble the report
// gives. Reference values are derived by hand from the report's figures.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "estimator/training/step_model.hpp"
#include "estimator/validate.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

std::vector<ValidationCase> pangu_cases() {
  for (const auto& file : default_validation_files())
    if (file.first == "configs/validation/ascend-pangu.toml")
      return load_validation_cases(file.first, file.second, test::builtin_catalog());
  FAIL("ascend-pangu.toml is not in the default set");
  return {};
}

}  // namespace

TEST_CASE("Pangu Ultra's two runs carry the report's cluster, layout and batch",
          "[training][validate][pangu]") {
  const std::vector<ValidationCase> cases = pangu_cases();
  REQUIRE(cases.size() == 2);
  // Sec. 4.2: "over 52%" after the sec. 4.3 fusions, "approximately 43%" as the baseline.
  CHECK(cases[0].id == "pangu-ultra-135b-8192");
  CHECK(cases[0].reported == Approx(0.52));
  CHECK(cases[0].fixed.tp_overlap == true);  // MC2
  CHECK(cases[1].id == "pangu-ultra-135b-8192-baseline");
  CHECK(cases[1].reported == Approx(0.43));
  CHECK(cases[1].fixed.tp_overlap == false);
  for (const auto& c : cases) {
    INFO(c.id);
    CHECK(c.basis == "model");
    CHECK(c.chip_family == "Ascend");
    CHECK(c.machine.chips == 8192);
    CHECK(c.tp == 8);
    CHECK(c.pp == 8);
    CHECK(c.fixed.interleave == 6);
    // 128-way DP: 8,192 / (8 x 8).
    CHECK(c.machine.chips / (c.tp * c.pp) == 128);
    // 2,048 sequences of 4,096 tokens, one sequence a microbatch: 16 a DP rank.
    CHECK(c.workload.global_batch_tokens == Approx(2048.0 * 4096));
    CHECK(c.fixed.microbatch == 1);
  }
  const ValidationResult r = run_validation(cases, 1);
  for (const auto& row : r.rows) {
    INFO(row.id);
    CHECK(row.group == CaseGroup::out_of_sample);
    REQUIRE(row.published.fit);
  }
}

// PaLM's MFU (the report's ref. [14]) counts 6 FLOPs per weight of every
// matmul and 12 l h s for attention, no recompute. Per layer: wq, wo 2 x
// 12,288^2 = 301,989,888; wk, wv (8 KV heads of 128) 2 x 12,288 x 1,024 =
// 25,165,824; SwiGLU 3 x 12,288 x 28,672 = 1,056,964,608: 1,384,120,320, x 94
// = 130,107,310,080, x 6 = 780,643,860,480. Output layer 6 x 12,288 x 153,376
// = 11,308,105,728. Attention 12 x 94 x 12,288 x 4,096 = 56,774,098,944.
// 848,726,065,152 in all. At 52% of the catalog's 376 TFLOP/s that is 230.4
// tokens/s a chip, 1.887M tokens/s over 8,192, a 4.45 s step.
TEST_CASE("Pangu Ultra's shape counts the FLOPs per token of PaLM's MFU convention",
          "[training][validate][pangu]") {
  const ValidationCase c = pangu_cases().front();
  const double flop_per_token = model_flop_per_step(c.workload) / c.workload.global_batch_tokens;
  CHECK(flop_per_token == Approx(848'726'065'152.0).epsilon(1e-4));
}

// Sec. 4.2: for 1F1B the bubble is (p - 1) / (p - 1 + n); the report's 30.45%
// at p = 8 gives n = 16 microbatches a DP rank (7 / 23), and with 6 virtual
// stages it falls to 7 / (6 x 16 + 7) = 6.8%, the report's figure. The
// published layout's step must spend that share in its bubble.
TEST_CASE("Pangu Ultra's published layout spends the pipeline bubble the report gives",
          "[training][validate][pangu]") {
  const ValidationResult r = run_validation(pangu_cases(), 1);
  for (const auto& row : r.rows) {
    INFO(row.id);
    REQUIRE(row.published.fit);
    CHECK(row.published.layout.interleave == 6);
    CHECK(row.published.layout.microbatch == 1);
    const StepBreakdown& s = row.published.step;
    CHECK(s.bubble_s / s.step_s == Approx(7.0 / 103.0).margin(0.005));
  }
}
