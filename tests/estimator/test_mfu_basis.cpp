// The MFU basis: a file's reason for its own mfu (mfu_basis), and timeline
// and sweep naming the basis as estimate does.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/sweep_report.hpp"
#include "estimator/report/timeline_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "estimator/timeline.hpp"
#include "tests/support.hpp"

using namespace clustercap;
namespace fs = std::filesystem;

namespace {

const char* kLab = R"([scenario]
name = "lab"

[training]
duration_days = 90
mfu = 0.40
mfu_basis = "Llama 3 paper: 38-43% on 16K H100"

[[actor]]
name = "lab"

[[actor.site]]
name = "dc"
power_mw = 100
pue = 1.2

[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 16384
mfu = 0.38
mfu_basis = "measured on our own 16K run"

[[actor.inventory]]
chip = "nvidia_a100_sxm_80gb"
count = 4096
)";

Scenario load(const std::string& text) {
  return load_scenario_text("s.toml", text, test::builtin_catalog());
}

std::vector<std::string> errors_for(const std::string& text) {
  return test::error_lines([&] { load(text); });
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

Scenario shipped(const char* name) {
  return load_scenario_file((fs::path(CLUSTERCAP_SOURCE_DIR) / "configs" / name).string(),
                            test::builtin_catalog());
}

}  // namespace

TEST_CASE("an override's mfu_basis is printed after the key it explains", "[estimator][mfu]") {
  const EstimateResult r = estimate(load(kLab), test::builtin_catalog());
  const ActorResult& a = r.actors[0];
  REQUIRE(a.cluster.chip_id == "nvidia_h100_sxm");
  CHECK(report::describe_mfu_basis(a.cluster.mfu_basis) ==
        "scenario actor.inventory.mfu: measured on our own 16K run");
  const auto a100 = std::find_if(a.candidates.begin(), a.candidates.end(),
                                 [](const auto& c) { return c.chip_id == "nvidia_a100_sxm_80gb"; });
  REQUIRE(a100 != a.candidates.end());
  CHECK(report::describe_mfu_basis(a100->mfu_basis) ==
        "scenario training.mfu: Llama 3 paper: 38-43% on 16K H100");
  CHECK(report::estimate_to_json(r)["actors"][0]["cluster"]["mfu_basis"] ==
        "scenario actor.inventory.mfu: measured on our own 16K run");
}

TEST_CASE("mfu_basis needs an mfu beside it and some text", "[estimator][mfu][scenario]") {
  CHECK(errors_for(replaced(kLab, "mfu = 0.38\n", "")) ==
        std::vector<std::string>{
            "s.toml:20:13: actor.inventory.mfu_basis = \"measured on our own 16K run\": explains "
            "an mfu, but this table sets none; add mfu or remove it"});
  CHECK(errors_for(replaced(kLab, "mfu = 0.40\n", "")) ==
        std::vector<std::string>{
            "s.toml:6:13: training.mfu_basis = \"Llama 3 paper: 38-43% on 16K H100\": explains "
            "an mfu, but this table sets none; add mfu or remove it"});
  CHECK(errors_for(replaced(kLab, "\"measured on our own 16K run\"", "\" \"")) ==
        std::vector<std::string>{"s.toml:21:13: actor.inventory.mfu_basis = \" \": must say why "
                                 "this mfu is used (a source or a measured run)"});
}

TEST_CASE("mfu_basis has words for a table column", "[estimator][mfu]") {
  MfuBasis b;
  CHECK(report::mfu_basis_label(b) == "catalog prior");
  b.source = MfuSource::inventory_line;
  CHECK(report::mfu_basis_label(b) == "file, line");
  b.source = MfuSource::training;
  CHECK(report::mfu_basis_label(b) == "file, training");
  b.source = MfuSource::prior;
  b.step_model = true;
  CHECK(report::mfu_basis_label(b) == "prior, no fit");
  b.prediction.predicted = true;
  CHECK(report::mfu_basis_label(b) == "step model");
}

TEST_CASE("a timeline names each month's MFU and its basis", "[estimator][mfu][timeline]") {
  const Scenario s = shipped("us-frontier-2026.toml");
  const TimelineResult t = run_timeline(s, test::builtin_catalog());
  const TimelineMonth& last = t.actors[0].months.back();
  const std::string basis = report::describe_mfu_basis(last.cluster.mfu_basis);
  REQUIRE(basis.rfind("step-model fixed point (", 0) == 0);
  std::ostringstream table, json_text, csv;
  report::write_timeline_table(t, table);
  report::write_timeline_json(t, json_text);
  report::write_timeline_csv(t, csv);
  CHECK_THAT(table.str(), Catch::Matchers::Contains("MFU  MFU basis"));
  CHECK_THAT(table.str(), Catch::Matchers::Contains(" step model "));
  CHECK_THAT(table.str(),
             Catch::Matchers::Contains("  MFU basis in " + supply::month_text(last.month) +
                                       " (each month's: --format json or csv): " + basis + "\n"));
  const auto doc = nlohmann::json::parse(json_text.str());
  CHECK(doc["actors"][0]["months"].back()["cluster"]["mfu_basis"] == basis);
  CHECK(doc["actors"][0]["months"].back()["cluster"]["mfu"].get<double>() ==
        Approx(last.cluster.mfu));
  CHECK_THAT(csv.str(), Catch::Matchers::Contains(",sustained_flops,mfu,mfu_basis,"));
  CHECK_THAT(csv.str(), Catch::Matchers::Contains(",\"" + basis + "\","));
}

TEST_CASE("a sweep names the cluster and MFU basis at its medians", "[estimator][mfu][sweep]") {
  const Scenario s = load(kLab);
  sweep::SweepOptions options;
  options.samples = 8;
  const sweep::SweepResult r = sweep::run_sweep(s, test::builtin_catalog(), options);
  std::ostringstream table, json_text;
  report::write_sweep_table(r, table);
  report::write_sweep_json(r, json_text);
  // 100 MW at PUE 1.2 over an HGX H100's 10.2 kW for 8 chips: the power
  // allows ~65k H100, so all 16,384 held are used.
  CHECK_THAT(table.str(),
             Catch::Matchers::Contains(
                 "  at the medians: 16,384 x nvidia_h100_sxm in nvidia_hgx_dgx_h100 at site "
                 "\"dc\", chips-bound, "));
  CHECK_THAT(table.str(),
             Catch::Matchers::Contains(" FLOP/s, MFU 0.38\n  MFU basis at the medians: scenario "
                                       "actor.inventory.mfu: measured on our own 16K run\n"));
  const auto doc = nlohmann::json::parse(json_text.str());
  const auto& m = doc["points"][0]["actors"][0]["at_medians"];
  CHECK(m["chip"] == "nvidia_h100_sxm");
  CHECK(m["chips"] == 16384);
  CHECK(m["mfu"].get<double>() == Approx(0.38));
  CHECK(m["mfu_basis"] == "scenario actor.inventory.mfu: measured on our own 16K run");
}

TEST_CASE("a sweep grid point that resizes a step-model cluster gives estimate's MFU there",
          "[estimator][mfu][sweep][one-answer]") {
  // The MFU table's exact nodes were the file's own sizes: at a grid point
  // with half the site power the look-up interpolated between fixed points
  // and drifted from what `estimate` says for that site.
  const Scenario s = shipped("gb200-nvl72-100mw.toml");
  Scenario gridded = s;
  sweep::GridAxis axis;
  axis.key = "actor[0].site[0].power_mw";
  axis.values = {50};
  gridded.sweep.grid = {axis};
  Scenario halved = s;
  halved.actors[0].sites[0].power_w = 50e6;
  const ActorResult e = estimate(halved, test::builtin_catalog()).actors[0];
  REQUIRE(e.cluster.mfu_basis.step_model);
  REQUIRE(e.cluster.binding == model::Constraint::power);
  sweep::SweepOptions options;
  options.samples = 8;
  const sweep::SweepResult r = sweep::run_sweep(gridded, test::builtin_catalog(), options);
  const sweep::MedianCluster& m = *r.points.at(0).actors.at(0).at_medians;
  CHECK(m.chips == Approx(e.cluster.chips).epsilon(0));
  CHECK_THAT(m.mfu, Catch::Matchers::WithinRel(e.cluster.mfu, 1e-12));
  CHECK_THAT(m.sustained_flops, Catch::Matchers::WithinRel(e.cluster.sustained_flops, 1e-12));
  CHECK(report::describe_mfu_basis(m.mfu_basis) == report::describe_mfu_basis(e.cluster.mfu_basis));
}
