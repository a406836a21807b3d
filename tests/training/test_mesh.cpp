// Full-mesh scale-up (Ascend 910B HCCS servers, Gaudi 2/3 boxes, AMD
// MI300X-class xGMI platforms): a collective over g chips of a switchless
// mesh of D reaches only its links to the g - 1 peers, (g - 1) / (D - 1) of
// the chip's scale-up bandwidth (mesh_share, estimator/training/machine.hpp).
// The catalog says which chips are meshes; a case may say so itself.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "estimator/training/machine.hpp"
#include "estimator/training/moe.hpp"
#include "estimator/validate.hpp"
#include "tests/cli/process.hpp"
#include "tests/support.hpp"
#include "tests/training/reference_shapes.hpp"

using namespace clustercap;
using namespace clustercap::training;

namespace {

// GPT-3 175B's shape, 8 sequences a step: only the communication timing
// matters here.
Workload big_model() {
  Workload w = test::gpt3();
  w.global_batch_tokens = 8 * 2048.0;
  return w;
}

// The catalog's Ascend 910B in an 8-NPU server, no collective latency.
Machine ascend_server(bool mesh) {
  const Chip* chip = test::builtin_catalog().find_chip("huawei_ascend_910b");
  REQUIRE(chip != nullptr);
  Machine m = machine_for(*chip, Precision::bf16, 8, 8, 25e9);
  m.hbm_bytes = 1e15;  // only the timing matters here
  m.scaleup_latency_s = 0;
  m.scaleout_latency_s = 0;
  m.scaleup_mesh = mesh;
  return m;
}

// One [[case]] on the given chip, TP 4 on 32 chips, with `extra` recipe lines
// after scaleup_domain (line 5).
std::string mesh_case(const std::string& chip, const std::string& extra) {
  return "[[case]]\nid = \"mesh\"\nsource = \"test\"\nchip = \"" + chip +
         "\"\nscaleup_domain = 8\n" + extra +
         "scaleout_gbps = 200\nchips = 32\ntp = 4\npp = 1\n"
         "reported_tokens_per_s_per_chip = 600\nreported_basis = \"tokens\"\n"
         "[case.workload]\nlayers = 24\nhidden = 2304\nheads = 24\nffn = 9216\nseq_len = 2048\n"
         "vocab = 51200\nglobal_batch_tokens = 1048576\n";
}

}  // namespace

TEST_CASE(
    "a collective over g chips of an 8-chip full mesh reaches (g - 1) / 7 of the chip's "
    "scale-up bandwidth",
    "[training][step_model][mesh]") {
  Machine mesh = ascend_server(true);
  const Machine switched = ascend_server(false);
  // HCCS: 7 links x 56 GB/s = 392 GB/s, read as both directions: 196 GB/s
  // each way, 28 GB/s on each peer link.
  REQUIRE(mesh.scaleup_bytes_per_s == Approx(196e9));
  CHECK(mesh_share(mesh, 4) == Approx(3.0 / 7));  // TP 4: 84 GB/s
  CHECK(mesh_share(mesh, 8) == Approx(1.0));      // TP 8: all 7 links
  CHECK(mesh_share(mesh, 2) == Approx(1.0 / 7));  // a pair: one link
  CHECK(mesh_share(mesh, 1) == Approx(1.0));
  CHECK(mesh_share(switched, 4) == Approx(1.0));

  Layout l;
  l.pp = 1;
  l.microbatch = 1;
  l.zero = 0;
  l.tp_overlap = false;
  l.dp_overlap = false;
  l.recompute = Recompute::none;
  // TP 4, DP 2 on 8 NPUs, 8 sequences: 4 microbatches a chip. Each TP
  // all-reduce moves 2 x 3/4 of b s h BF16 values over 84 GB/s, four a
  // layer, 96 layers.
  l.tp = 4;
  l.dp = 2;
  const StepBreakdown sw = evaluate_layout(big_model(), switched, l);
  const StepBreakdown me = evaluate_layout(big_model(), mesh, l);
  REQUIRE(sw.valid);
  REQUIRE(me.valid);
  const double bytes = 2048.0 * 12288 * 2;
  const double tp_hand = 4 * 96 * 4 * (2 * 3.0 / 4 * bytes / (196e9 * 3 / 7));
  CHECK(me.tp_comm_s == Approx(tp_hand).epsilon(1e-9));
  CHECK(me.tp_comm_s == Approx(7.0 / 3 * sw.tp_comm_s).epsilon(1e-9));
  // The DP pair, 4 ranks apart, shares one link: 1/7 of the bandwidth.
  CHECK(me.dp_comm_s == Approx(7 * sw.dp_comm_s).epsilon(1e-9));

  // TP 8 spans the whole server: the same time as a switch.
  l.tp = 8;
  l.dp = 1;
  const StepBreakdown sw8 = evaluate_layout(big_model(), switched, l);
  const StepBreakdown me8 = evaluate_layout(big_model(), mesh, l);
  REQUIRE(me8.valid);
  CHECK(me8.tp_comm_s == Approx(sw8.tp_comm_s).epsilon(1e-12));
}

