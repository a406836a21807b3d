// The one CSV writer (estimator/report/csv_writer.hpp) and the CSV shapes
// that changed with it: the sweep summary in long format with grid
// coordinates as columns, and --samples-out's binding constraint by name.
// Expected text is written out by hand from schemas/README.md.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/sweep_report.hpp"
#include "hardware/common/input_error.hpp"

using namespace clustercap;

TEST_CASE("the CSV writer writes the header then rows, quoting fields by RFC 4180",
          "[report][csv]") {
  std::ostringstream out;
  report::CsvWriter csv(out, {"name", "note"});
  csv.row({"a,b", "say \"hi\""});
  csv.row({"line\nbreak", ""});
  CHECK(out.str() ==
        "name,note\n"
        "\"a,b\",\"say \"\"hi\"\"\"\n"
        "\"line\nbreak\",\n");
}

TEST_CASE("the CSV writer refuses a row whose length differs from the header's", "[report][csv]") {
  std::ostringstream out;
  report::CsvWriter csv(out, {"a", "b"});
  CHECK_THROWS_MATCHES(csv.row({"1"}), RuntimeFailure,
                       Catch::Message("internal: CSV row of 1 fields under a header of 2"));
  CHECK_THROWS_MATCHES(csv.row({"1", "2", "3"}), RuntimeFailure,
                       Catch::Message("internal: CSV row of 3 fields under a header of 2"));
  CHECK(out.str() == "a,b\n");
}

namespace {

// Two grid points of one actor: chips summarised, binding shares, one
// reference, one tornado bar, one rank coefficient, the median cluster.
sweep::SweepResult two_point_sweep() {
  sweep::SweepResult r;
  for (double power_mw : {100.0, 300.0}) {
    sweep::GridPoint p;
    p.settings = {{"actor[0].site[0].power_mw", power_mw}};
    sweep::ActorSweep a;
    a.name = "Lab \"A\"";
    sweep::MedianCluster m;
    m.chip_id = "nvidia_h100_sxm";
    m.system_label = "HGX H100";
    m.site = "north, 2";
    m.chips = 1024;
    m.binding = model::Constraint::power;
    m.sustained_flops = 4e17;
    m.train_flop = 1e24;
    m.mfu = 0.4;
    a.at_medians = m;
    sweep::MetricSummary chips;
    chips.name = "chips";
    chips.mean = 1000;
    chips.sd = 10;
    chips.min = 900;
    chips.max = 1100;
    chips.quantiles = {950, 960, 980, 1000, 1020, 1040, 1050};
    a.metrics.push_back(chips);
    a.binding_share = {0.25, 0.75, 0, 0};
    a.p_exceeds = {{"ref_a", 0.4}};
    a.tornado.push_back({"actor[0].site[0].pue", 1.1, 1.4, 5e17, 3e17, 2e17});
    a.srrc.push_back({"actor[0].site[0].pue", -0.9});
    a.srrc_r2 = 0.81;
    p.actors.push_back(a);
    r.points.push_back(p);
  }
  return r;
}

}  // namespace

TEST_CASE("the sweep CSV has one row per statistic with grid coordinates as columns",
          "[report][csv][sweep]") {
  std::ostringstream out;
  report::write_sweep_csv(two_point_sweep(), out);
  const std::string text = out.str();
  const std::string prefix0 = "0,,100,\"Lab \"\"A\"\"\",";
  const std::string prefix1 = "1,,300,\"Lab \"\"A\"\"\",";
  CHECK(text.rfind(
            "point,sources,actor[0].site[0].power_mw,actor,kind,subject,statistic,value,text\n",
            0) == 0);
  for (const std::string& line : {
           prefix0 + "at_medians,chip,value,,nvidia_h100_sxm\n",
           prefix0 + "at_medians,site,value,,\"north, 2\"\n",
           prefix0 + "at_medians,chips,value,1024,\n",
           prefix0 + "at_medians,binding_constraint,value,,power\n",
           prefix0 + "metrics,chips,mean,1000,\n",
           prefix0 + "metrics,chips,sd,10,\n",
           prefix0 + "metrics,chips,p5,950,\n",
           prefix0 + "metrics,chips,p95,1050,\n",
           prefix0 + "binding_share,chips,share,0.25,\n",
           prefix0 + "binding_share,power,share,0.75,\n",
           prefix0 + "binding_share,budget,share,0,\n",
           prefix1 + "p_exceeds_reference,ref_a,probability,0.4,\n",
           prefix1 + "tornado,actor[0].site[0].pue,value_p10,1.1,\n",
           prefix1 + "tornado,actor[0].site[0].pue,sustained_flops_at_p90,3e+17,\n",
           prefix1 + "tornado,actor[0].site[0].pue,swing,2e+17,\n",
           prefix1 + "srrc,actor[0].site[0].pue,srrc,-0.9,\n",
           prefix1 + "srrc_r2,,r2,0.81,\n",
       }) {
    CHECK(text.find(line) != std::string::npos);
  }
  // 10 at-the-medians fields, 11 statistics of one metric, 5 binding
  // shares, 1 reference, 5 tornado figures, 1 coefficient, R^2: 34 per
  // actor and point, under one header.
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  CHECK(lines == 1 + 2 * 34);
}

TEST_CASE("sweep --samples-out writes the binding constraint by its name in the limits table",
          "[report][csv][sweep]") {
  sweep::SweepResult r;
  r.row_columns = {"sample", "actor[0].site[0].pue", "A, 1:chips", "A, 1:binding_constraint"};
  r.rows = {{0, 1.25, 4096, 1}, {1, 1.5, 2048, 3}, {2, 1.1, 512, 0}, {3, 1.2, 64, 2}};
  std::ostringstream out;
  report::write_sweep_rows_csv(r, out);
  CHECK(out.str() ==
        "sample,actor[0].site[0].pue,\"A, 1:chips\",\"A, 1:binding_constraint\"\n"
        "0,1.25,4096,power\n"
        "1,1.5,2048,budget\n"
        "2,1.1,512,chips\n"
        "3,1.2,64,network\n");
  r.rows = {{0, 1.25, 4096, 5}};
  std::ostringstream bad;
  CHECK_THROWS_MATCHES(
      report::write_sweep_rows_csv(r, bad), RuntimeFailure,
      Catch::Message("internal: A, 1:binding_constraint = 5: not an index into the limits table"));
}
