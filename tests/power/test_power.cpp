#include <catch2/catch.hpp>

#include "hardware/catalog_loader.hpp"
#include "power/facility.hpp"
#include "power/system_power.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {
const Catalog& catalog() { return test::builtin_catalog(); }
}  // namespace

TEST_CASE("facility power is PUE times IT power", "[power]") {
  CHECK(power::facility_power_w(1.2, 10e6) == Approx(12e6));
  CHECK(power::it_budget_w(100e6, 1.25) == Approx(80e6));
  Eigen::ArrayXd pue(2), it(2);
  pue << 1.1, 1.5;
  it << 1e6, 2e6;
  const Eigen::ArrayXd f = power::facility_power_w(pue, it);
  CHECK(f[0] == Approx(1.1e6));
  CHECK(f[1] == Approx(3e6));
}

TEST_CASE("a catalogued system supplies its own IT power", "[power]") {
  const Chip& h100 = *catalog().find_chip("nvidia_h100_sxm");
  const System& dgx = *catalog().find_system("nvidia_hgx_dgx_h100");
  const auto sp = power::system_it_power(h100, &dgx, {});
  CHECK(sp.it_power_w == Approx(10.2e3));  // DGX H100 maximum input
  CHECK(sp.chips_per_system == Approx(8));
  CHECK_FALSE(sp.includes_scaleout);

  const Chip& c910 = *catalog().find_chip("huawei_ascend_910c");
  const System& cm384 = *catalog().find_system("huawei_cloudmatrix_384");
  const auto cm = power::system_it_power(c910, &cm384, {});
  CHECK(cm.it_power_w == Approx(559e3));
  CHECK(cm.chips_per_system == Approx(384));
  CHECK(cm.includes_scaleout);  // SemiAnalysis's all-in figure
}

TEST_CASE("a chip without a system costs TDP times the server overhead", "[power]") {
  // H20: 400 W TDP; 8-GPU server at 1.82 x TDP = 5,824 W.
  const Chip& h20 = *catalog().find_chip("nvidia_h20");
  const auto sp = power::system_it_power(h20, nullptr, {});
  CHECK(sp.it_power_w == Approx(8 * 400 * 1.82));
  CHECK(sp.chips_per_system == Approx(8));
  // The default overhead reproduces DGX H100: 10.2 kW / 8 / 700 W = 1.82.
  CHECK(power::kDefaultSystemOverhead == Approx(10200.0 / 8 / 700).epsilon(0.001));
}

TEST_CASE("annual energy cost follows average draw", "[power]") {
  // 1 MW at full load for 8,766 h at $0.08/kWh = $701,280.
  CHECK(power::annual_energy_cost_usd(1e6, 0.08, 1.0) == Approx(701280));
}
