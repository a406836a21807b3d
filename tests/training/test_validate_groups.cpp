// `validate` over several files: the default set is every file of
// configs/validation/, errors name the file they are in, each case is
// in-sample or out-of-sample by the fitted-constants table, and the errors
// are summarized per group, chip family and precision.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "estimator/report/validate_report.hpp"
#include "estimator/training/fitted_constants.hpp"
#include "estimator/validate.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

// Megatron 2021's 1.7B row (Table 1) on 32 A100s, TP 1, PP 1, under `id`,
// on `chip`.
std::string case_text(const std::string& id, const std::string& chip = "nvidia_a100_sxm_80gb") {
  return "[[case]]\nid = \"" + id + "\"\nsource = \"test\"\nchip = \"" + chip +
         "\"\nscaleup_domain = 8\nscaleout_gbps = 200\nchips = 32\ntp = 1\npp = 1\n"
         "reported_tflops_per_chip = 137\nreported_basis = \"megatron\"\nrecompute = \"full\"\n"
         "[case.workload]\nlayers = 24\nhidden = 2304\nheads = 24\nffn = 9216\nseq_len = 2048\n"
         "vocab = 51200\nglobal_batch_tokens = 1048576\n\n";
}

const ValidationRow& row(const ValidationResult& r, const std::string& id) {
  const auto it = std::find_if(r.rows.begin(), r.rows.end(),
                               [&](const ValidationRow& x) { return x.id == id; });
  REQUIRE(it != r.rows.end());
  return *it;
}

const ErrorSummary& slice(const std::vector<ErrorSummary>& list, const std::string& label) {
  const auto it = std::find_if(list.begin(), list.end(),
                               [&](const ErrorSummary& s) { return s.label == label; });
  REQUIRE(it != list.end());
  return *it;
}

}  // namespace

TEST_CASE("the median and worst of absolute errors match a hand computation",
          "[training][validate][groups]") {
  // Odd count: the middle one of 0.1, 0.2, 0.3; even: the mean of 0.1 and 0.4.
  const ErrorSummary odd = summarize_errors("odd", 4, {0.3, 0.1, 0.2});
  CHECK(odd.label == "odd");
  CHECK(odd.cases == 4);
  CHECK(odd.cases_scored == 3);
  CHECK(odd.median_abs_error == Approx(0.2).epsilon(1e-12));
  CHECK(odd.worst_abs_error == Approx(0.3).epsilon(1e-12));
  const ErrorSummary even = summarize_errors("even", 2, {0.4, 0.1});
  CHECK(even.median_abs_error == Approx(0.25).epsilon(1e-12));
  CHECK(even.worst_abs_error == Approx(0.4).epsilon(1e-12));
  const ErrorSummary none = summarize_errors("none", 1, {});
  CHECK(none.cases_scored == 0);
  CHECK(none.median_abs_error == Approx(0.0).margin(1e-15));
}

TEST_CASE("a case some constant was fitted on is in-sample, any other out-of-sample",
          "[training][validate][groups]") {
  const std::vector<FittedConstant> table = {{"kA", 1.0, "fit", {"run-a", "run-b"}},
                                             {"kB", 2.0, "source", {}},
                                             {"kC", 3.0, "fit", {"run-c"}}};
  CHECK(in_sample("run-a", table));
  CHECK(in_sample("run-c", table));
  CHECK_FALSE(in_sample("run-d", table));
  CHECK_FALSE(in_sample("kB", table));
  // The step model's own table: the Megatron 2021 rows were fitted on.
  CHECK(in_sample("megatron2021-1.7B", fitted_constants()));
  CHECK_FALSE(in_sample("bloom-176b-384", fitted_constants()));
}

