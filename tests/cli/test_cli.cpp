#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli/process.hpp"

namespace fs = std::filesystem;
using clustercap::test::read_file;
using clustercap::test::run_process;

namespace {

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / ("clustercap_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("estimate with no file runs the embedded default scenario", "[cli]") {
  const auto r = run_process(CLUSTERCAP_BINARY, {"estimate"});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("configs/default.toml") != std::string::npos);
  CHECK(r.out.find("Binding constraint") != std::string::npos);
  CHECK(r.out.find("nan") == std::string::npos);
  CHECK(r.out.find("inf ") == std::string::npos);
}

TEST_CASE("estimate --format json is one parseable document with the schema", "[cli]") {
  const auto r = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "clustercap.estimate.v1");
  CHECK(j["actors"].size() == 2);
}

TEST_CASE("estimate --format csv has a header and one row per actor", "[cli]") {
  const auto r = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "csv"});
  REQUIRE(r.exit_code == 0);
  std::size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  CHECK(lines == 3);
  CHECK(r.out.rfind("scenario,actor,chip,", 0) == 0);
}

TEST_CASE("estimate with an output file writes it and nothing to stdout", "[cli]") {
  const fs::path out = temp_dir() / "estimate.json";
  fs::remove(out);
  const auto r =
      run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "json", "--output", out.string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  REQUIRE(fs::exists(out));
  CHECK(nlohmann::json::parse(read_file(out.string()))["schema"] == "clustercap.estimate.v1");
  for (const auto& entry : fs::directory_iterator(out.parent_path())) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
}

TEST_CASE("a run that fails validation leaves no output file", "[cli]") {
  const fs::path dir = temp_dir();
  const fs::path bad = dir / "bad.toml";
  const fs::path out = dir / "never.json";
  fs::remove(out);
  {
    std::FILE* f = std::fopen(bad.string().c_str(), "w");
    std::fputs("[scenario]\nname = \"x\"\n", f);
    std::fclose(f);
  }
  const auto r =
      run_process(CLUSTERCAP_BINARY, {"estimate", bad.string(), "--output", out.string()});
  CHECK(r.exit_code == 2);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a failed run keeps an existing output file intact", "[cli]") {
  const fs::path dir = temp_dir();
  const fs::path out = dir / "keep.txt";
  {
    std::FILE* f = std::fopen(out.string().c_str(), "w");
    std::fputs("previous result\n", f);
    std::fclose(f);
  }
  const auto r = run_process(
      CLUSTERCAP_BINARY, {"estimate", (dir / "missing.toml").string(), "--output", out.string()});
  CHECK(r.exit_code == 2);
  CHECK(read_file(out.string()) == "previous result\n");
}

TEST_CASE("an unwritable output path is a runtime failure (exit 1)", "[cli]") {
  const auto r =
      run_process(CLUSTERCAP_BINARY, {"estimate", "--output", "/nonexistent_dir/x/estimate.txt"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot write /nonexistent_dir/x/estimate.txt") != std::string::npos);
}

TEST_CASE("help is available for every command and exits 0", "[cli]") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--help"}, {"estimate", "--help"}, {"hardware", "--help"}}) {
    const auto r = run_process(CLUSTERCAP_BINARY, args);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("example") != std::string::npos);
  }
  CHECK(run_process(CLUSTERCAP_BINARY, {}).exit_code == 2);
}

TEST_CASE("hardware list and show print the catalog", "[cli]") {
  const auto list = run_process(CLUSTERCAP_BINARY, {"hardware", "list", "--kind", "chip"});
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("nvidia_h100_sxm") != std::string::npos);
  CHECK(list.out.find("xai_colossus") == std::string::npos);
  const auto show = run_process(CLUSTERCAP_BINARY,
                                {"hardware", "show", "huawei_cloudmatrix_384", "--format", "json"});
  REQUIRE(show.exit_code == 0);
  const auto j = nlohmann::json::parse(show.out);
  CHECK(j["schema"] == "clustercap.hardware.v1");
  CHECK(j["entry"]["chips"] == 384);
  CHECK(j["entry"]["power_kw"] == 559);
  CHECK_FALSE(j["entry"]["sources"].empty());
}

