// `validate` on cases files written here: a published layout the step model
// cannot run is reported as no fit, with the model's reason and figures, and
// is left out of the errors; a chip lacking a figure the model needs is an
// input error at load.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/report/validate_report.hpp"
#include "estimator/validate.hpp"
#include "tests/cli/process.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

// Megatron 2021's 1.7B row (Table 1) on `chips` A100s with the given layout.
std::string small_case(const std::string& id, int chips, int tp, int pp, int scaleup_domain = 8) {
  return "[[case]]\nid = \"" + id +
         "\"\nsource = \"test\"\nchip = \"nvidia_a100_sxm_80gb\"\nscaleup_domain = " +
         std::to_string(scaleup_domain) +
         "\nscaleout_gbps = 200\nchips = " + std::to_string(chips) +
         "\ntp = " + std::to_string(tp) + "\npp = " + std::to_string(pp) +
         "\nreported_tflops_per_chip = 137\nreported_basis = \"megatron\"\nrecompute = \"full\"\n"
         "[case.workload]\nlayers = 24\nhidden = 2304\nheads = 24\nffn = 9216\nseq_len = 2048\n"
         "vocab = 51200\nglobal_batch_tokens = 1048576\n\n";
}

// GPT-3 175B on one 8-GPU node: its weights alone need 350 GB per chip.
std::string gpt3_on_one_node() {
  return "[[case]]\nid = \"gpt3-one-node\"\nsource = \"test\"\nchip = \"nvidia_a100_sxm_80gb\"\n"
         "scaleup_domain = 8\nscaleout_gbps = 200\nchips = 8\ntp = 8\npp = 1\nreported_mfu = 0.4\n"
         "reported_basis = \"model\"\n[case.workload]\nlayers = 96\nhidden = 12288\nheads = 96\n"
         "ffn = 49152\nseq_len = 2048\nvocab = 51200\nglobal_batch_tokens = 3145728\n\n";
}

ValidationResult run(const std::string& text) {
  return run_validation(load_validation_cases("cases.toml", text, test::builtin_catalog()), 1);
}

const ValidationRow& row(const ValidationResult& r, const std::string& id) {
  const auto it = std::find_if(r.rows.begin(), r.rows.end(),
                               [&](const ValidationRow& x) { return x.id == id; });
  REQUIRE(it != r.rows.end());
  return *it;
}

std::filesystem::path temp_dir() {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("clustercap_validate_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::FILE* f = std::fopen(path.string().c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

// Two chips that lack figures the step model needs.
const char* kIncompleteChips = R"([[chip]]
id = "test_fp8_only"
name = "FP8-only accelerator"
fp8_tflops = 1000
hbm_gb = 80
hbm_bw_tbs = 3
sources = ["test"]
estimated = []
datacenter = true

[[chip]]
id = "test_no_memory"
name = "Accelerator without memory figures"
bf16_tflops = 500
sources = ["test"]
estimated = []
datacenter = true
)";

}  // namespace

TEST_CASE("a published TP beyond the scale-up domain is no fit, with both figures",
          "[training][validate]") {
  const ValidationResult r = run(small_case("tp-over-domain", 32, 8, 1, 4));
  const ValidationRow& x = row(r, "tp-over-domain");
  CHECK_FALSE(x.published.fit);
  CHECK(x.published.no_fit.problem == LayoutProblem::tp_over_scaleup_domain);
  CHECK(report::layout_problem_text(x.published.no_fit) ==
        "tp 8 exceeds the scale-up domain of 4 chips");
  // The search keeps TP within the domain and finds a layout.
  CHECK(x.searched.fit);
  CHECK(x.searched.layout.tp <= 4);
}

TEST_CASE("a published DP that does not divide the global batch is no fit",
          "[training][validate]") {
  // 24 chips at TP 1, PP 1: DP 24; 1,048,576 tokens / 2,048 = 512 sequences.
  const ValidationResult r = run(small_case("dp-24", 24, 1, 1));
  const ValidationRow& x = row(r, "dp-24");
  CHECK_FALSE(x.published.fit);
  CHECK(report::layout_problem_text(x.published.no_fit) ==
        "dp x microbatch = 24 does not divide the global batch of 512 sequences");
}

