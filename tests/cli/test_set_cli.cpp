// The command line for scripts: --set on every command that reads a
// scenario, "-" for a scenario on standard input, and --help listing only the
// options a user types.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "estimator/cli/app.hpp"
#include "tests/cli/process.hpp"

namespace fs = std::filesystem;
using clustercap::cli::run_captured;
using clustercap::test::read_file;
using clustercap::test::run_process;

namespace {

const std::string kSource = CLUSTERCAP_SOURCE_DIR;

// A copy of the config file NAME in a temp folder's configs folder, with the first `from`
// replaced by `to`; returns the temp folder, so NAME keeps its relative path.
fs::path edited_copy(const std::string& name, const std::string& from, const std::string& to) {
  const fs::path dir =
      fs::temp_directory_path() / ("clustercap_set_" + std::to_string(::getpid()) + "_" + name);
  fs::create_directories(dir / "configs");
  std::string text = read_file(kSource + "/configs/" + name);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  std::ofstream(dir / "configs" / name) << text;
  return dir;
}

// `args` run in the source tree and `file_args` run in `dir`, both exit 0,
// print the same bytes, and differ from `plain` (the run without the change).
void check_same_as_file(const std::vector<std::string>& set_args,
                        const std::vector<std::string>& file_args, const fs::path& dir,
                        const std::vector<std::string>& plain) {
  const auto by_set = run_process(CLUSTERCAP_BINARY, set_args, kSource);
  const auto by_file = run_process(CLUSTERCAP_BINARY, file_args, dir.string());
  const auto unchanged = run_process(CLUSTERCAP_BINARY, plain, kSource);
  REQUIRE(by_set.exit_code == 0);
  REQUIRE(by_file.exit_code == 0);
  CHECK(by_set.err == by_file.err);
  CHECK(by_set.out == by_file.out);
  CHECK(by_set.out != unchanged.out);
}

// Two estimate JSON outputs are equal but for the scenario's file, which in
// `from_stdin` is "<stdin>".
void check_same_but_file(const std::string& from_stdin, const std::string& from_file) {
  auto a = nlohmann::json::parse(from_stdin);
  auto b = nlohmann::json::parse(from_file);
  CHECK(a["scenario"]["file"] == "<stdin>");
  a["scenario"]["file"] = b["scenario"]["file"];
  CHECK(a == b);
}

}  // namespace

TEST_CASE("estimate --set gives byte for byte the JSON of a file that says the same",
          "[cli][set]") {
  const fs::path dir = edited_copy("default.toml", "power_mw = 339", "power_mw = 300");
  check_same_as_file({"estimate", "--format", "json", "--set", "actor[0].site[0].power_mw=300"},
                     {"estimate", "configs/default.toml", "--format", "json"}, dir,
                     {"estimate", "--format", "json"});
}

TEST_CASE("timeline --set gives byte for byte the JSON of a file that says the same",
          "[cli][set]") {
  const fs::path dir = edited_copy("china-2026-pooled.toml", "power_mw = 339", "power_mw = 300");
  const std::vector<std::string> plain = {"timeline", "configs/china-2026-pooled.toml", "--format",
                                          "json"};
  std::vector<std::string> by_set = plain;
  by_set.insert(by_set.end(), {"--set", "actor[0].site[0].power_mw=300"});
  check_same_as_file(by_set, plain, dir, plain);
}

TEST_CASE("sweep --set gives byte for byte the JSON of a file that says the same", "[cli][set]") {
  const fs::path dir = edited_copy("default.toml", "power_mw = 339", "power_mw = 300");
  const std::vector<std::string> plain = {
      "sweep", "configs/default.toml", "--samples", "200", "--format", "json"};
  std::vector<std::string> by_set = plain;
  by_set.insert(by_set.end(), {"--set", "actor[0].site[0].power_mw=300"});
  check_same_as_file(by_set, plain, dir, plain);
}

