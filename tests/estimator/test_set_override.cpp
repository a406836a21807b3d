// --set KEY=VALUE: parsing the argument, editing the parsed scenario table,
// and the loader's checks on a value that came by --set.
#include <catch2/catch.hpp>

#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/scenario/set_override.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using clustercap::test::builtin_catalog;
using clustercap::test::error_lines;

namespace {

// The printed errors of parsing `arguments` (none: empty).
std::vector<std::string> parse_errors(const std::vector<std::string>& arguments) {
  Diagnostics diagnostics;
  parse_sets(arguments, diagnostics);
  std::vector<std::string> lines;
  for (const auto& error : diagnostics.errors()) lines.push_back(error.to_string());
  return lines;
}

// `root` after applying `arguments`, and the printed errors.
std::vector<std::string> apply(toml::table& root, const std::vector<std::string>& arguments) {
  Diagnostics diagnostics;
  auto sets = parse_sets(arguments, diagnostics);
  apply_sets(root, sets, diagnostics);
  std::vector<std::string> lines;
  for (const auto& error : diagnostics.errors()) lines.push_back(error.to_string());
  return lines;
}

toml::table parsed(const std::string& text) { return toml::parse(text, std::string("file.toml")); }

std::vector<std::string> default_errors(const std::vector<std::string>& sets) {
  return error_lines([&] { load_default_scenario(builtin_catalog(), {}, sets); });
}

}  // namespace

TEST_CASE("a --set without \"=\" is rejected with the form it must take", "[set]") {
  CHECK(parse_errors({"training.mfu"}) ==
        std::vector<std::string>{
            "--set #1:1:1: training.mfu: must be KEY=VALUE, e.g. actor[0].site[0].power_mw=300"});
}

TEST_CASE("a --set key with a bad index or an empty part names the column of the fault", "[set]") {
  CHECK(parse_errors({"training.mfu=0.5", "actor[x].budget_usd=1", "actor..x=1"}) ==
        std::vector<std::string>{
            "--set #2:1:7: actor[x].budget_usd: an index must be a whole number (0-based) or + "
            "to append",
            "--set #3:1:7: actor..x: each part of the key must be a name of letters, digits, _ "
            "or -, with [N] (0-based) or [+] after an array of tables"});
}

TEST_CASE("a --set with nothing after \"=\" says how to write an empty string", "[set]") {
  CHECK(parse_errors({"training.mfu="}) ==
        std::vector<std::string>{"--set #1:1:14: training.mfu: missing value after \"=\" (an "
                                 "empty string is written \"\")"});
}

TEST_CASE("a --set value is read as TOML, and a bare word as the string it spells", "[set]") {
  toml::table root = parsed("[a]\nb = 1\n");
  REQUIRE(apply(root, {"a.b=300", "a.chip=nvidia_h100", "a.name=\"x y\"", "a.flag=true",
                       "a.d={ dist = \"lognormal\", p5 = 1, p95 = 3 }", "a.list=[1, 2]"})
              .empty());
  CHECK(root["a"]["b"].value<std::int64_t>() == 300);
  CHECK(root["a"]["chip"].value<std::string>() == "nvidia_h100");
  CHECK(root["a"]["name"].value<std::string>() == "x y");
  CHECK(root["a"]["flag"].value<bool>() == true);
  CHECK(root["a"]["d"]["dist"].value<std::string>() == "lognormal");
  CHECK(root["a"]["list"].as_array()->size() == 2);
  // The value carries its set and the column where it starts in KEY=VALUE.
  const auto& source = root["a"]["b"].node()->source();
  REQUIRE(source.path);
  CHECK(*source.path == "--set #1");
  CHECK(source.begin.line == 1);
  CHECK(source.begin.column == 5);
}

TEST_CASE("a --set value that starts like TOML but is not is an error, not a string", "[set]") {
  const auto errors = parse_errors({"a.d={ dist = "});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind("--set #1:1:", 0) == 0);
  CHECK(errors[0].find("a.d = { dist = : invalid TOML: ") != std::string::npos);
}

TEST_CASE("a --set creates missing tables and appends array elements at [+] or the length",
          "[set]") {
  toml::table root = parsed("[[x]]\ny = 1\n");
  REQUIRE(apply(root, {"n.m.k=2", "x[1].y=2", "x[+]={ y = 3 }", "x[0].y=4"}).empty());
  CHECK(root["n"]["m"]["k"].value<std::int64_t>() == 2);
  REQUIRE(root["x"].as_array()->size() == 3);
  CHECK(root["x"][0]["y"].value<std::int64_t>() == 4);
  CHECK(root["x"][1]["y"].value<std::int64_t>() == 2);
  CHECK(root["x"][2]["y"].value<std::int64_t>() == 3);
  // A created table names its set (column of its key part), for missing-key errors.
  CHECK(*root["n"]["m"].node()->source().path == "--set #1");
  CHECK(root["n"]["m"].node()->source().begin.column == 3);
}

