// Names from input files on their way out (estimator/report/text_format.hpp):
// RFC 4180 CSV fields in every CSV reporter, control characters written out
// in every table reporter.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/sweep_report.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/timeline_report.hpp"
#include "estimator/report/timeline_sweep_report.hpp"

using namespace clustercap;
using report::csv_field;
using report::terminal_text;

namespace {

// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> csv_records(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record(1);
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        record.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        record.back() += c;
      }
    } else if (c == '"') {
      REQUIRE(record.back().empty());  // a quote only opens a field
      quoted = true;
    } else if (c == ',') {
      record.emplace_back();
    } else if (c == '\n') {
      records.push_back(record);
      record.assign(1, "");
    } else {
      REQUIRE(c != '\r');
      record.back() += c;
    }
  }
  REQUIRE_FALSE(quoted);
  return records;
}

// A name with everything CSV and terminals care about.
const std::string kNasty = "Lab \"A\", unit\r\n2\x1b[2J";

}  // namespace

TEST_CASE("a CSV field is quoted when it holds a comma, quote, CR or LF, with quotes doubled",
          "[report][csv]") {
  CHECK(csv_field("plain name") == "plain name");
  CHECK(csv_field("") == "");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("line\nbreak") == "\"line\nbreak\"");
  CHECK(csv_field("cr\rhere") == "\"cr\rhere\"");
  CHECK(csv_field("\"") == "\"\"\"\"");
}

