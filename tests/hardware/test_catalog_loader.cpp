#include <catch2/catch.hpp>

#include "hardware/catalog_loader.hpp"
#include "hardware/common/input_error.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

std::vector<std::string> errors_for(const std::string& text) {
  return test::error_lines([&] { load_catalog({{"extra.toml", text}}); });
}

}  // namespace

TEST_CASE("a minimal chip entry loads with SI units", "[hardware][catalog]") {
  const Catalog c = load_catalog({{"extra.toml", R"(
[[chip]]
id = "test_chip"
name = "Test"
bf16_tflops = 500
hbm_gb = 96
tdp_w = 600
sources = ["https://example.org"]
estimated = ["tdp_w"]
)"}});
  REQUIRE(c.chips.size() == 1);
  CHECK(*c.chips[0].peak_flops(Precision::bf16) == Approx(500e12));
  CHECK(*c.chips[0].hbm_bytes == Approx(96e9));
  CHECK(c.chips[0].provenance.is_estimated("tdp_w"));
  CHECK(c.chips[0].provenance.defined_in == "extra.toml");
}

TEST_CASE("catalog errors are all reported with location, key and rule", "[hardware][catalog]") {
  const auto errors = errors_for(R"([[chip]]
id = "bad_chip"
name = "Bad"
bf16_tflops = -5
tdp_kw = 1
estimated = ["bf16_tflops", "hbm_gb"]
)");
  // bf16_tflops is set (badly), so only hbm_gb is a bad `estimated` entry.
  REQUIRE(errors.size() == 4);
  CHECK(errors[0] == "extra.toml:1:1: chip.sources: missing required key (an array of strings)");
  CHECK(errors[1] == "extra.toml:4:15: chip.bf16_tflops = -5: must be in (0, 10000000]");
  CHECK(errors[2] == "extra.toml:5:1: chip.tdp_kw = 1: unknown key (did you mean \"tdp_w\"?)");
  CHECK(errors[3] ==
        "extra.toml:6:13: chip.estimated = [...]: names \"hbm_gb\", which this entry does not set");
}

TEST_CASE("duplicate ids and dangling references are rejected", "[hardware][catalog]") {
  const auto errors = errors_for(R"([[chip]]
id = "nvidia_h100_sxm"
name = "Again"
sources = ["x"]
estimated = []

[[system]]
id = "box"
name = "Box"
chip_id = "nvidia_h10"
sources = ["x"]
estimated = []
)");
  REQUIRE(errors.size() == 1);  // only extra.toml is loaded here, so no duplicate
  CHECK(errors[0] ==
        "extra.toml:7:1: system.chip_id = \"nvidia_h10\": unknown id (did you mean "
        "\"nvidia_h100_sxm\"?)");

  auto sources = builtin_catalog_sources();
  sources.push_back({"extra.toml",
                     "[[chip]]\nid = \"nvidia_h100_sxm\"\nname = \"Again\"\n"
                     "sources = [\"x\"]\nestimated = []\n"});
  try {
    load_catalog(sources);
    FAIL("duplicate id accepted");
  } catch (const InputErrors& e) {
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].to_string() ==
          "extra.toml:1:1: chip.id = \"nvidia_h100_sxm\": duplicate id: already defined");
  }
}