TEST_CASE("a scenario named - is read from standard input and named <stdin>", "[cli][stdin]") {
  const auto from_stdin = run_process(
      "/bin/sh",
      {"-c", std::string("exec '") + CLUSTERCAP_BINARY +
                 "' estimate - --format json --set training.mfu=0.4 < configs/default.toml"},
      kSource);
  const auto embedded =
      run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "json", "--set", "training.mfu=0.4"});
  REQUIRE(from_stdin.exit_code == 0);
  REQUIRE(embedded.exit_code == 0);
  check_same_but_file(from_stdin.out, embedded.out);
}

TEST_CASE("inside run_captured, - reads the captured text, never descriptor 0",
          "[cli][stdin][captured]") {
  const std::string text = read_file(kSource + "/configs/default.toml");
  const auto captured = run_captured({"estimate", "-", "--format", "json"}, text);
  const auto embedded = run_captured({"estimate", "--format", "json"});
  REQUIRE(captured.exit_code == 0);
  check_same_but_file(captured.out, embedded.out);

  const auto bad = run_captured({"estimate", "-"}, "[scenario]\nname = \"x\"\n");
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
  CHECK(bad.err ==
        "<stdin>:1:1: training: missing required key (a table [training])\n"
        "<stdin>:1:1: actor: missing required key (at least one [[actor]] table)\n"
        "clustercap: 2 input errors; nothing was written\n");
}

TEST_CASE("every command's --help lists only the options a user types", "[cli][help]") {
  for (const std::string command :
       {"estimate", "timeline", "sweep", "validate", "compare", "classify", "hardware"}) {
    DYNAMIC_SECTION(command) {
      const auto r = run_process(CLUSTERCAP_BINARY, {command, "--help"});
      CHECK(r.exit_code == 0);
      CHECK(r.out.find("--help") != std::string::npos);
      for (const char* internal : {"--scenario", "--action", "--id ", "--cases"}) {
        CHECK(r.out.find(internal) == std::string::npos);
      }
      const bool reads_scenario =
          command == "estimate" || command == "timeline" || command == "sweep";
      CHECK((r.out.find("--set arg") != std::string::npos) == reads_scenario);
    }
  }
}

TEST_CASE("an alias on the command line is resolved with a note on stderr", "[cli][aliases]") {
  const auto compare = run_captured({"compare", "h100", "910c", "--format", "json"});
  CHECK(compare.exit_code == 0);
  CHECK(compare.err ==
        "clustercap: note: \"h100\" is nvidia_h100_sxm (NVIDIA H100 SXM5 80GB)\n"
        "clustercap: note: \"910c\" is huawei_ascend_910c (Huawei Ascend 910C)\n");
  const auto estimate = run_captured({"estimate", "--set", "actor[0].inventory[2].chip=h20"});
  CHECK(estimate.exit_code == 0);
  CHECK(estimate.err ==
        "clustercap: note: \"h20\" is nvidia_h20 (NVIDIA H20 (HGX, China export variant))\n");
  const auto classify = run_captured({"classify", "H20", "--rule", "2024-12"});
  CHECK(classify.exit_code == 0);
  CHECK(classify.err ==
        "clustercap: note: \"H20\" is nvidia_h20 (NVIDIA H20 (HGX, China export variant))\n");
}

TEST_CASE("an ambiguous alias on the command line is an input error with the candidates",
          "[cli][aliases]") {
  const auto show = run_captured({"hardware", "show", "colossus"});
  CHECK(show.exit_code == 2);
  CHECK(show.err ==
        "command line: hardware show = \"colossus\": is ambiguous: it may mean "
        "\"xai_colossus_1_phase1\", \"xai_colossus_1_phase2\", \"xai_colossus_1_phase3\", "
        "\"xai_colossus_2\"; write one of these ids\n"
        "clustercap: 1 input error; nothing was written\n");
  const auto compare = run_captured({"compare", "gb200", "h100"});
  CHECK(compare.exit_code == 2);
  CHECK(compare.err ==
        "command line: compare = \"gb200\": is ambiguous: it may mean \"nvidia_gb200_gpu\", "
        "\"nvidia_gb200_nvl72\"; write one of these ids\n"
        "clustercap: 1 input error; nothing was written\n");
}
