// The CLI shows each catalog figure with its unit, estimate flag and sources
// (hardware list --format csv, hardware show, estimate's catalog_figures),
// and classify prints the H20's letter as its verdict.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli/process.hpp"

using clustercap::test::run_process;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("hardware list --format csv has one row per entry with estimated and sources",
          "[cli][hardware][sources]") {
  const auto csv = run_process(CLUSTERCAP_BINARY, {"hardware", "list", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  const auto json = run_process(CLUSTERCAP_BINARY, {"hardware", "list", "--format", "json"});
  REQUIRE(json.exit_code == 0);
  const auto entries = nlohmann::json::parse(json.out)["entries"];
  const auto lines = lines_of(csv.out);
  REQUIRE(lines.size() == entries.size() + 1);
  const std::string& header = lines.front();
  CHECK(header.rfind("kind,id,name,", 0) == 0);
  CHECK(header.size() > 20);
  CHECK(header.substr(header.size() - 18) == ",estimated,sources");
  for (const char* column : {",bf16_tflops,", ",hbm_gb,", ",tdp_w,", ",power_kw,",
                             ",io_gbs_bidirectional,", ",power_mw,"}) {
    INFO(column);
    CHECK(header.find(column) != std::string::npos);
  }
  // The H100 SXM row ends with its price estimate and its first source.
  bool found = false;
  for (const auto& line : lines) {
    if (line.rfind("chip,nvidia_h100_sxm,", 0) != 0) continue;
    found = true;
    CHECK(line.find(",price_usd,https://resources.nvidia.com/") != std::string::npos);
  }
  CHECK(found);

  const auto chips =
      run_process(CLUSTERCAP_BINARY, {"hardware", "list", "--kind", "chip", "--format", "csv"});
  REQUIRE(chips.exit_code == 0);
  const auto chip_lines = lines_of(chips.out);
  std::size_t chip_entries = 0;
  for (const auto& e : entries) chip_entries += e["kind"] == "chip";
  REQUIRE(chip_lines.size() == chip_entries + 1);
  for (std::size_t i = 1; i < chip_lines.size(); ++i) CHECK(chip_lines[i].rfind("chip,", 0) == 0);
  // Only chip keys: no system power column.
  CHECK(chip_lines.front().find(",power_kw,") == std::string::npos);
}

TEST_CASE("hardware show gives each figure its unit, estimate flag and sources",
          "[cli][hardware][sources]") {
  const auto j =
      run_process(CLUSTERCAP_BINARY, {"hardware", "show", "nvidia_h100_pcie", "--format", "json"});
  REQUIRE(j.exit_code == 0);
  const auto figures = nlohmann::json::parse(j.out)["entry"]["figures"];
  bool io = false;
  for (const auto& f : figures) {
    if (f["key"] != "io_gbs_bidirectional") continue;
    io = true;
    CHECK(f["value"].get<double>() == Approx(600));
    CHECK(f["unit"] == "GB/s");
    CHECK(f["estimated"] == false);
    CHECK(f["sources"] ==
          nlohmann::json::array(
              {"https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"}));
  }
  CHECK(io);

  const auto t = run_process(CLUSTERCAP_BINARY, {"hardware", "show", "nvidia_h100_pcie"});
  REQUIRE(t.exit_code == 0);
  // Source 5 is the datasheet in the numbered list below the figures.
  CHECK(t.out.find("600 GB/s   [source 5]") != std::string::npos);
  CHECK(t.out.find("    5. https://resources.nvidia.com/en-us-tensor-core/") != std::string::npos);
  // A figure without a mapping cites all, an estimate says so.
  CHECK(t.out.find("0.4 fraction   [estimate all]") != std::string::npos);
  // The rails a system's default fabric is built from (4 NICs per GB200
  // compute tray, an estimate) are shown with the rest.
  const auto nvl72 = run_process(CLUSTERCAP_BINARY, {"hardware", "show", "nvidia_gb200_nvl72"});
  REQUIRE(nvl72.exit_code == 0);
  CHECK(nvl72.out.find("scaleout_rails") != std::string::npos);
  CHECK(nvl72.out.find("4 count   [estimate") != std::string::npos);
}

TEST_CASE("estimate --format json cites the catalog figures of the winning chip and system",
          "[cli][estimate][sources]") {
  const auto r = run_process(CLUSTERCAP_BINARY, {"estimate", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const std::string precision = j["scenario"]["precision"];
  for (const auto& actor : j["actors"]) {
    INFO(actor["name"]);
    const std::string chip = actor["cluster"]["chip"];
    const auto& figures = actor["catalog_figures"];
    REQUIRE(figures.contains(chip));
    const std::string key = precision + (precision == "int8" ? "_tops" : "_tflops");
    REQUIRE(figures[chip].contains(key));
    CHECK(figures[chip][key]["unit"] == "TFLOPS");
    CHECK_FALSE(figures[chip][key]["sources"].empty());
    // The peak the cluster used is this figure.
    CHECK(actor["cluster"]["peak_flops"].get<double>() ==
          Approx(actor["cluster"]["chips"].get<double>() *
                 figures[chip][key]["value"].get<double>() * 1e12));
  }
}

TEST_CASE("classify prints the H20's licence letter as its 2026-01 verdict",
          "[cli][classify][export]") {
  const auto r = run_process(CLUSTERCAP_BINARY,
                             {"classify", "nvidia_h20", "--rule", "2026-01", "--format", "csv"});
  REQUIRE(r.exit_code == 0);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].rfind("nvidia_h20,all catalogued rates,2026-01,\"licence required "
                       "(is-informed letter, 2025-04-09)\",yes,",
                       0) == 0);
  // The letter's sources travel with the verdict, the NVIDIA 8-K first.
  CHECK(lines[0].substr(lines[0].size() - 15) == ",status_sources");
  CHECK(lines[1].find(",https://www.sec.gov/Archives/edgar/data/1045810/000104581025000082/"
                      "nvda-20250409.htm ") != std::string::npos);
}

TEST_CASE("hardware show prints a chip's matmul efficiency with what it was derived from",
          "[cli][hardware][sources]") {
  const auto t = run_process(CLUSTERCAP_BINARY, {"hardware", "show", "google_tpu_v5e"});
  REQUIRE(t.exit_code == 0);
  // chips.toml: 0.93, read from MaxText's 32B v5e-256 row, and an estimate.
  CHECK(t.out.find("matmul_efficiency") != std::string::npos);
  CHECK(t.out.find("0.93 fraction   [estimate") != std::string::npos);
  CHECK(t.out.find("maxtext-v5e-32b-256") != std::string::npos);
  // A chip without the figure does not print the key.
  const auto h100 = run_process(CLUSTERCAP_BINARY, {"hardware", "show", "nvidia_h100_sxm"});
  REQUIRE(h100.exit_code == 0);
  CHECK(h100.out.find("matmul_efficiency") == std::string::npos);
}
