#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "estimator/cli/app.hpp"
#include "estimator/cli/output.hpp"
#include "tests/cli/process.hpp"

using clustercap::cli::run_captured;
using clustercap::test::run_process;

TEST_CASE("an in-process run returns what the binary prints on stdout, byte for byte",
          "[cli][captured]") {
  const std::vector<std::string> args = {"estimate", "--format", "json"};
  const auto in_process = run_captured(args);
  const auto binary = run_process(CLUSTERCAP_BINARY, args);
  REQUIRE(binary.exit_code == 0);
  CHECK(in_process.exit_code == 0);
  CHECK(in_process.err.empty());
  CHECK(in_process.out == binary.out);
  CHECK(nlohmann::json::parse(in_process.out)["schema"] == "clustercap.estimate.v1");
}

TEST_CASE("an in-process run with bad input returns exit 2 and the binary's messages",
          "[cli][captured]") {
  const std::vector<std::string> args = {"estimate", "--format", "yaml"};
  const auto in_process = run_captured(args);
  const auto binary = run_process(CLUSTERCAP_BINARY, args);
  CHECK(in_process.exit_code == 2);
  CHECK(binary.exit_code == 2);
  CHECK(in_process.out.empty());
  CHECK(in_process.err == binary.err);
  CHECK(in_process.err.find("--format") != std::string::npos);
}

TEST_CASE("an in-process run leaves no capture behind: a later write goes to stdout again",
          "[cli][captured]") {
  const auto first = run_captured({"--version"});
  CHECK(first.exit_code == 0);
  CHECK(first.out.rfind("clustercap ", 0) == 0);
  CHECK(clustercap::cli::active_capture() == nullptr);
}