TEST_CASE("a published TP x CP x PP that does not divide the chips is no fit",
          "[training][validate]") {
  const ValidationResult r = run(small_case("chips-100", 100, 8, 1));
  CHECK(report::layout_problem_text(row(r, "chips-100").published.no_fit) ==
        "tp x cp x pp = 8 does not divide the cluster's 100 chips");
}

TEST_CASE("a published layout that does not fit in memory reports the smallest need and the HBM",
          "[training][validate]") {
  const ValidationResult r = run(gpt3_on_one_node());
  const ValidationRow& x = row(r, "gpt3-one-node");
  REQUIRE_FALSE(x.published.fit);
  REQUIRE(x.published.no_fit.problem == LayoutProblem::memory);
  // Mixed-precision Adam keeps 16 bytes per parameter; GPT-3's ~175B
  // parameters over TP 8 are ~350 GB per chip before activations, against 80 GB.
  const auto cases =
      load_validation_cases("cases.toml", gpt3_on_one_node(), test::builtin_catalog());
  const double params = cases.front().workload.params;
  CHECK(params == Approx(175e9).epsilon(0.01));
  CHECK(x.published.no_fit.value > params * 16 / 8);
  CHECK(x.published.no_fit.limit == Approx(80e9));
  // The smallest need over the layouts tried: one sequence per microbatch,
  // full recompute.
  Layout least;
  least.tp = 8;
  least.dp = 1;
  least.recompute = Recompute::full;
  CHECK(x.published.no_fit.value ==
        Approx(memory_per_chip(cases.front().workload, least)).epsilon(1e-12));
  // No layout of 8 chips holds it either.
  CHECK_FALSE(x.searched.fit);
  CHECK(x.searched.no_fit.problem == LayoutProblem::memory);
  CHECK(x.searched.no_fit.value >= params * 16 / 8);
}

TEST_CASE("the step model's reasons read with their figures", "[training][validate][report]") {
  using P = LayoutProblem;
  const std::vector<std::pair<LayoutCheck, std::string>> expected = {
      {{P::tp_over_scaleup_domain, 16, 8}, "tp 16 exceeds the scale-up domain of 8 chips"},
      {{P::tp_not_dividing_heads, 16, 24}, "tp 16 does not divide the 24 attention heads"},
      {{P::pp_over_layers, 64, 48}, "pp 64 exceeds the 48 layers"},
      {{P::cp_not_dividing_seq_len, 3, 8192}, "cp 3 does not divide seq_len 8192"},
      {{P::chips_not_divided, 48, 1000000},
       "tp x cp x pp = 48 does not divide the cluster's 1000000 chips"},
      {{P::chips_mismatch, 96, 128}, "tp x cp x pp x dp = 96 is not the cluster's 128 chips"},
      {{P::batch_not_divided, 48, 1000.5},
       "dp x microbatch = 48 does not divide the global batch of 1000.5 sequences"},
      {{P::interleave_not_dividing_stage, 4, 6},
       "interleave 4 does not divide the 6 layers of a pipeline stage"},
      {{P::interleave_without_pipeline, 2, 1}, "interleave 2 needs pp > 1"},
      {{P::microbatches_not_multiple_of_pp, 6, 4},
       "interleaving needs the 6 microbatches to be a multiple of pp 4"},
      {{P::ep_not_dividing_ranks, 16, 8},
       "ep x etp = 16 does not divide the 8 tp x cp x dp ranks of a pipeline stage"},
      {{P::ep_not_dividing_experts, 8, 12}, "ep 8 does not divide the 12 experts"},
      {{P::memory, 95.3e9, 80e9}, "needs 95.3 GB of memory per chip; the chip has 80 GB"},
      // Digits enough to tell a need just above the HBM from it.
      {{P::memory, 80.04e9, 80e9}, "needs 80.04 GB of memory per chip; the chip has 80 GB"},
  };
  for (const auto& [check, text] : expected) CHECK(report::layout_problem_text(check) == text);
}

