#include <catch2/catch.hpp>
#include <clustercap/clustercap.hpp>
#include <nlohmann/json.hpp>

#include "tests/cli/process.hpp"

using clustercap::test::run_process;

TEST_CASE("the library's version is the one the binary prints", "[library]") {
  const auto binary = run_process(CLUSTERCAP_BINARY, {"--version"});
  REQUIRE(binary.exit_code == 0);
  CHECK(binary.out == "clustercap " + clustercap::version() + "\n");
}

TEST_CASE("estimate_json gives the binary's estimate JSON, byte for byte", "[library]") {
  const auto binary = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "json"});
  REQUIRE(binary.exit_code == 0);
  const std::string json = clustercap::estimate_json();
  CHECK(json == binary.out);
  // configs/default.toml: the first actor's Ascend 910C count is lognormal with
  // p10 104,000 and p90 260,000, median sqrt(104,000 x 260,000) = 164,438; whole
  // CloudMatrix 384 systems: floor(164,438 / 384) = 428, 428 x 384 = 164,352 chips.
  CHECK(nlohmann::json::parse(json)["actors"][0]["cluster"]["chips"] == 164352);
}

TEST_CASE("run passes arguments through and returns exit code, output and messages apart",
          "[library]") {
  const clustercap::Result bad = clustercap::run({"estimate", "--format", "yaml"});
  const auto binary = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "yaml"});
  CHECK(bad.exit_code == clustercap::kExitInput);
  CHECK(binary.exit_code == clustercap::kExitInput);  // the header's codes are the binary's
  CHECK(bad.out.empty());
  CHECK(bad.err == binary.err);
}

TEST_CASE("a typed call that fails throws clustercap::Error with the exit code and messages",
          "[library]") {
  // A sweep needs a scenario: the command's own usage error, exit 2.
  const auto binary = run_process(CLUSTERCAP_BINARY, {"sweep", "--format", "json"});
  REQUIRE(binary.exit_code == 2);
  try {
    clustercap::sweep_json("");
    FAIL("sweep_json without a scenario returned");
  } catch (const clustercap::Error& e) {
    CHECK(e.exit_code() == clustercap::kExitInput);
    CHECK(std::string(e.what()) == binary.err);
  }
}
