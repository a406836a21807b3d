// Inventory the model cannot use (a chip without a rate at the run's
// precision, a power figure, memory or an MFU prior) is never dropped
// silently: the estimate leaves it out with a warning naming the chip, the
// missing figures and the key that supplies each; an actor with nothing
// usable is an input error (issue 14).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/hardware_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "tests/cli/process.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

const Catalog& catalog() { return test::builtin_catalog(); }

std::string scenario_with(const std::string& training, const std::string& lines) {
  return "[scenario]\nname = \"u\"\n\n[training]\nduration_days = 90\n" + training +
         "\n[[actor]]\nname = \"A\"\n\n[[actor.site]]\nname = \"S\"\npower_mw = 500\npue = 1.2\n" +
         lines;
}

std::string line(const std::string& chip, int count) {
  return "\n[[actor.inventory]]\nchip = \"" + chip + "\"\ncount = " + std::to_string(count) + "\n";
}

// Cambricon MLU590: the catalog has only Epoch's 512 TOPS at 8 bits.
const char* kMlu590Warning =
    "cambricon_mlu590: 1000 chips left out of every cluster: the catalog has no dense bf16 peak "
    "(bf16_tflops), no power figure (tdp_w) and no memory size (hbm_gb); add them with "
    "--hardware";

}  // namespace

TEST_CASE("an unusable inventory line is left out with a warning naming chip, figures and keys",
          "[estimator][estimate][catalog]") {
  const std::string text =
      scenario_with("", line("nvidia_h100_sxm", 16384) + line("cambricon_mlu590", 1000));
  const EstimateResult r = estimate(load_scenario_text("u.toml", text, catalog()), catalog());
  const ActorResult& a = r.actors[0];
  // The H100s make the cluster; the MLU590s are counted but join no cluster.
  CHECK(a.cluster.chip_id == "nvidia_h100_sxm");
  CHECK(a.cluster.chips == Approx(16384));
  CHECK(a.inventory_count == Approx(17384));
  for (const auto& c : a.candidates) CHECK(c.chip_id != "cambricon_mlu590");
  REQUIRE(a.warnings.size() == 1);
  CHECK(a.warnings[0] == kMlu590Warning);

  std::ostringstream table, json;
  report::write_estimate_table(r, table);
  CHECK(table.str().find(std::string("  warning: ") + kMlu590Warning + "\n") != std::string::npos);
  report::write_estimate_json(r, json);
  CHECK(json.str().find(std::string("\"") + kMlu590Warning + "\"") != std::string::npos);
}

TEST_CASE("a chip without an MFU prior is usable once the scenario sets mfu",
          "[estimator][estimate][catalog]") {
  // NVIDIA L20: rates, memory and power are catalogued, but no training run
  // gives it an MFU prior.
  const std::string lines = line("nvidia_h100_sxm", 1000) + line("nvidia_l20", 500);
  // Under the prior model (the step model needs no prior: next test).
  const EstimateResult without = estimate(
      load_scenario_text("u.toml", scenario_with("mfu_model = \"prior\"\n", lines), catalog()),
      catalog());
  REQUIRE(without.actors[0].warnings.size() == 1);
  CHECK(without.actors[0].warnings[0] ==
        "nvidia_l20: 500 chips left out of every cluster: the catalog has no bf16 MFU prior; set "
        "mfu on the inventory line or in [training]");

  const EstimateResult with = estimate(
      load_scenario_text("u.toml", scenario_with("mfu = 0.4\n", lines), catalog()), catalog());
  CHECK(with.actors[0].warnings.empty());
  bool l20_candidate = false;
  for (const auto& c : with.actors[0].candidates) l20_candidate |= c.chip_id == "nvidia_l20";
  CHECK(l20_candidate);
}

TEST_CASE("a chip without an MFU prior is usable under the step model, which predicts its MFU",
          "[estimator][estimate][catalog][step_model]") {
  // Issue 15: the L20 has rates, memory, HBM bandwidth and power but no
  // prior; the default mfu_model needs none, so it joins a cluster with no
  // warning and its MFU is the step model's.
  const std::string lines = line("nvidia_h100_sxm", 1000) + line("nvidia_l20", 500);
  const EstimateResult r =
      estimate(load_scenario_text("u.toml", scenario_with("", lines), catalog()), catalog());
  CHECK(r.actors[0].warnings.empty());
  bool l20_predicted = false;
  for (const auto& c : r.actors[0].candidates) {
    if (c.chip_id != "nvidia_l20") continue;
    l20_predicted = c.mfu_basis.step_model && c.mfu_basis.prediction.predicted && c.mfu > 0;
  }
  CHECK(l20_predicted);
}