TEST_CASE("a --set path that cannot be followed is rejected with the rule it breaks", "[set]") {
  toml::table root = parsed("[[x]]\ny = 1\n[a]\nb = 1\n");
  CHECK(apply(root, {"x[3].y=1", "x.y=1", "a[0].b=1", "a.b.c=1"}) ==
        std::vector<std::string>{
            "--set #1:1:1: x[3].y: index 3 is out of range: x has 1 table here (0-based; [1] "
            "or [+] appends one)",
            "--set #2:1:1: x.y: x is an array of tables: give an index, e.g. x[0] (0-based)",
            "--set #3:1:1: a[0].b: a is a table, not an array of tables: drop the index",
            "--set #4:1:3: a.b.c: a.b is a number, not a table"});
}

TEST_CASE("a value given by --set is checked like the file's, every error at once", "[set]") {
  // actor[0].site[0].power_mw is 25 characters: the value starts at column 27.
  CHECK(default_errors({"actor[0].site[0].power_mw=-5", "training.mfu=high",
                        "actor[5].budget_usd=1", "actor[0].site[0].powr_mw=300"}) ==
        std::vector<std::string>{
            "--set #3:1:1: actor[5].budget_usd: index 5 is out of range: actor has 2 tables "
            "here (0-based; [2] or [+] appends one)",
            "--set #2:1:14: training.mfu = \"high\": must be a number, not a string",
            "--set #1:1:27: actor.site.power_mw = -5: must be in (0, 1000000]",
            "--set #4:1:18: actor.site.powr_mw = 300: unknown key (did you mean \"power_mw\"?)"});
}

TEST_CASE("a --set value reaches the scenario as if the file had said it", "[set]") {
  const Scenario scenario = load_default_scenario(
      builtin_catalog(), {},
      {"actor[0].site[0].power_mw=300", "actor[1].inventory[2].count=5000", "training.mfu=0.4"});
  CHECK(scenario.actors[0].sites[0].power_w == Approx(300e6));
  CHECK(scenario.actors[1].inventory[2].count == Approx(5000));
  REQUIRE(scenario.training.mfu);
  CHECK(*scenario.training.mfu == Approx(0.4));
}

TEST_CASE("an alias written where a chip belongs is the catalog's chip, and is recorded",
          "[set][aliases]") {
  const Scenario scenario =
      load_default_scenario(builtin_catalog(), {}, {"actor[0].inventory[2].chip=H20"});
  CHECK(scenario.actors[0].inventory[2].chip_id == "nvidia_h20");
  REQUIRE(scenario.aliases_used.size() == 1);
  CHECK(scenario.aliases_used[0].alias == "H20");
  CHECK(scenario.aliases_used[0].id == "nvidia_h20");
}

TEST_CASE("an ambiguous alias is an error naming the candidates; an unknown id gets a suggestion",
          "[set][aliases]") {
  // actor[0].inventory[2].system is 28 characters, .chip 26, reference[0].id 15.
  CHECK(default_errors({"actor[0].inventory[2].system=nvl72", "reference[0].id=colossus"}) ==
        std::vector<std::string>{
            "--set #1:1:30: actor.inventory.system = \"nvl72\": is ambiguous: it may mean "
            "\"nvidia_gb200_nvl72\", \"nvidia_gb300_nvl72\"; write one of these ids",
            "--set #2:1:17: reference.id = \"colossus\": is ambiguous: it may mean "
            "\"xai_colossus_1_phase1\", \"xai_colossus_1_phase2\", \"xai_colossus_1_phase3\", "
            "\"xai_colossus_2\"; write one of these ids"});
  CHECK(default_errors({"actor[0].inventory[2].chip=h21"}) ==
        std::vector<std::string>{"--set #1:1:28: actor.inventory.chip = \"h21\": unknown chip id "
                                 "(did you mean \"h20\"?)"});
}

TEST_CASE("a quoted key part reaches a [sweep.grid] axis, whose values are checked like the file's",
          "[set]") {
  toml::table root = parsed("[sweep.grid]\n");
  REQUIRE(apply(root, {"sweep.grid.\"actor[0].site[0].power_mw\"=[100, 300]"}).empty());
  CHECK(root["sweep"]["grid"]["actor[0].site[0].power_mw"].as_array()->size() == 2);
  CHECK(parse_errors({"sweep.grid.\"x=1"}) ==
        std::vector<std::string>{"--set #1:1:12: sweep.grid.\"x: a quoted part of the key must be "
                                 "a non-empty name in \"...\""});
  // sweep.grid."actor[0].site[0].power_mw" is 38 characters: the list starts at column 40.
  CHECK(default_errors({"sweep.grid.\"actor[0].site[0].power_mw\"=[100, -5]"}) ==
        std::vector<std::string>{"--set #1:1:40: sweep.grid.actor[0].site[0].power_mw = -5: must "
                                 "be in (0, 1000000]"});
}