TEST_CASE("an expert all-to-all among 4 chips of an 8-chip mesh reaches 3/7 of the bandwidth",
          "[training][moe][mesh]") {
  Workload w = big_model();
  w.experts = 8;
  w.experts_per_token = 2;
  Layout l;
  l.ep = l.dp = 4;
  // 2,048 tokens x 2 experts x 12,288 values x 2 bytes; 3/4 leave the chip,
  // all to in-domain peers, at 3/7 of 196 GB/s.
  const double bytes = 2048.0 * 2 * 12288 * 2;
  const moe::AllToAll a = moe::all_to_all(w, ascend_server(true), l, 2, 0);
  CHECK(a.duration_s == Approx(bytes * 3 / 4 / (196e9 * 3 / 7)).epsilon(1e-9));
  const moe::AllToAll s = moe::all_to_all(w, ascend_server(false), l, 2, 0);
  CHECK(s.duration_s == Approx(bytes * 3 / 4 / 196e9).epsilon(1e-9));
}

TEST_CASE(
    "the catalog's Ascend 910B, Gaudi 2/3 and MI300X-class chips are full meshes, NVIDIA's "
    "switched",
    "[hardware][catalog][mesh]") {
  const Catalog& catalog = test::builtin_catalog();
  for (const char* id : {"huawei_ascend_910b", "intel_gaudi2", "intel_gaudi3", "amd_mi300x",
                         "amd_mi325x", "amd_mi355x"}) {
    INFO(id);
    const Chip* chip = catalog.find_chip(id);
    REQUIRE(chip != nullptr);
    CHECK(chip->scaleup_topology == "mesh");
    CHECK(machine_for(*chip, Precision::bf16, 8, 8, 0).scaleup_mesh);
  }
  for (const char* id : {"nvidia_h100_sxm", "huawei_ascend_910c"}) {
    INFO(id);
    const Chip* chip = catalog.find_chip(id);
    REQUIRE(chip != nullptr);
    CHECK_FALSE(machine_for(*chip, Precision::bf16, 8, 8, 0).scaleup_mesh);
  }
  const System* platform = catalog.find_system("amd_mi300x_platform");
  REQUIRE(platform != nullptr);
  CHECK(platform->scaleup_topology == "mesh");
  // AMD: 7 xGMI links x 64 GB/s each way = 448 GB/s; a TP 4 group reaches
  // 3 of them, 192 GB/s.
  const Machine mi300x = machine_for(*catalog.find_chip("amd_mi300x"), Precision::bf16, 8, 8, 50e9);
  CHECK(mi300x.scaleup_bytes_per_s * mesh_share(mi300x, 4) == Approx(192e9));
}

TEST_CASE("hardware show prints a chip's and a system's scale-up topology",
          "[cli][hardware][catalog][mesh]") {
  for (const char* id : {"huawei_ascend_910b", "amd_mi300x_platform"}) {
    INFO(id);
    const auto r = test::run_process(CLUSTERCAP_BINARY, {"hardware", "show", id}, ".");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("  scaleup_topology                          mesh\n") != std::string::npos);
  }
}

TEST_CASE("a catalog scale-up topology other than switched or mesh is an input error",
          "[hardware][catalog][mesh]") {
  const auto lines = test::error_lines([] {
    load_catalog({{"extra.toml",
                   "[[chip]]\nid = \"test_chip\"\nname = \"Test\"\n"
                   "scaleup_topology = \"ring\"\nsources = [\"x\"]\nestimated = []\n"}});
  });
  CHECK(lines == std::vector<std::string>{
                     "extra.toml:4:20: chip.scaleup_topology = \"ring\": must be \"switched\" or "
                     "\"mesh\""});
}

TEST_CASE("a case's scaleup_mesh overrides the catalog and cannot be combined with a torus",
          "[training][validate][mesh]") {
  const Catalog& catalog = test::builtin_catalog();
  // The catalog's 910B is a mesh; an A100 is switched.
  auto cases = load_validation_cases("cases.toml", mesh_case("huawei_ascend_910b", ""), catalog);
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].machine.scaleup_mesh);
  cases = load_validation_cases("cases.toml",
                                mesh_case("huawei_ascend_910b", "scaleup_mesh = false\n"), catalog);
  REQUIRE(cases.size() == 1);
  CHECK_FALSE(cases[0].machine.scaleup_mesh);
  cases = load_validation_cases(
      "cases.toml", mesh_case("nvidia_a100_sxm_80gb", "scaleup_mesh = true\n"), catalog);
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].machine.scaleup_mesh);
  // A torus case on a mesh chip is a torus.
  cases = load_validation_cases(
      "cases.toml", mesh_case("huawei_ascend_910b", "scaleup_torus_dims = 2\n"), catalog);
  REQUIRE(cases.size() == 1);
  CHECK_FALSE(cases[0].machine.scaleup_mesh);

  const auto lines = test::error_lines([&] {
    load_validation_cases(
        "cases.toml",
        mesh_case("huawei_ascend_910b", "scaleup_torus_dims = 2\nscaleup_mesh = true\n"), catalog);
  });
  CHECK(lines == std::vector<std::string>{"cases.toml:7:16: case.scaleup_mesh = true: a mesh "
                                          "cannot also be a torus (scaleup_torus_dims)"});
}