TEST_CASE("compare prints ratios of the first item to each other", "[cli][compare]") {
  const auto r = run_process(CLUSTERCAP_BINARY, {"compare", "huawei_cloudmatrix_384",
                                                 "nvidia_gb200_nvl72", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "clustercap.compare.v1");
  const auto& ratios = j["items"][1]["ratio_first_to_this"];
  CHECK(ratios["bf16_dense_pflops"].get<double>() == Approx(300.0 / 180));
  CHECK(ratios["power_kw"].get<double>() == Approx(559.0 / 145));
  const auto csv = run_process(CLUSTERCAP_BINARY,
                               {"compare", "nvidia_h100_sxm", "nvidia_h20", "--format", "csv"});
  CHECK(csv.exit_code == 0);
  CHECK(csv.out.rfind("id,kind,chips,", 0) == 0);
}

TEST_CASE("classify reports verdicts per vintage and tests hypothetical chips", "[cli][classify]") {
  const auto r =
      run_process(CLUSTERCAP_BINARY, {"classify", "nvidia_a800_sxm_80gb", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["schema"] == "clustercap.classify.v1");
  const auto& verdicts = j["chips"][0]["readings"][0]["verdicts"];
  CHECK(verdicts[0]["rule"] == "2022-10");
  CHECK(verdicts[0]["status"] == "not controlled");
  CHECK(verdicts[1]["rule"] == "2023-10");
  CHECK(verdicts[1]["status"] == "3A090.a");
  // A hypothetical part at exactly TPP 2,400 and PD 3.0: 3A090.b.1 (2,400 <= TPP < 4,800,
  // 1.6 <= PD < 5.92) and b.2 (PD >= 3.2 fails).
  const auto h = run_process(CLUSTERCAP_BINARY,
                             {"classify", "--tflops-fp8", "300", "--die-area-mm2", "800",
                              "--datacenter", "true", "--rule", "2023-10", "--format", "json"});
  REQUIRE(h.exit_code == 0);
  const auto hj = nlohmann::json::parse(h.out);
  CHECK(hj["chips"][0]["readings"][0]["metrics"]["tpp"].get<double>() == Approx(2400));
  CHECK(hj["chips"][0]["readings"][0]["verdicts"][0]["status"] == "3A090.b");
  CHECK(hj["chips"][0]["readings"][0]["verdicts"][0]["matched_clause"] == "3A090.b.1");
}

TEST_CASE("classify --headroom shows the H20 32 TPP under 2,400", "[cli][classify]") {
  const auto r =
      run_process(CLUSTERCAP_BINARY, {"classify", "nvidia_h20", "--headroom", "--rule", "2023-10"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("below by 32.0 (1.33%)") != std::string::npos);
}

TEST_CASE("sweep output is byte-identical for 1 and 2 threads", "[cli][sweep]") {
  const std::string scenario = std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml";
  const auto one =
      run_process(CLUSTERCAP_BINARY, {"sweep", scenario, "--samples", "20000", "--seed", "7",
                                      "--threads", "1", "--format", "json"});
  const auto two =
      run_process(CLUSTERCAP_BINARY, {"sweep", scenario, "--samples", "20000", "--seed", "7",
                                      "--threads", "2", "--format", "json"});
  REQUIRE(one.exit_code == 0);
  REQUIRE(two.exit_code == 0);
  CHECK(one.out == two.out);
  const auto j = nlohmann::json::parse(one.out);
  CHECK(j["schema"] == "clustercap.sweep.v1");
  CHECK(j["samples"] == 20000);
}

TEST_CASE("sweep --samples-out writes one row per sample", "[cli][sweep]") {
  const fs::path rows = temp_dir() / "rows.csv";
  fs::remove(rows);
  const std::string scenario = std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml";
  const auto r = run_process(
      CLUSTERCAP_BINARY,
      {"sweep", scenario, "--samples", "500", "--samples-out", rows.string(), "--format", "csv"});
  REQUIRE(r.exit_code == 0);
  const std::string text = read_file(rows.string());
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  CHECK(lines == 501);
  CHECK(text.rfind("sample,run_days,", 0) == 0);
}

TEST_CASE("repeated runs and another locale give byte-identical output", "[cli][determinism]") {
  const std::string scenario = std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml";
  const auto a = run_process(CLUSTERCAP_BINARY, {"estimate", scenario, "--format", "json"});
  const auto b = run_process(CLUSTERCAP_BINARY, {"estimate", scenario, "--format", "json"});
  // env(1) sets a decimal-comma locale for the child; output must not change.
  const auto c =
      run_process("/usr/bin/env", {"LC_ALL=de_DE.UTF-8", "LANG=de_DE.UTF-8", CLUSTERCAP_BINARY,
                                   "estimate", scenario, "--format", "json"});
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  CHECK(a.out == c.out);
  const auto csv1 = run_process(CLUSTERCAP_BINARY, {"estimate", scenario, "--format", "csv"});
  const auto csv2 = run_process("/usr/bin/env", {"LC_ALL=de_DE.UTF-8", CLUSTERCAP_BINARY,
                                                 "estimate", scenario, "--format", "csv"});
  CHECK(csv1.out == csv2.out);
}

TEST_CASE("estimate shows energy per run in its table, JSON and CSV", "[cli][metrics]") {
  const auto table = run_process(CLUSTERCAP_BINARY, {"estimate"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("  Energy per run        ") != std::string::npos);
  CHECK(table.out.find(" MWh\n") != std::string::npos);
  const auto json = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "json"});
  REQUIRE(json.exit_code == 0);
  const auto j = nlohmann::json::parse(json.out);
  for (const auto& actor : j["actors"])
    CHECK(actor["training"]["energy_per_run_mwh"].get<double>() > 0);
  const auto csv = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  const std::string header = csv.out.substr(0, csv.out.find('\n'));
  // Energy per run, then the cost columns (docs/costs.md) appended after it.
  CHECK(header.find(",energy_per_run_mwh,capex_usd,") != std::string::npos);
  const std::string last = ",run_cost_usd,usd_per_pflops_day";
  REQUIRE(header.size() > last.size());
  CHECK(header.compare(header.size() - last.size(), last.size(), last) == 0);
}

TEST_CASE("sweep gives energy per run with quantiles in its table, JSON and CSV",
          "[cli][metrics][sweep]") {
  const std::string scenario = std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml";
  const auto table = run_process(CLUSTERCAP_BINARY, {"sweep", scenario, "--samples", "800"});
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.find("  energy_per_run_mwh   ") != std::string::npos);
  const auto json =
      run_process(CLUSTERCAP_BINARY, {"sweep", scenario, "--samples", "800", "--format", "json"});
  REQUIRE(json.exit_code == 0);
  const auto j = nlohmann::json::parse(json.out);
  for (const auto& actor : j["points"][0]["actors"]) {
    const auto& energy = actor["metrics"]["energy_per_run_mwh"];
    CHECK(energy["quantiles"]["p5"].get<double>() <= energy["quantiles"]["p95"].get<double>());
    CHECK(energy["mean"].get<double>() > 0);
  }
  const auto csv =
      run_process(CLUSTERCAP_BINARY, {"sweep", scenario, "--samples", "800", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find(",energy_per_run_mwh,") != std::string::npos);
}

TEST_CASE("control characters in names from a scenario file reach the terminal written out",
          "[cli][table]") {
  const fs::path file = temp_dir() / "control.toml";
  {
    std::FILE* f = std::fopen(file.string().c_str(), "w");
    std::fputs(
        "[scenario]\nname = \"esc\\u001b[31m\"\n\n[training]\nduration_days = 54\n\n"
        "[[actor]]\nname = \"Meta\\u001b[2J\"\n\n[[actor.site]]\nname = \"dc\\r\\nx\"\npower_mw = "
        "100\n"
        "pue = 1.2\n\n[[actor.inventory]]\nchip = \"nvidia_h100_sxm\"\ncount = 16384\n",
        f);
    std::fclose(f);
  }
  const auto r = run_process(CLUSTERCAP_BINARY, {"estimate", file.string()});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find('\x1b') == std::string::npos);
  CHECK(r.out.find('\r') == std::string::npos);
  CHECK(r.out.find("clustercap estimate: esc\\x1b[31m\n") != std::string::npos);
  CHECK(r.out.find("== Meta\\x1b[2J ==") != std::string::npos);
  CHECK(r.out.find("at site \"dc\\x0d\\x0ax\"") != std::string::npos);
  // CSV keeps the name as it is, quoted where RFC 4180 needs it.
  const auto csv = run_process(CLUSTERCAP_BINARY, {"estimate", file.string(), "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find(",Meta\x1b[2J,") != std::string::npos);
  CHECK(csv.out.find(",\"dc\r\nx\",") != std::string::npos);
}

TEST_CASE(
    "classify quotes a hypothetical chip's name in CSV and writes its controls out in the table",
    "[cli][classify]") {
  const std::vector<std::string> chip = {
      "classify", "--tflops-fp8", "300",     "--die-area-mm2", "800",          "--datacenter",
      "true",     "--rule",       "2023-10", "--name",         "x\x1b[2J\"y,z"};
  auto args = chip;
  args.insert(args.end(), {"--format", "csv"});
  const auto csv = run_process(CLUSTERCAP_BINARY, args);
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find("\n\"x\x1b[2J\"\"y,z\",") != std::string::npos);
  const auto table = run_process(CLUSTERCAP_BINARY, chip);
  REQUIRE(table.exit_code == 0);
  CHECK(table.out.rfind("x\\x1b[2J\"y,z  ", 0) == 0);
}
