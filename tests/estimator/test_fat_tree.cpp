#include <catch2/catch.hpp>

#include "estimator/model/fat_tree.hpp"

using namespace clustercap::model;

TEST_CASE("a folded Clos of radix k connects 2(k/2)^l endpoints", "[estimator][network]") {
  // 64-port switches (QM9700): 64 in one tier, 64^2/2 in two, 64^3/4 in three.
  CHECK(clos_capacity(64, 1) == Approx(64));
  CHECK(clos_capacity(64, 2) == Approx(2048));
  CHECK(clos_capacity(64, 3) == Approx(65536));
  CHECK(clos_capacity(128, 3) == Approx(524288));
}

TEST_CASE("the fabric uses the fewest tiers that hold the endpoints", "[estimator][network]") {
  CHECK(tiers_needed(0, 64) == 0);
  CHECK(tiers_needed(1, 64) == 1);
  CHECK(tiers_needed(64, 64) == 1);
  CHECK(tiers_needed(65, 64) == 2);
  CHECK(tiers_needed(2048, 64) == 2);
  CHECK(tiers_needed(2049, 64) == 3);
  CHECK(tiers_needed(65536, 64) == 3);
  CHECK(tiers_needed(65537, 64) == 4);
}

TEST_CASE("a 16,384-endpoint fabric of 64-port switches has 1,280 switches in 3 tiers",
          "[estimator][network]") {
  FabricSpec spec;  // radix 64, 8 W NIC optics, 15 W twin-port switch optics, 750 W switches
  const FabricSize size = size_fabric(16384, spec);
  CHECK(size.tiers == 3);
  // (2l - 1) N / k = 5 * 16,384 / 64
  CHECK(size.switches == Approx(1280));
  // one NIC module per endpoint; 5 switch ports per endpoint, two per module
  CHECK(size.nic_transceivers == Approx(16384));
  CHECK(size.switch_transceivers == Approx(40960));
  // 1,280 x 750 + 16,384 x 8 + 40,960 x 15 W
  CHECK(size.power_w == Approx(1280.0 * 750 + 16384.0 * 8 + 40960.0 * 15));
}

TEST_CASE("rail planes multiply capacity and copper first hops drop optics",
          "[estimator][network]") {
  FabricSpec spec;
  spec.planes = 8;
  CHECK(max_endpoints(spec) == Approx(8 * 65536.0));
  const FabricSize railed = size_fabric(16384, spec);
  CHECK(railed.tiers == 2);  // 2,048 per plane fits two tiers
  CHECK(railed.switches == Approx(8 * 3 * 2048.0 / 64));

  FabricSpec copper;
  copper.copper_first_tier = true;
  const FabricSize size = size_fabric(16384, copper);
  CHECK(size.nic_transceivers == Approx(0));
  CHECK(size.switch_transceivers == Approx(4 * 16384.0 / 2));
}

TEST_CASE("an empty fabric costs nothing", "[estimator][network]") {
  const FabricSize size = size_fabric(0, FabricSpec{});
  CHECK(size.tiers == 0);
  CHECK(size.switches == Approx(0));
  CHECK(size.power_w == Approx(0));
}