TEST_CASE("cases that cannot run are left out of the median and worst error",
          "[training][validate]") {
  const ValidationResult r =
      run(small_case("fits-a", 32, 1, 1) + small_case("tp-over-domain", 32, 8, 1, 4) +
          small_case("fits-b", 64, 2, 1) + gpt3_on_one_node() + small_case("dp-24", 24, 1, 1));
  REQUIRE(r.rows.size() == 5);
  CHECK(r.cases_scored == 2);
  const double a = std::fabs(row(r, "fits-a").published.predicted / 137 - 1);
  const double b = std::fabs(row(r, "fits-b").published.predicted / 137 - 1);
  REQUIRE(row(r, "fits-a").published.fit);
  REQUIRE(row(r, "fits-b").published.fit);
  // Both errors are well away from 0: counting the no-fit cases as 0% would
  // pull the median to 0.
  CHECK(std::min(a, b) > 0.01);
  CHECK(r.median_abs_error == Approx((a + b) / 2).epsilon(1e-12));
  CHECK(r.worst_abs_error == Approx(std::max(a, b)).epsilon(1e-12));
}

TEST_CASE("a case that cannot run prints no fit in the table, JSON and CSV",
          "[training][validate][report]") {
  const ValidationResult r =
      run(small_case("fits-a", 32, 1, 1) + small_case("tp-over-domain", 32, 8, 1, 4));
  std::ostringstream table, json, csv;
  report::write_validate_table(r, table);
  report::write_validate_json(r, json);
  report::write_validate_csv(r, csv);
  CHECK(table.str().find("  no fit: tp 8 exceeds the scale-up domain of 4 chips") !=
        std::string::npos);
  CHECK(table.str().find("(published layouts); scored 1 of 2 cases; ") != std::string::npos);
  CHECK(table.str().find("tp1 pp1 dp1 ") == std::string::npos);  // no made-up layout

  const auto doc = nlohmann::json::parse(json.str());
  CHECK(doc["schema"] == "clustercap.validate.v3");
  CHECK(doc["cases"] == 2);
  CHECK(doc["cases_scored"] == 1);
  const auto& bad = doc["runs"][1];
  CHECK(bad["id"] == "tp-over-domain");
  CHECK(bad["fit"] == false);
  CHECK(bad["no_fit_reason"] == "tp 8 exceeds the scale-up domain of 4 chips");
  CHECK(bad["predicted_published_layout"].is_null());
  CHECK(bad["error"].is_null());
  CHECK(bad["layout_published"].is_null());
  CHECK(bad["searched_fit"] == true);
  CHECK(doc["runs"][0]["fit"] == true);
  CHECK(doc["runs"][0]["no_fit_reason"].is_null());

  std::istringstream lines(csv.str());
  std::string header, first, second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  CHECK(header ==
        "id,basis,reported,fit,no_fit_reason,predicted_published_layout,error,predicted_searched_"
        "layout,group,chip_family,precision,file");
  CHECK(first.rfind("fits-a,megatron,137,true,,", 0) == 0);
  CHECK(second.rfind(
            "tp-over-domain,megatron,137,false,tp 8 exceeds the scale-up domain of 4 chips,,,",
            0) == 0);
}

TEST_CASE("no case scored says so instead of a 0% median", "[training][validate][report]") {
  const ValidationResult r = run(gpt3_on_one_node());
  CHECK(r.cases_scored == 0);
  std::ostringstream table, json;
  report::write_validate_table(r, table);
  report::write_validate_json(r, json);
  CHECK(table.str().find("no case scored: no published layout fits; scored 0 of 1 cases; ") !=
        std::string::npos);
  CHECK(table.str().find("median") == std::string::npos);
  const auto doc = nlohmann::json::parse(json.str());
  CHECK(doc["median_abs_error"].is_null());
  CHECK(doc["worst_abs_error"].is_null());
}

TEST_CASE("a case whose chip lacks a figure the step model needs is an input error at load",
          "[training][validate]") {
  std::vector<TextSource> sources = builtin_catalog_sources();
  sources.push_back({"extra.toml", kIncompleteChips});
  const Catalog catalog = load_catalog(sources);
  std::string text = small_case("fp8-only", 32, 1, 1) + small_case("no-memory", 32, 1, 1);
  // Lines 4 and 25 hold each case's chip.
  const auto at = text.find("nvidia_a100_sxm_80gb");
  text.replace(at, 20, "test_fp8_only");
  text.replace(text.find("nvidia_a100_sxm_80gb"), 20, "test_no_memory");
  const auto lines = test::error_lines([&] { load_validation_cases("cases.toml", text, catalog); });
  CHECK(lines ==
        std::vector<std::string>{
            "cases.toml:4:8: case.chip = \"test_fp8_only\": has no dense bf16 peak in the catalog",
            "cases.toml:25:8: case.chip = \"test_no_memory\": has no hbm_gb in the catalog",
            "cases.toml:25:8: case.chip = \"test_no_memory\": has no hbm_bw_tbs in the catalog"});
}