TEST_CASE("a three-case file is grouped and each group's median is the hand median",
          "[training][validate][groups]") {
  // Two ids the matmul constants were fitted on, one they were not; the
  // three runs share one shape and cluster.
  const std::string text =
      case_text("megatron2021-1.7B") + case_text("megatron2021-1T") + case_text("not-fitted-on");
  const ValidationResult r =
      run_validation(load_validation_cases("three.toml", text, test::builtin_catalog()), 1);
  REQUIRE(r.rows.size() == 3);
  CHECK(row(r, "megatron2021-1.7B").group == CaseGroup::in_sample);
  CHECK(row(r, "megatron2021-1T").group == CaseGroup::in_sample);
  CHECK(row(r, "not-fitted-on").group == CaseGroup::out_of_sample);
  REQUIRE(r.by_group.size() == 2);
  const ErrorSummary& in = r.by_group[0];
  const ErrorSummary& out = r.by_group[1];
  CHECK(in.label == "in_sample");
  CHECK(out.label == "out_of_sample");
  CHECK(in.cases == 2);
  CHECK(out.cases == 1);
  const double a = std::fabs(row(r, "megatron2021-1.7B").error_published);
  const double b = std::fabs(row(r, "megatron2021-1T").error_published);
  const double c = std::fabs(row(r, "not-fitted-on").error_published);
  CHECK(in.median_abs_error == Approx((a + b) / 2).epsilon(1e-12));
  CHECK(in.worst_abs_error == Approx(std::max(a, b)).epsilon(1e-12));
  CHECK(out.median_abs_error == Approx(c).epsilon(1e-12));
  // Overall: the middle of three.
  std::vector<double> all = {a, b, c};
  std::sort(all.begin(), all.end());
  CHECK(r.median_abs_error == Approx(all[1]).epsilon(1e-12));
  // One chip family and one precision, holding all three.
  REQUIRE(r.by_chip_family.size() == 1);
  CHECK(r.by_chip_family[0].label == "A100");
  CHECK(r.by_chip_family[0].cases == 3);
  REQUIRE(r.by_precision.size() == 1);
  CHECK(r.by_precision[0].label == "bf16");
}

TEST_CASE("cases on different chips are summarized per chip family in order of appearance",
          "[training][validate][groups]") {
  const std::string text = case_text("on-h100", "nvidia_h100_sxm") + case_text("on-a100") +
                           case_text("on-h100-again", "nvidia_h100_sxm");
  const ValidationResult r =
      run_validation(load_validation_cases("mixed.toml", text, test::builtin_catalog()), 1);
  REQUIRE(r.by_chip_family.size() == 2);
  CHECK(r.by_chip_family[0].label == "H100-class");
  CHECK(r.by_chip_family[0].cases == 2);
  CHECK(r.by_chip_family[1].label == "A100");
  CHECK(r.by_chip_family[1].cases == 1);
  const double a = std::fabs(row(r, "on-h100").error_published);
  const double b = std::fabs(row(r, "on-h100-again").error_published);
  CHECK(slice(r.by_chip_family, "H100-class").worst_abs_error ==
        Approx(std::max(a, b)).epsilon(1e-12));
}

TEST_CASE("chip families follow the catalog's chip ids", "[training][validate][groups]") {
  const Catalog& catalog = test::builtin_catalog();
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"nvidia_a100_sxm_80gb", "A100"}, {"nvidia_h100_sxm", "H100-class"},
      {"google_tpu_v4", "TPU"},         {"google_tpu_v5p", "TPU"},
      {"huawei_ascend_910b", "Ascend"}, {"huawei_ascend_910c", "Ascend"},
      {"amd_mi300x", "AMD Instinct"},   {"amd_mi250x", "AMD Instinct"},
      {"intel_gaudi3", "Gaudi"}};
  for (const auto& [id, family] : expected) {
    INFO(id);
    const Chip* chip = catalog.find_chip(id);
    REQUIRE(chip != nullptr);
    CHECK(chip_family(*chip) == family);
  }
}

TEST_CASE("several files load as one set in the order given", "[training][validate][groups]") {
  const auto cases = load_validation_files(
      {{"a.toml", case_text("first") + case_text("second")}, {"b.toml", case_text("third")}},
      test::builtin_catalog());
  REQUIRE(cases.size() == 3);
  CHECK(cases[0].id == "first");
  CHECK(cases[0].file == "a.toml");
  CHECK(cases[2].id == "third");
  CHECK(cases[2].file == "b.toml");
}

TEST_CASE("errors in several files are all reported, each naming its file",
          "[training][validate][groups]") {
  std::string bad_chip = case_text("bad-chip");
  bad_chip.replace(bad_chip.find("nvidia_a100_sxm_80gb"), 20, "nvidia_a100_sxm_80g");
  std::string bad_tp = case_text("bad-tp");
  bad_tp.replace(bad_tp.find("tp = 1"), 6, "tp = 0");
  const auto lines = test::error_lines([&] {
    load_validation_files(
        {{"a.toml", bad_tp}, {"ok.toml", case_text("fine")}, {"b.toml", bad_chip}},
        test::builtin_catalog());
  });
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].rfind("a.toml:8:6: case.tp = 0: ", 0) == 0);
  CHECK(lines[1].rfind("b.toml:4:8: case.chip = \"nvidia_a100_sxm_80g\": unknown chip id", 0) == 0);
}

