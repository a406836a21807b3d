// Whole-number figures in the estimate reports (number_format.hpp): exact
// integers up to 2^53, the shortest round-trip double beyond, "no limit" as
// null / empty / "none", and never an int64 conversion that wraps.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

// 16,384 H100 in DGX H100 (8 per system, one 400 Gb/s port per GPU).
std::string h100_scenario(const std::string& network, const std::string& actor_extra,
                          const std::string& line_extra) {
  return "[scenario]\nname = \"big\"\n\n[training]\nduration_days = 90\n\n[network]\n" + network +
         "\n[[actor]]\nname = \"A\"\n" + actor_extra +
         "\n[[actor.site]]\nname = \"dc\"\npower_mw = 100\npue = 1.2\n\n"
         "[[actor.inventory]]\nchip = \"nvidia_h100_sxm\"\ncount = 16384\n" +
         line_extra;
}

struct Printed {
  EstimateResult result;
  nlohmann::ordered_json json;
  std::string json_text;
  std::vector<std::string> csv_header, csv_row;
  std::string table;
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
  return fields;
}

Printed print_all(const std::string& text) {
  Printed p;
  const Scenario s = load_scenario_text("big.toml", text, test::builtin_catalog());
  p.result = estimate(s, test::builtin_catalog());
  std::ostringstream json, csv, table;
  report::write_estimate_json(p.result, json);
  p.json_text = json.str();
  p.json = nlohmann::ordered_json::parse(p.json_text);
  report::write_estimate_csv(p.result, csv);
  std::istringstream lines(csv.str());
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  p.csv_header = split(header);
  p.csv_row = split(row);
  report::write_estimate_table(p.result, table);
  p.table = table.str();
  return p;
}

std::string csv_column(const Printed& p, const std::string& name) {
  for (std::size_t k = 0; k < p.csv_header.size(); ++k) {
    if (p.csv_header[k] == name) return p.csv_row.at(k);
  }
  FAIL("no CSV column " << name);
  return "";
}

}  // namespace

TEST_CASE("counts print as exact integers up to 2^53 and as round-trip doubles beyond",
          "[report][numbers]") {
  const double two53 = std::ldexp(1.0, 53);
  CHECK(report::whole_number(179328.4) == "179328");
  CHECK(report::whole_number(two53) == "9007199254740992");
  CHECK(report::whole_number(two53 * 2) == "1.8014398509481984e+16");
  CHECK(report::whole_number(1e20) == "1e+20");
  CHECK(report::whole_number(std::ldexp(1.0, 67)) == "1.4757395258967641e+20");
  CHECK(report::whole_number(model::kNoLimit).empty());
  CHECK(report::grouped_integer(two53) == "9,007,199,254,740,992");
  CHECK(report::grouped_integer(1e20) == "1e+20");
  REQUIRE(report::exact_integer(two53));
  CHECK(*report::exact_integer(two53) == 9007199254740992LL);
  CHECK_FALSE(report::exact_integer(two53 * 2));
  CHECK_FALSE(report::exact_integer(std::nan("")));
}

TEST_CASE("a negative or NaN count is an internal error, not a printed figure",
          "[report][numbers]") {
  CHECK_THROWS_WITH(report::whole_number(-1.0), "internal: count = -1: a count must be >= 0");
  CHECK_THROWS_WITH(report::whole_number(std::nan(""), "limit"),
                    "internal: limit = nan: a count must be >= 0");
  CHECK_THROWS_WITH(report::checked_count(-model::kNoLimit, "chips"),
                    "internal: chips = -inf: a count must be >= 0");
  CHECK(report::checked_count(model::kNoLimit, "limit") > 0);
}

TEST_CASE("a 4096-port, 6-tier fabric's network limit prints unwrapped in JSON, CSV and table",
          "[report][numbers][estimate]") {
  // Hand derivation: a 6-tier fat tree of radix-4096 switches connects
  // 2 x 2048^6 = 2^67 endpoints per plane; one 400 Gb/s port per H100 and 8
  // per DGX H100 (a power of two) leave 2^67 chips, beyond int64's 2^63.
  const Printed p =
      print_all(h100_scenario("switch_radix = 4096\nmax_tiers = 6\nplanes = 1\n", "", ""));
  const double expected = std::ldexp(1.0, 67);
  const auto network = static_cast<std::size_t>(model::Constraint::network);
  CHECK(p.result.actors[0].cluster.limits[network] == Approx(expected));
  const auto& limit = p.json["actors"][0]["cluster"]["limits"]["network"];
  REQUIRE(limit.is_number_float());
  CHECK(limit.get<double>() == Approx(expected));
  CHECK(p.json_text.find("\"network\": 1.4757395258967641e+20") != std::string::npos);
  CHECK(csv_column(p, "limit_network") == "1.4757395258967641e+20");
  CHECK(p.table.find("network 147,573,952,589,676,412,928") == std::string::npos);
  CHECK(p.table.find("network 1.4757395258967641e+20 |") != std::string::npos);
  CHECK(p.json["actors"][0]["cluster"]["chips"].get<std::int64_t>() == 16384);
  CHECK(p.table.find("-9") == std::string::npos);
}

TEST_CASE("a 1e15 USD budget at 1e-5 USD a chip prints unwrapped in JSON, CSV and table",
          "[report][numbers][estimate]") {
  // 1e15 USD / (8 x 1e-5 USD per system) = 1.25e19 systems = 1e20 chips, with
  // network and facility free so the budget buys systems alone.
  const Printed p = print_all(
      h100_scenario("\n[cost]\nswitch_usd = 0\ntransceiver_usd = 0\nfacility_usd_per_mw = 0\n",
                    "budget_usd = 1e15\n", "price_usd = 1e-5\n"));
  const auto budget = static_cast<std::size_t>(model::Constraint::budget);
  CHECK(p.result.actors[0].cluster.limits[budget] == Approx(1e20));
  const auto& limit = p.json["actors"][0]["cluster"]["limits"]["budget"];
  REQUIRE(limit.is_number_float());
  CHECK(limit.get<double>() == Approx(1e20));
  CHECK(p.json_text.find("\"budget\": 1e+20") != std::string::npos);
  CHECK(csv_column(p, "limit_budget") == "1e+20");
  // The table shows the number whole, followed by the WAN limit.
  CHECK(p.table.find("budget 1e+20 | WAN none\n") != std::string::npos);
  CHECK(p.table.find("-9") == std::string::npos);
}

TEST_CASE("a limit that does not apply prints as null, an empty CSV field and none",
          "[report][numbers][estimate]") {
  const Printed p = print_all(h100_scenario("", "", ""));
  CHECK(p.json["actors"][0]["cluster"]["limits"]["budget"].is_null());
  CHECK(csv_column(p, "limit_budget").empty());
  CHECK(p.table.find("| budget none | WAN none\n") != std::string::npos);
  CHECK(p.json["actors"][0]["cluster"]["limits"]["wan"].is_null());
  CHECK(csv_column(p, "limit_wan").empty());
}