TEST_CASE("validate exits 2 listing every chip that lacks a figure", "[training][validate][cli]") {
  const auto dir = temp_dir();
  write(dir / "extra.toml", kIncompleteChips);
  std::string text = small_case("fp8-only", 32, 1, 1) + small_case("no-memory", 32, 1, 1);
  text.replace(text.find("nvidia_a100_sxm_80gb"), 20, "test_fp8_only");
  text.replace(text.find("nvidia_a100_sxm_80gb"), 20, "test_no_memory");
  write(dir / "cases.toml", text);
  const auto r = test::run_process(
      CLUSTERCAP_BINARY, {"validate", "cases.toml", "--hardware", "extra.toml"}, dir.string());
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err ==
        "cases.toml:4:8: case.chip = \"test_fp8_only\": has no dense bf16 peak in the catalog\n"
        "cases.toml:25:8: case.chip = \"test_no_memory\": has no hbm_gb in the catalog\n"
        "cases.toml:25:8: case.chip = \"test_no_memory\": has no hbm_bw_tbs in the catalog\n"
        "clustercap: 3 input errors; nothing was written\n");
}

TEST_CASE("validate with a layout that cannot run exits 0 and says no fit",
          "[training][validate][cli]") {
  const auto dir = temp_dir();
  write(dir / "one.toml",
        small_case("fits-a", 32, 1, 1) + small_case("tp-over-domain", 32, 8, 1, 4));
  const auto r = test::run_process(CLUSTERCAP_BINARY, {"validate", "one.toml"}, dir.string());
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("no fit: tp 8 exceeds the scale-up domain of 4 chips") != std::string::npos);
  CHECK(r.out.find("scored 1 of 2 cases") != std::string::npos);
}

TEST_CASE("validate takes several files and an error names the file it is in",
          "[training][validate][groups][cli]") {
  const auto dir = temp_dir();
  write(dir / "a.toml", small_case("first", 32, 1, 1));
  write(dir / "b.toml", small_case("second", 32, 1, 1));
  const auto ok =
      test::run_process(CLUSTERCAP_BINARY, {"validate", "a.toml", "b.toml"}, dir.string());
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("scored 2 of 2 cases") != std::string::npos);

  write(dir / "c.toml", small_case("first", 32, 1, 1));
  const auto repeated =
      test::run_process(CLUSTERCAP_BINARY, {"validate", "a.toml", "c.toml"}, dir.string());
  CHECK(repeated.exit_code == 2);
  CHECK(repeated.out.empty());
  CHECK(repeated.err ==
        "c.toml:2:6: case.id = \"first\": repeats a case id already in a.toml\n"
        "clustercap: 1 input error; nothing was written\n");
}

TEST_CASE("a torus of one dimension is an input error", "[training][validate][torus]") {
  std::string text = small_case("ring", 32, 1, 1);
  text.insert(text.find("scaleup_domain"), "scaleup_torus_dims = 1\n");
  const auto lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines == std::vector<std::string>{"cases.toml:5:22: case.scaleup_torus_dims = 1: must be 0 "
                                          "(switched), 2 or 3"});
  // 3 is read into the machine.
  text.replace(text.find("scaleup_torus_dims = 1"), 22, "scaleup_torus_dims = 3");
  const auto cases = load_validation_cases("cases.toml", text, test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].machine.scaleup_torus_dims == 3);
}

// Megatron 2021's 1.7B row on 32 A100s (DP 32: 512 sequences, 16 a rank)
// with `line` among its [[case]] keys (before [case.workload]).
namespace {
std::string with(const std::string& line) {
  std::string text = small_case("pinned", 32, 1, 1);
  text.insert(text.find("[case.workload]"), line);
  return text;
}
}  // namespace

