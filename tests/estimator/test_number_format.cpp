#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "estimator/report/metric_format.hpp"
#include "estimator/report/number_format.hpp"

using clustercap::kMetrics;
using clustercap::Metric;
using clustercap::MetricStyle;
using namespace clustercap::report;

TEST_CASE("numbers print the way analysts read them", "[estimator][report]") {
  CHECK(grouped_integer(179328) == "179,328");
  CHECK(grouped_integer(999) == "999");
  CHECK(grouped_integer(1000) == "1,000");
  CHECK(scientific(3.2e25) == "3.2e25");
  CHECK(scientific(1.5e-3) == "1.5e-3");
  CHECK(power(27.4e6) == "27.4 MW");
  CHECK(power(559e3) == "559 kW");
  CHECK(power(1.2e9) == "1.20 GW");
  CHECK(ratio(0.7224) == "0.722x");
  CHECK(count_with_suffix(405e9) == "405B");
  CHECK(significant(1.3) == "1.30");
}

TEST_CASE("machine numbers round-trip and never print nan or inf", "[estimator][report]") {
  CHECK(machine_number(0.1) == "0.1");
  CHECK(machine_number(3.2e25) == "3.2e+25");
  CHECK(machine_number(1.0 / 0.0).empty());
  CHECK(scientific(0.0 / 0.0) == "n/a");
}

TEST_CASE("fixed-style metrics of four to six digits are grouped like counts",
          "[estimator][report]") {
  // The energy of a run of 100,000 H100 is ~7e5 MWh: printed as 714936 it
  // had to be counted digit by digit.
  const auto it = std::find_if(kMetrics.begin(), kMetrics.end(), [](const Metric& m) {
    return std::string(m.name) == "energy_per_run_mwh";
  });
  REQUIRE(it != kMetrics.end());
  const Metric& energy = *it;
  REQUIRE(energy.style == MetricStyle::fixed);
  CHECK(metric_text(energy, 714936.2) == "714,936");
  CHECK(metric_text(energy, 1447330.0) == "1.45e6");
  CHECK(metric_text(energy, 138.04) == "138");
  CHECK(metric_text(energy, 999.4) == "999");
  CHECK(metric_text(energy, 9999.0) == "9,999");
}