TEST_CASE("a chip in a system without power names both the power and the MFU gap",
          "[estimator][estimate][catalog]") {
  // Trainium3: AWS publishes no chip or UltraServer power.
  const std::string text = scenario_with(
      "mfu_model = \"prior\"\n", line("nvidia_h100_sxm", 1000) + line("aws_trainium3", 144) +
                                     "system = \"aws_trn3_ultraserver\"\n");
  const EstimateResult r = estimate(load_scenario_text("u.toml", text, catalog()), catalog());
  REQUIRE(r.actors[0].warnings.size() == 1);
  CHECK(r.actors[0].warnings[0] ==
        "aws_trainium3 in aws_trn3_ultraserver: 144 chips left out of every cluster: the catalog "
        "has no power figure (tdp_w); add it with --hardware, and no bf16 MFU prior; set mfu on "
        "the inventory line or in [training]");
}

TEST_CASE("an actor with no usable inventory line is an input error for each line",
          "[estimator][scenario][catalog]") {
  const std::string text = scenario_with("mfu_model = \"prior\"\n",
                                         line("cambricon_mlu590", 1000) + line("nvidia_l20", 500));
  const auto errors = test::error_lines([&] { load_scenario_text("u.toml", text, catalog()); });
  const std::vector<std::string> expected = {
      "u.toml:17:8: actor.inventory.chip = \"cambricon_mlu590\": has no tdp_w and no system in "
      "the catalog; add tdp_w with --hardware",
      "u.toml:17:8: actor.inventory.chip = \"cambricon_mlu590\": has no dense bf16 peak in the "
      "catalog; choose another [training] precision",
      "u.toml:17:8: actor.inventory.chip = \"cambricon_mlu590\": has no hbm_gb in the catalog "
      "(needed by the memory-fit check)",
      "u.toml:21:8: actor.inventory.chip = \"nvidia_l20\": has no bf16 MFU prior in the catalog; "
      "set mfu here or in [training]",
  };
  CHECK(errors == expected);
}

TEST_CASE("the catalog says at which precisions each chip can be estimated",
          "[hardware][catalog]") {
  // H100 SXM: every figure, with BF16 and FP8 MFU priors.
  const ChipUsability h100 = chip_usability(*catalog().find_chip("nvidia_h100_sxm"), catalog());
  CHECK(std::find(h100.with_prior.begin(), h100.with_prior.end(), Precision::bf16) !=
        h100.with_prior.end());
  CHECK(std::find(h100.with_prior.begin(), h100.with_prior.end(), Precision::fp8) !=
        h100.with_prior.end());
  // L20: usable at BF16 and FP8 once an MFU is set; no prior.
  const ChipUsability l20 = chip_usability(*catalog().find_chip("nvidia_l20"), catalog());
  CHECK(l20.with_prior.empty());
  CHECK(std::find(l20.with_user_mfu.begin(), l20.with_user_mfu.end(), Precision::bf16) !=
        l20.with_user_mfu.end());
  // MLU590 and the rumoured B30A: nothing the model can use.
  for (const char* id : {"cambricon_mlu590", "nvidia_b30a", "baidu_kunlun_p800"}) {
    INFO(id);
    const ChipUsability u = chip_usability(*catalog().find_chip(id), catalog());
    CHECK(u.with_prior.empty());
    CHECK(u.with_user_mfu.empty());
  }
  // The MLU590's gaps at BF16, in order, with the keys that fill them.
  const auto missing = missing_for_estimate(*catalog().find_chip("cambricon_mlu590"), nullptr,
                                            Precision::bf16, false);
  REQUIRE(missing.size() == 3);
  CHECK(missing[0].key == "bf16_tflops");
  CHECK(missing[1].key == "tdp_w");
  CHECK(missing[2].key == "hbm_gb");
}

TEST_CASE("hardware show says what each chip can be used for", "[hardware][catalog][report]") {
  auto usable_for = [](const std::string& id) {
    std::ostringstream out;
    REQUIRE(report::write_hardware_show_table(catalog(), id, out));
    const std::string text = out.str();
    const auto at = text.find("  usable_for");
    REQUIRE(at != std::string::npos);
    const auto value = text.find_first_not_of(' ', at + 12);
    return text.substr(value, text.find('\n', value) - value);
  };
  CHECK(usable_for("nvidia_l20") ==
        "estimates at tf32, bf16, fp16, fp8 with a set mfu (no catalog MFU prior)");
  CHECK(usable_for("cambricon_mlu590") ==
        "no estimate: at bf16 it lacks dense bf16 peak (bf16_tflops), power figure (tdp_w), "
        "memory size (hbm_gb)");
  CHECK(usable_for("nvidia_h100_sxm").rfind("estimates at ", 0) == 0);
}

TEST_CASE("an extra chip without an MFU prior is estimated by the step model",
          "[estimator][cli][catalog][step_model]") {
  // Issue 15: a chip given with --hardware and no mfu_bf16 needed a prior
  // even under the default step model. With HBM bandwidth it now runs; the
  // same chip without bandwidth is case 231 of tests/bad_inputs.
  const auto r = test::run_process(CLUSTERCAP_BINARY,
                                   {"estimate", "--hardware", "no_prior_chips.toml",
                                    "extra_chip_with_bandwidth.toml", "--format", "json"},
                                   CLUSTERCAP_BAD_INPUTS_DIR);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("\"chip\": \"test_chip_with_bandwidth\"") != std::string::npos);
  CHECK(r.out.find("left out of every cluster") == std::string::npos);
}