TEST_CASE("a case's microbatch (or mbs) pins the published layout's micro-batch size",
          "[training][validate]") {
  for (const char* line : {"microbatch = 4\n", "mbs = 4\n"}) {
    const auto cases = load_validation_cases("cases.toml", with(line), test::builtin_catalog());
    REQUIRE(cases.size() == 1);
    REQUIRE(cases[0].fixed.microbatch);
    CHECK(*cases[0].fixed.microbatch == 4);
    const ValidationResult r = run_validation(cases, 1);
    REQUIRE(r.rows[0].published.fit);
    CHECK(r.rows[0].microbatch_pinned);
    CHECK(r.rows[0].published.layout.microbatch == 4);
  }
  // Unpinned, the search picks it and the table marks it "*"; pinned, no mark.
  std::ostringstream searched, pinned;
  report::write_validate_table(run(small_case("pinned", 32, 1, 1)), searched);
  report::write_validate_table(run(with("microbatch = 4\n")), pinned);
  CHECK(searched.str().find("dp32 mb1* full z1") != std::string::npos);
  CHECK(pinned.str().find("dp32 mb4 full z1") != std::string::npos);
  // JSON says which: the run's microbatch_pinned.
  std::ostringstream json;
  report::write_validate_json(run(with("microbatch = 4\n")), json);
  CHECK(nlohmann::json::parse(json.str())["runs"][0]["microbatch_pinned"] == true);
  CHECK(pinned.str().find("mb*: the published layout's microbatch as searched (the case does not "
                          "pin it); v and rc are searched unless the case pins them\n") !=
        std::string::npos);
}

TEST_CASE("a microbatch that does not divide a rank's sequences, or given twice, is an input error",
          "[training][validate]") {
  // 1,048,576 / 2,048 = 512 sequences over DP 32: 16 a rank.
  auto lines = test::error_lines([&] {
    load_validation_cases("cases.toml", with("microbatch = 3\n"), test::builtin_catalog());
  });
  CHECK(lines == std::vector<std::string>{"cases.toml:13:14: case.microbatch = 3: must divide the "
                                          "sequences per data-parallel rank (16)"});
  lines = test::error_lines([] {
    load_validation_cases("cases.toml", with("microbatch = 2\nmbs = 2\n"), test::builtin_catalog());
  });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:14:7: case.mbs = 2: repeats microbatch: give one of them"});
}

TEST_CASE("a case's pipeline_split is layers or embedding_loss", "[training][validate]") {
  std::string text = small_case("split", 32, 1, 2);
  text.insert(text.find("scaleup_domain"), "pipeline_split = \"embedding_loss\"\n");
  const auto cases = load_validation_cases("cases.toml", text, test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].workload.pipeline_split == PipelineSplit::embedding_loss);
  // 24 layers + 2 places on 2 ranks: 13 each, 12 layers beside the
  // embedding on the first and 12 beside the loss on the last.
  CHECK(stage_layers(cases[0].workload, 2).fullest == 12);
  CHECK(stage_layers(cases[0].workload, 2).last == 12);
  CHECK(load_validation_cases("cases.toml", small_case("split", 32, 1, 2), test::builtin_catalog())
            .front()
            .workload.pipeline_split == PipelineSplit::layers);
  text.replace(text.find("\"embedding_loss\""), 16, "\"even\"");
  const auto lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines ==
        std::vector<std::string>{"cases.toml:5:18: case.pipeline_split = \"even\": must be "
                                 "layers or embedding_loss"});
}

TEST_CASE("a case's BF16 edge layers need a low-precision run and fit in the layers",
          "[training][validate][precision]") {
  std::string text = small_case("edges", 32, 1, 1);
  text.insert(text.find("scaleup_domain"), "bf16_layers_at_end = 4\n");
  auto lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:5:22: case.bf16_layers_at_end = 4: needs precision = \"fp8\" or "
                     "\"fp4\" (a BF16 run has no low-precision layers)"});
  text.insert(text.find("scaleup_domain"), "precision = \"fp8\"\nbf16_layers_at_start = 21\n");
  text.replace(text.find("nvidia_a100_sxm_80gb"), 20, "nvidia_h100_sxm");
  lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines == std::vector<std::string>{
                     "cases.toml:5:22: case.bf16_layers_at_end = 4: bf16_layers_at_start + "
                     "bf16_layers_at_end must not exceed the layers (24)"});
  text.replace(text.find("bf16_layers_at_start = 21"), 25, "bf16_layers_at_start = 1");
  const auto cases = load_validation_cases("cases.toml", text, test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].workload.bf16_layers_at_start == 1);
  CHECK(cases[0].workload.bf16_layers_at_end == 4);
}