TEST_CASE("a case id repeated in a later file is an error naming both files",
          "[training][validate][groups]") {
  const auto lines = test::error_lines([&] {
    load_validation_files({{"a.toml", case_text("same")}, {"b.toml", case_text("same")}},
                          test::builtin_catalog());
  });
  CHECK(lines == std::vector<std::string>{
                     "b.toml:2:6: case.id = \"same\": repeats a case id already in a.toml"});
  const auto within = test::error_lines([&] {
    load_validation_cases("one.toml", case_text("twice") + case_text("twice"),
                          test::builtin_catalog());
  });
  CHECK(within == std::vector<std::string>{
                      "one.toml:23:6: case.id = \"twice\": repeats a case id already in one.toml"});
}

TEST_CASE("the default set is every file of configs/validation, sorted, and loads",
          "[training][validate][groups]") {
  std::vector<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CLUSTERCAP_SOURCE_DIR) +
                                                               "/configs/validation")) {
    if (entry.path().extension() == ".toml")
      on_disk.push_back("configs/validation/" + entry.path().filename().string());
  }
  std::sort(on_disk.begin(), on_disk.end());
  const auto files = default_validation_files();
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.first);
  CHECK(names == on_disk);
  CHECK(std::find(names.begin(), names.end(), "configs/validation/dense-bf16.toml") != names.end());
  const auto cases = load_validation_files(files, test::builtin_catalog());
  CHECK(cases.size() >= 40);
}

TEST_CASE(
    "every case a constant was fitted on is in the default set, and every constant says "
    "what set it",
    "[training][validate][groups]") {
  std::set<std::string> ids;
  for (const auto& c : load_validation_files(default_validation_files(), test::builtin_catalog()))
    ids.insert(c.id);
  for (const auto& constant : fitted_constants()) {
    INFO(constant.name);
    CHECK_FALSE(constant.basis.empty());
    CHECK(constant.value > 0);
    for (const auto& id : constant.fitted_on) CHECK(ids.count(std::string(id)) == 1);
  }
}

TEST_CASE("the reports give each case's group and the per-group errors and constants",
          "[training][validate][groups][report]") {
  const std::string text = case_text("megatron2021-1.7B") + case_text("not-fitted-on");
  const ValidationResult r =
      run_validation(load_validation_cases("two.toml", text, test::builtin_catalog()), 1);
  std::ostringstream table, json, csv;
  report::write_validate_table(r, table);
  report::write_validate_json(r, json);
  report::write_validate_csv(r, csv);

  // The run column is as wide as the longest id (17), two spaces apart.
  CHECK(table.str().find("\nmegatron2021-1.7B  in ") != std::string::npos);
  CHECK(table.str().find("\nnot-fitted-on      out ") != std::string::npos);
  CHECK(table.str().find("by group (in-sample: a step-model constant was fitted on the case)\n"
                         "  in_sample       median ") != std::string::npos);
  CHECK(table.str().find("(1 of 1 scored)\n  out_of_sample   median ") != std::string::npos);
  CHECK(table.str().find("by chip family\n  A100            median ") != std::string::npos);
  CHECK(table.str().find("by precision\n  bf16            median ") != std::string::npos);
  CHECK(table.str().find("  kMatmulCeiling = 0.66: fitted on megatron2021-530B, "
                         "megatron2021-1T (") != std::string::npos);
  CHECK(table.str().find("  kElementwiseBytes = 34: from a source, not fitted (") !=
        std::string::npos);

  const auto doc = nlohmann::json::parse(json.str());
  CHECK(doc["schema"] == "clustercap.validate.v3");
  CHECK(doc["runs"][0]["group"] == "in_sample");
  CHECK(doc["runs"][0]["file"] == "two.toml");
  CHECK(doc["runs"][0]["chip_family"] == "A100");
  CHECK(doc["runs"][0]["precision"] == "bf16");
  CHECK(doc["runs"][1]["group"] == "out_of_sample");
  REQUIRE(doc["groups"].size() == 2);
  CHECK(doc["groups"][0]["group"] == "in_sample");
  CHECK(doc["groups"][0]["cases"] == 1);
  CHECK(doc["groups"][1]["group"] == "out_of_sample");
  CHECK(doc["groups"][1]["median_abs_error"].get<double>() ==
        Approx(std::fabs(r.rows[1].error_published)).epsilon(1e-12));
  CHECK(doc["by_chip_family"][0]["chip_family"] == "A100");
  CHECK(doc["by_precision"][0]["precision"] == "bf16");
  REQUIRE(doc["fitted_constants"].size() == fitted_constants().size());
  CHECK(doc["fitted_constants"][1]["name"] == "kHalfWidth");
  CHECK(doc["fitted_constants"][1]["value"] == 380.0);
  CHECK(doc["fitted_constants"][1]["fitted_on"][0] == "megatron2021-1.7B");

  std::istringstream lines(csv.str());
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  CHECK(header ==
        "id,basis,reported,fit,no_fit_reason,predicted_published_layout,error,predicted_searched_"
        "layout,group,chip_family,precision,file");
  CHECK(first.size() > std::string(",in_sample,A100,bf16,two.toml").size());
  CHECK(first.substr(first.size() - std::string(",in_sample,A100,bf16,two.toml").size()) ==
        ",in_sample,A100,bf16,two.toml");
}