TEST_CASE("control characters in names are written out for terminals", "[report][table]") {
  CHECK(terminal_text("Zhangbei-class campus") == "Zhangbei-class campus");
  CHECK(terminal_text("\x1b[2J") == "\\x1b[2J");
  CHECK(terminal_text(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(terminal_text("tab\there\nnew\rcr\x7f") == "tab\\x09here\\x0anew\\x0dcr\\x7f");
  // UTF-8 passes through; C1 controls (U+0080..U+009F, e.g. CSI U+009B) do not.
  CHECK(terminal_text("Baden-W\xc3\xbcrttemberg \xe2\x80\x93 site") ==
        "Baden-W\xc3\xbcrttemberg \xe2\x80\x93 site");
  CHECK(terminal_text("x\xc2\x9b"
                      "2J") == "x\\u009b2J");
  CHECK(terminal_text("\xc2\xa0") == "\xc2\xa0");  // no-break space is not a control
}

TEST_CASE("the sweep CSVs quote names by RFC 4180", "[report][csv][sweep]") {
  sweep::SweepResult r;
  r.scenario_name = kNasty;
  sweep::GridPoint p;
  p.settings = {{"actor[0].site[0].power_mw", 100}};
  sweep::ActorSweep a;
  a.name = kNasty;
  sweep::MetricSummary m;
  m.name = "chips";
  m.mean = 5;
  a.metrics.push_back(m);
  p.actors.push_back(a);
  r.points.push_back(p);
  r.row_columns = {"sample", kNasty + ":chips"};
  r.rows = {{0, 5}};
  std::ostringstream summary, rows;
  report::write_sweep_csv(r, summary);
  report::write_sweep_rows_csv(r, rows);
  const auto s = csv_records(summary.str());
  // Header, 11 statistics of one metric, 5 binding shares, the R^2.
  REQUIRE(s.size() == 18);
  for (const auto& record : s) REQUIRE(record.size() == s[0].size());
  CHECK(s[0][3] == "actor");
  CHECK(s[1][3] == kNasty);
  const auto k = csv_records(rows.str());
  REQUIRE(k.size() == 2);
  CHECK(k[0] == std::vector<std::string>{"sample", kNasty + ":chips"});
}

TEST_CASE("the timeline CSV quotes names and joined production bindings by RFC 4180",
          "[report][csv][timeline]") {
  TimelineResult r;
  TimelineActor a;
  a.name = kNasty;
  TimelineMonth m;
  supply::Flow fab, hbm;
  fab.kind = hbm.kind = supply::SupplyKind::production;
  fab.binding = "wafers";
  hbm.binding = "hbm";  // two production lines: "wafers,hbm" is one cell
  m.flows = {fab, hbm};
  m.cluster.chip_id = "chip \"x\"";
  a.months.push_back(m);
  r.actors.push_back(a);
  std::ostringstream out;
  report::write_timeline_csv(r, out);
  const auto t = csv_records(out.str());
  REQUIRE(t.size() == 2);
  REQUIRE(t[1].size() == t[0].size());
  CHECK(t[1][0] == kNasty);
  CHECK(t[1][8] == "wafers,hbm");
  CHECK(t[1][9] == "chip \"x\"");
}

TEST_CASE("the estimate CSV quotes names by RFC 4180", "[report][csv][estimate]") {
  EstimateResult r;
  r.scenario_name = kNasty;
  ActorResult a;
  a.name = kNasty;
  a.cluster.chip_id = "chip,1";
  a.cluster.site = kNasty;
  a.cluster.mfu_basis.chip_id = "basis \"q\"";  // the basis names the chip
  r.actors.push_back(a);
  std::ostringstream out;
  report::write_estimate_csv(r, out);
  const auto e = csv_records(out.str());
  REQUIRE(e.size() == 2);
  REQUIRE(e[1].size() == e[0].size());
  CHECK(e[1][0] == kNasty);
  CHECK(e[1][1] == kNasty);
  CHECK(e[1][2] == "chip,1");
  CHECK(e[1][4] == kNasty);
}

TEST_CASE("table reporters write control characters in names out", "[report][table]") {
  const std::string escaped = "Lab \"A\", unit\\x0d\\x0a2\\x1b[2J";
  SECTION("estimate") {
    EstimateResult r;
    r.scenario_name = kNasty;
    r.medians_used = {{kNasty, 1.0}};
    ActorResult a;
    a.name = kNasty;
    a.warnings = {kNasty};
    a.cluster.chip_id = kNasty;
    a.cluster.system_label = kNasty;
    a.cluster.site = kNasty;
    a.cluster.mfu_basis.chip_id = kNasty;  // the bases name catalog ids
    a.cluster.system_power.source_id = kNasty;
    CandidateSummary c;
    c.chip_id = kNasty;
    c.site = kNasty;
    a.candidates = {c, c};
    r.actors.push_back(a);
    ReferenceResult ref;
    ref.id = kNasty;
    ref.mfu_basis.resize(2);
    ref.mfu_basis[0].chip_id = kNasty;
    ref.mfu_basis[1].chip_id = kNasty;
    r.references.push_back(ref);
    std::ostringstream out;
    report::write_estimate_table(r, out);
    CHECK(out.str().find('\x1b') == std::string::npos);
    CHECK(out.str().find('\r') == std::string::npos);
    CHECK(out.str().find("== " + escaped) != std::string::npos);
    CHECK(out.str().find("at site \"" + escaped + "\"") != std::string::npos);
  }
  SECTION("sweep") {
    sweep::SweepResult r;
    r.scenario_name = kNasty;
    sweep::GridPoint p;
    sweep::ActorSweep a;
    a.name = kNasty;
    a.p_exceeds = {{kNasty, 0.5}};
    a.tornado.push_back({kNasty, 1, 2, 3, 4, 1});
    a.srrc.push_back({kNasty, 0.5});
    p.actors.push_back(a);
    r.points.push_back(p);
    std::ostringstream out;
    report::write_sweep_table(r, out);
    CHECK(out.str().find('\x1b') == std::string::npos);
    CHECK(out.str().find('\r') == std::string::npos);
    CHECK(out.str().find("== " + escaped + " ==") != std::string::npos);
  }
  SECTION("timeline") {
    TimelineResult r;
    r.scenario_name = kNasty;
    TimelineActor a;
    a.name = kNasty;
    TimelineMonth m;
    m.cluster.chip_id = kNasty;
    supply::Flow f;
    f.supply = kNasty;
    f.note = kNasty;
    f.blocked = 1;
    f.binding = kNasty;
    f.kind = supply::SupplyKind::production;
    m.flows = {f};
    a.months.push_back(m);
    a.overtakes.push_back({kNasty, std::nullopt});
    a.cumulative_units = {{kNasty, 1.0}};
    r.actors.push_back(a);
    std::ostringstream out;
    report::write_timeline_table(r, out);
    CHECK(out.str().find('\x1b') == std::string::npos);
    CHECK(out.str().find('\r') == std::string::npos);
    CHECK(out.str().find("== " + escaped + " ==") != std::string::npos);
  }
}

TEST_CASE("sweep headers count uncertain inputs in the singular and the plural",
          "[estimator][report]") {
  sweep::SweepResult r;
  r.inputs = {"a", "b"};
  r.fixed_inputs = 1;
  std::ostringstream one;
  report::write_sweep_table(r, one);
  CHECK_THAT(one.str(), Catch::Contains("; 1 uncertain input (and 1 fixed"));
  r.fixed_inputs = 0;
  std::ostringstream two;
  report::write_sweep_table(r, two);
  CHECK_THAT(two.str(), Catch::Contains("; 2 uncertain inputs;"));
  sweep::TimelineSweepResult t;
  t.inputs = {"a"};
  std::ostringstream timeline;
  report::write_timeline_sweep_table(t, timeline);
  CHECK_THAT(timeline.str(), Catch::Contains("; 1 uncertain input; "));
}
