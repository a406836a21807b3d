// Every case in tests/bad_inputs/ must be rejected with exit code 2, print
// nothing on stdout and print exactly the pinned message on stderr.
//
// A case is NAME.expected (the exact stderr) plus either NAME.args (the
// command-line arguments, one per line) or NAME.toml (run as
// `clustercap estimate NAME.toml`). Cases run with tests/bad_inputs/ as the
// working directory so messages show short relative paths.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "tests/cli/process.hpp"

namespace fs = std::filesystem;
using clustercap::test::read_file;
using clustercap::test::run_process;

namespace {

std::vector<std::string> read_args(const fs::path& path) {
  std::vector<std::string> args;
  std::istringstream in(read_file(path.string()));
  std::string line;
  while (std::getline(in, line)) args.push_back(line);
  return args;
}

std::vector<fs::path> cases() {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(CLUSTERCAP_BAD_INPUTS_DIR)) {
    if (entry.path().extension() == ".expected") found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

TEST_CASE("every bad-input case exits 2 with its pinned message", "[cli][bad_input]") {
  const auto all = cases();
  REQUIRE(all.size() >= 25);
  for (const auto& expected_path : all) {
    const std::string name = expected_path.stem().string();
    DYNAMIC_SECTION(name) {
      fs::path args_path = expected_path;
      args_path.replace_extension(".args");
      const std::vector<std::string> args =
          fs::exists(args_path) ? read_args(args_path)
                                : std::vector<std::string>{"estimate", name + ".toml"};
      const auto result = run_process(CLUSTERCAP_BINARY, args, CLUSTERCAP_BAD_INPUTS_DIR);
      CHECK(result.exit_code == 2);
      CHECK(result.out.empty());
      CHECK(result.err == read_file(expected_path.string()));
    }
  }
}