TEST_CASE("a tokens-basis case is scored on tokens per second per chip",
          "[training][validate][groups]") {
  std::string tokens = case_text("as-tokens");
  tokens.replace(tokens.find("reported_tflops_per_chip = 137"), 30,
                 "reported_tokens_per_s_per_chip = 9000");
  tokens.replace(tokens.find("\"megatron\""), 10, "\"tokens\"");
  const ValidationResult r = run_validation(
      load_validation_cases("t.toml", case_text("as-megatron") + tokens, test::builtin_catalog()),
      1);
  const ValidationRow& m = row(r, "as-megatron");
  const ValidationRow& t = row(r, "as-tokens");
  REQUIRE(m.published.fit);
  REQUIRE(t.published.fit);
  CHECK(t.reported == Approx(9000).epsilon(1e-12));
  // Same run, two bases: Megatron's count per token, 96 l h^2 (1 + s/6h + V/16lh)
  // (Narayanan et al. 2021, eq. 3, over B s tokens), links TFLOP/s and tokens/s.
  const double l = 24, h = 2304, s = 2048, v = 51200;
  const double flop_per_token = 96 * l * h * h * (1 + s / (6 * h) + v / (16 * l * h));
  CHECK(m.published.predicted * 1e12 / t.published.predicted ==
        Approx(flop_per_token).epsilon(1e-9));
  CHECK(t.error_published == Approx(t.published.predicted / 9000 - 1).epsilon(1e-12));
  std::ostringstream table;
  report::write_validate_table(r, table);
  CHECK(table.str().find(" 9000 tok/s") != std::string::npos);
}

TEST_CASE("a reported basis other than megatron, model, model_tflops or tokens is an input error",
          "[training][validate][groups]") {
  std::string text = case_text("odd-basis");
  text.replace(text.find("\"megatron\""), 10, "\"hfu\"");
  const auto lines =
      test::error_lines([&] { load_validation_cases("b.toml", text, test::builtin_catalog()); });
  CHECK(lines ==
        std::vector<std::string>{
            "b.toml:10:1: case.reported_tflops_per_chip = 137: unknown key",
            "b.toml:11:18: case.reported_basis = \"hfu\": must be \"megatron\", \"model\", "
            "\"model_tflops\" or \"tokens\""});
}

// Issue 15 asks for an out-of-sample median within 10% and a worst case within
// 25%. The median is met (~7%: the TPU v5e / v5p rows run at the catalog's
// matmul efficiency); the worst is not (docs/validation-cases.md, "Accuracy"):
// Qwen3-235B at TP 4 / PP 8 on H100 is ~64% high and DeepSeek-V3 on GB200
// ~44% high, neither explained. These bounds only stop it getting worse, and
// the in-sample median must stay within the 6%. Tighten them as the
// model improves.
TEST_CASE("every default case is scored and the errors do not grow past today's bounds",
          "[training][validate][groups]") {
  const ValidationResult r =
      run_validation(load_validation_files(default_validation_files(), test::builtin_catalog()), 1);
  CHECK(r.cases_scored == r.rows.size());
  const ErrorSummary& in = slice(r.by_group, "in_sample");
  const ErrorSummary& out = slice(r.by_group, "out_of_sample");
  CHECK(out.cases >= 10);
  CHECK(in.median_abs_error <= 0.06);
  CHECK(out.median_abs_error <= 0.10);
  CHECK(r.worst_abs_error <= 0.65);
}
