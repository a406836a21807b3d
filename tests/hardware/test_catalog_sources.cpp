// Per-figure sources in the catalog (`figure_sources`) and the figures an
// estimate cites.
#include <catch2/catch.hpp>

#include "hardware/catalog_loader.hpp"
#include "tests/support.hpp"

using namespace clustercap;

namespace {

const char* kHeader = R"([[chip]]
id = "c"
name = "C"
bf16_tflops = 500
sources = ["https://a.example", "https://b.example"]
estimated = []
)";

std::vector<std::string> errors_for(const std::string& line) {
  return test::error_lines([&] { load_catalog({{"extra.toml", kHeader + line + "\n"}}); });
}

}  // namespace

TEST_CASE("a figure cites its mapped sources, others cite the whole list",
          "[hardware][catalog][sources]") {
  const Catalog c = load_catalog(
      {{"extra.toml", std::string(kHeader) + "tdp_w = 700\nfigure_sources = { tdp_w = [1] }\n"}});
  const Provenance& p = c.chips.at(0).provenance;
  CHECK(p.sources_for("tdp_w") == std::vector<std::string>{"https://b.example"});
  CHECK(p.sources_for("bf16_tflops") ==
        std::vector<std::string>{"https://a.example", "https://b.example"});
}

TEST_CASE("figure_sources must name a figure the entry sets", "[hardware][catalog][sources]") {
  const auto errors = errors_for("figure_sources = { bf16_tflops = [1], tdp_w = [0] }");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "extra.toml:7:47: chip.figure_sources.tdp_w = [...]: names a figure this entry does not "
        "set");
}

TEST_CASE("figure_sources indices must be in range", "[hardware][catalog][sources]") {
  const auto errors = errors_for("figure_sources = { bf16_tflops = [2] }");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "extra.toml:7:34: chip.figure_sources.bf16_tflops = [...]: source index 2 is out of "
        "range: this entry lists 2 sources, numbered from 0");
}

TEST_CASE("an I/O figure for export control needs its basis", "[hardware][catalog][sources]") {
  const auto errors = errors_for("io_gbs_bidirectional = 600");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "extra.toml:1:1: chip.io_basis: required with io_gbs_bidirectional: say what links it "
        "counts");
}

TEST_CASE("the chips part A touched cite each export figure's own sources",
          "[hardware][catalog][sources]") {
  const Catalog& c = test::builtin_catalog();
  // H100 PCIe: the bridge's 600 GB/s from NVIDIA's datasheet.
  const Chip& h100 = *c.find_chip("nvidia_h100_pcie");
  CHECK(*h100.io_bidirectional_bytes_per_s == Approx(600e9));
  CHECK(h100.provenance.sources_for("io_gbs_bidirectional") ==
        std::vector<std::string>{
            "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"});
  // MI250: derived 6 x 100 GB/s, so an estimate.
  CHECK(c.find_chip("amd_mi250")->provenance.is_estimated("io_gbs_bidirectional"));
  CHECK(c.find_chip("amd_mi250")->provenance.sources_for("io_gbs_bidirectional").size() == 3);
  // Trainium2's TF32 rate comes from AWS's Neuron docs (the first two sources).
  CHECK(c.find_chip("aws_trainium2")->provenance.sources_for("tf32_tflops").size() == 2);
}

TEST_CASE("an estimate cites the chip and system figures it used", "[hardware][catalog][sources]") {
  const Catalog& c = test::builtin_catalog();
  const auto figures = model_figures(c, "nvidia_h100_sxm", "nvidia_hgx_dgx_h100", Precision::bf16);
  auto find = [&](const std::string& entry, const std::string& key) -> const CitedFigure* {
    for (const auto& f : figures) {
      if (f.entry_id == entry && f.key == key) return &f;
    }
    return nullptr;
  };
  // H100 SXM datasheet: 1,979 TFLOPS BF16 with sparsity, 989.5 dense; 80 GB; 700 W.
  const CitedFigure* peak = find("nvidia_h100_sxm", "bf16_tflops");
  REQUIRE(peak != nullptr);
  CHECK(peak->value == Approx(989.5));
  CHECK(peak->unit == "TFLOPS");
  CHECK_FALSE(peak->estimated);
  CHECK(peak->sources.size() == c.find_chip("nvidia_h100_sxm")->provenance.sources.size());
  REQUIRE(find("nvidia_h100_sxm", "hbm_gb") != nullptr);
  CHECK(find("nvidia_h100_sxm", "hbm_gb")->value == Approx(80));
  REQUIRE(find("nvidia_h100_sxm", "tdp_w") != nullptr);
  CHECK(find("nvidia_h100_sxm", "tdp_w")->unit == "W");
  // No MSRP: the price is an estimate and says so.
  REQUIRE(find("nvidia_h100_sxm", "price_usd") != nullptr);
  CHECK(find("nvidia_h100_sxm", "price_usd")->estimated);
  // The HGX/DGX H100 holds 8 GPUs.
  REQUIRE(find("nvidia_hgx_dgx_h100", "chips") != nullptr);
  CHECK(find("nvidia_hgx_dgx_h100", "chips")->value == Approx(8));
  CHECK(find("nvidia_hgx_dgx_h100", "chips")->unit == "count");
  REQUIRE(find("nvidia_hgx_dgx_h100", "power_kw") != nullptr);
  CHECK(find("nvidia_hgx_dgx_h100", "power_kw")->unit == "kW");
}

TEST_CASE("figure_sources lists at least one index per figure", "[hardware][catalog][sources]") {
  const auto errors = errors_for("figure_sources = { bf16_tflops = [] }");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "extra.toml:7:34: chip.figure_sources.bf16_tflops = [...]: must list at least one source "
        "index");
}
