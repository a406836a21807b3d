#include <catch2/catch.hpp>

#include "hardware/common/text_match.hpp"

using namespace clustercap;

TEST_CASE("edit distance counts single-character edits", "[hardware][text]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("power_mw", "power_mw") == 0);
  CHECK(edit_distance("duraton_days", "duration_days") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("suggestions offer close keys and IDs only", "[hardware][text]") {
  const std::vector<std::string> keys = {"power_mw", "pue", "name"};
  CHECK(did_you_mean("powr_mw", keys) == " (did you mean \"power_mw\"?)");
  CHECK(did_you_mean("zzzzzzzz", keys).empty());
  const std::vector<std::string> ids = {"nvidia_h100_sxm", "nvidia_h100_pcie", "nvidia_h20"};
  CHECK(closest_match("nvidia_h100", ids) == "nvidia_h100_sxm");
  CHECK(closest_match("nvidia_h2O", ids) == "nvidia_h20");
}
