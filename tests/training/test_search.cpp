// The step model's memory and overlap choices and precision (hand-derived
// values), and the layout search over them: the GPT-3 175B / 1,024 A100
// family, and pruning checked against the exhaustive search.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/report/validate_report.hpp"
#include "estimator/training/search.hpp"
#include "estimator/training/step_model.hpp"
#include "estimator/validate.hpp"
#include "tests/cli/process.hpp"
#include "tests/support.hpp"
#include "tests/training/reference_shapes.hpp"

using namespace clustercap;
using namespace clustercap::training;
using namespace clustercap::test;

namespace {

// One layer, hidden 1,024, 8 heads of 128, MLP 4,096, one 1,024-token
// sequence, no vocabulary: one microbatch on one chip, no communication.
Workload tiny() {
  Workload w;
  w.params = 12.6e6;
  w.active_params = w.params;
  w.layers = 1;
  w.hidden = 1024;
  w.heads = 8;
  w.kv_heads = 8;
  w.ffn = 4096;
  w.seq_len = 1024;
  w.vocab = 0;
  w.global_batch_tokens = 1024;
  return w;
}

Machine fp8_chip() {
  Machine m = h100s(1);
  m.precision = Precision::fp8;
  m.peak_flops = 2000e12;
  m.bf16_peak_flops = 1000e12;
  m.hbm_bytes = 1e12;
  m.hbm_bytes_per_s = 1e12;
  return m;
}

// GPT-3 175B's layout on 1,024 chips: TP 8, PP 8, DP 16, selective recompute.
Layout gpt3_layout() {
  Layout l;
  l.tp = 8;
  l.pp = 8;
  l.dp = 16;
  l.recompute = Recompute::selective;
  return l;
}

}  // namespace

TEST_CASE("an FP8 step runs the linear layers at the FP8 peak and attention at BF16",
          "[training][precision]") {
  // By hand, b = 1, s = h = 1,024, head width 128 x 8 heads:
  //   linear forward  2 s h (2 x 1,024 + 2 x 1,024) + 2 s h 4,096 x 2 = 3 x 2^33 FLOP
  //   attention fwd   4 s^2 x 1,024                                  = 2^32 FLOP
  // three passes; GEMM efficiency 0.66 x 1,024 / (1,024 + 380) of peak,
  // FP8 GEMMs at 0.95 of that ceiling on the 2,000 TFLOP/s FP8 peak,
  // attention on the 1,000 TFLOP/s BF16 peak. Memory-bound work: 3 x 34
  // bytes x s h, plus the FP8 casts 2 x 4 bytes x s (2h + 1,024 + 4,096).
  const double shape = 1024.0 / (1024.0 + 380.0);
  const double linear_s = 3 * 3 * 8589934592.0 / (2000e12 * 0.66 * 0.95 * shape);
  const double attention_s = 3 * 4294967296.0 / (1000e12 * 0.66 * shape);
  const double elementwise_s = (3 * 34.0 * 1024 * 1024 + 8.0 * 1024 * (2048 + 1024 + 4096)) / 1e12;
  const StepBreakdown r = evaluate_layout(tiny(), fp8_chip(), Layout{});
  REQUIRE(r.valid);
  CHECK(r.step_s == Approx(linear_s + attention_s + elementwise_s).epsilon(1e-12));
  CHECK(r.mfu_bf16 == Approx(2 * r.mfu));  // the BF16 peak is half the FP8 one
}

TEST_CASE("FP8 trains faster than BF16 on an FP8-capable chip", "[training][precision]") {
  Machine bf16 = h100s(1024);
  Machine fp8 = h100s(1024);
  fp8.precision = Precision::fp8;
  fp8.bf16_peak_flops = 989.5e12;
  fp8.peak_flops = 1979e12;
  Layout l = gpt3_layout();
  const StepBreakdown slow = evaluate_layout(gpt3(), bf16, l);
  const StepBreakdown fast = evaluate_layout(gpt3(), fp8, l);
  REQUIRE(slow.fits);
  REQUIRE(fast.fits);
  CHECK(fast.step_s < slow.step_s);
  // ...but not twice as fast: attention, the output layer and the
  // memory-bound work stay at BF16 rates.
  CHECK(fast.step_s > slow.step_s / 2);
}

TEST_CASE("ZeRO stages shard optimizer state, gradients and weights", "[training][zero]") {
  Workload w = gpt3();
  w.seq_len = 1;  // activations: one token's layer inputs, 2 x 12,288 x 96 bytes
  w.global_batch_tokens = 8;
  const double inputs = 2.0 * 12288 * 96;
  Layout l;
  l.dp = 8;
  l.recompute = Recompute::full;
  l.zero = 2;  // 2 + (2 + 12) / 8 = 3.75 bytes per parameter
  CHECK(memory_per_chip(w, l) == Approx(3.75 * 175e9 + inputs).epsilon(1e-12));
  // ZeRO 3: 16 / 8 = 2 bytes per parameter, plus two layers' gathered BF16
  // weights (2 x 175B / 96 x 2 bytes).
  l.zero = 3;
  CHECK(memory_per_chip(w, l) == Approx(2 * 175e9 + 2 * 175e9 / 96 * 2 + inputs).epsilon(1e-12));
  // FP8 adds a 1-byte copy of each weight (sharded with it under ZeRO 3).
  CHECK(memory_per_chip(w, l, Precision::fp8) ==
        Approx(17.0 / 8 * 175e9 + 2 * 175e9 / 96 * 3 + inputs).epsilon(1e-12));
}

TEST_CASE("ZeRO 3 fits GPT-3 175B on 64 A100s where ZeRO 1 does not", "[training][zero]") {
  // ZeRO 1: 4 + 12/64 bytes x 175B = 733 GB per chip; ZeRO 3: 16/64 x 175B
  // = 44 GB + 7.3 GB of gathered layers + 4.8 GB of layer inputs.
  Layout l;
  l.dp = 64;
  l.recompute = Recompute::full;
  Workload w = gpt3();
  w.global_batch_tokens = 64 * 2048.0;
  l.zero = 1;
  CHECK_FALSE(evaluate_layout(w, a100s(64), l).fits);
  l.zero = 3;
  const StepBreakdown r = evaluate_layout(w, a100s(64), l);
  CHECK(r.fits);
  CHECK(r.memory_bytes == Approx(175e9 / 4 + 4 * 175e9 / 96 + 2.0 * 2048 * 12288 * 96));
}

TEST_CASE("sequence parallelism splits the norm-side activations over TP", "[training][sp]") {
  // Korthikanti et al. 2022, selective recompute, TP 8: s b h 34 / 8 with SP,
  // s b h (10 + 24 / 8) without; 96 layers, one microbatch in flight.
  Workload w = gpt3();
  w.global_batch_tokens = 2048;
  Layout l;
  l.tp = 8;
  l.recompute = Recompute::selective;
  const double sbh = 2048.0 * 12288 * 96;
  const double with_sp = memory_per_chip(w, l);
  l.sequence_parallel = false;
  const double without = memory_per_chip(w, l);
  CHECK(without - with_sp == Approx(sbh * (13 - 34.0 / 8)));
  // FP8 saves the linear layers' inputs in one byte: 10 -> 8 replicated,
  // 24 -> 19 split (without SP); 34 -> 27 (with SP).
  const double fp8_without = memory_per_chip(w, l, Precision::fp8);
  l.sequence_parallel = true;
  const double fp8_with = memory_per_chip(w, l, Precision::fp8);
  CHECK(fp8_without - fp8_with == Approx(sbh * (8 + 19.0 / 8 - 27.0 / 8)).epsilon(1e-9));
}

TEST_CASE("TP overlap hides the collectives behind the GEMMs at 15% of their time",
          "[training][overlap]") {
  // On NVLink the TP collectives take less than the linear layers' GEMMs,
  // so with overlap only the SMs they occupy are lost: 0.15 x their time
  // (Calculon's NVLink processor_usage).
  Layout l = gpt3_layout();
  const StepBreakdown plain = evaluate_layout(gpt3(), a100s(1024), l);
  l.tp_overlap = true;
  const StepBreakdown overlapped = evaluate_layout(gpt3(), a100s(1024), l);
  REQUIRE(plain.tp_comm_s > 0);
  CHECK(overlapped.tp_comm_s == Approx(0.15 * plain.tp_comm_s));
}

TEST_CASE("DP overlap hides all but the last bucket when the links keep up",
          "[training][overlap]") {
  // GPT-3, TP 8, PP 8, DP 16 on A100s, four 2,048-token sequences per
  // microbatch: a layer's share of the gradients (1/12 of 175B / 64 x 2
  // bytes) crosses one 25 GB/s NIC in 17 ms, less than the layer's ~23 ms
  // forward compute (2 x 12 h^2 x 8,192 tokens / 8 at ~165 TFLOP/s). ZeRO 1 over 16 replicas:
  // reduce-scatter and all-gather, each 15/16 x the bytes; with overlap each pass exposes one
  // bucket and 2% (Calculon's InfiniBand processor_usage) of the other 11.
  Layout l = gpt3_layout();
  l.microbatch = 4;
  const double bucket_s = 15.0 / 16 * (175e9 / 64 * 2 / 12) / 25e9;
  const StepBreakdown r = evaluate_layout(gpt3(), a100s(1024), l);
  CHECK(r.dp_comm_s == Approx(2 * (bucket_s + 11 * 0.02 * bucket_s)));
  CHECK(r.dp_overlap_fraction == Approx(1 - (1 + 11 * 0.02) / 12));
  l.dp_overlap = false;
  CHECK(evaluate_layout(gpt3(), a100s(1024), l).dp_comm_s == Approx(2 * 12 * bucket_s));
}

TEST_CASE("optimizer offload moves the state to the host and the step pays the link",
          "[training][offload]") {
  // TP 8, PP 8, DP 16, ZeRO 1: this chip's shard is 175B / 64 / 16
  // parameters; the host step sends 2-byte gradients down and 2-byte weights
  // up over a 64 GB/s link, and HBM keeps no optimizer bytes (12 / 16 x
  // 175B / 64 less).
  Machine m = a100s(1024);
  m.host_bytes_per_s = 64e9;
  Layout l = gpt3_layout();
  const StepBreakdown kept = evaluate_layout(gpt3(), m, l);
  l.offload_optimizer = true;
  const StepBreakdown moved = evaluate_layout(gpt3(), m, l);
  CHECK(moved.offload_s == Approx(4 * 175e9 / 64 / 16 / 64e9));
  CHECK(moved.step_s - kept.step_s == Approx(moved.offload_s));
  CHECK(kept.memory_bytes - moved.memory_bytes == Approx(12.0 / 16 * 175e9 / 64));
  // Without a host link offload is no layout.
  m.host_bytes_per_s = 0;
  CHECK(evaluate_layout(gpt3(), m, l).problem.problem == LayoutProblem::no_host_link);
}

TEST_CASE("a chip without HBM bandwidth is no layout rather than a default",
          "[training][machine]") {
  Machine m = a100s(8);
  m.hbm_bytes_per_s = 0;
  Layout l;
  l.dp = 8;
  const StepBreakdown r = evaluate_layout(gpt3(), m, l);
  CHECK_FALSE(r.valid);
  CHECK(r.problem.problem == LayoutProblem::no_hbm_bandwidth);
  CHECK(report::layout_problem_text(r.problem) == "the chip has no HBM bandwidth in the catalog");
}

TEST_CASE("head_dim unties the attention width from hidden / heads", "[training][shape]") {
  // 8 heads of 256 on hidden 1,024: the projections are 2 s h (2 x 2,048 +
  // 2 x 2,048) and the scores 4 s^2 x 2,048, twice the tied shape's.
  Workload tied = tiny();
  Workload wide = tiny();
  wide.head_dim = 256;
  const double s = 1024, h = 1024;
  CHECK(model_flop_per_step(wide) - model_flop_per_step(tied) ==
        Approx(3 * (2 * s * h * 4096 + 4 * s * s * 1024)));
}

TEST_CASE("a parallel attention+MLP block halves the TP collectives", "[training][shape]") {
  Layout l = gpt3_layout();
  Workload parallel = gpt3();
  parallel.parallel_block = true;
  CHECK(evaluate_layout(parallel, a100s(1024), l).tp_comm_s ==
        Approx(evaluate_layout(gpt3(), a100s(1024), l).tp_comm_s / 2));
}

TEST_CASE("the GPT-3 175B / 1,024 A100 search covers TP 2 / PP 8 with SP and a sharded optimizer",
          "[training][search]") {
  const SearchResult all = search_layouts(gpt3(), a100s(1024), 1, 1);
  REQUIRE_FALSE(all.best.empty());
  CHECK(all.considered >= all.evaluated + all.pruned);
  CHECK(all.pruned > 0);
  SearchOptions o;
  o.keep = 1;
  o.fixed.tp = 2;
  o.fixed.pp = 8;
  const SearchResult family = search_layouts(gpt3(), a100s(1024), o);
  REQUIRE_FALSE(family.best.empty());
  const Layout& l = family.best.front().first;
  CHECK(l.tp == 2);
  CHECK(l.pp == 8);
  CHECK(l.dp == 64);
  CHECK(l.sequence_parallel);
  CHECK(l.zero >= 1);
  // The unconstrained best is at least as fast as the family's.
  CHECK(all.best.front().second.step_s <= family.best.front().second.step_s);
}

TEST_CASE("pruning never drops the fastest layout", "[training][search]") {
  // Small problems where memory is tight enough that ZeRO stages, recompute
  // and offload all matter: the pruned search finds the exhaustive one's
  // best step time exactly, evaluating fewer layouts.
  struct Problem {
    double hbm_bytes;
    int chips;
    double params_scale;
  };
  for (const Problem p : {Problem{80e9, 64, 1.0}, Problem{40e9, 128, 1.0}, Problem{24e9, 64, 0.5},
                          Problem{16e9, 256, 1.0}}) {
    Workload w = gpt3();
    w.layers = 24;
    w.params = 175e9 / 4 * p.params_scale;
    w.global_batch_tokens = 512 * 2048.0;
    Machine m = a100s(p.chips);
    m.hbm_bytes = p.hbm_bytes;
    m.host_bytes_per_s = 32e9;
    SearchOptions pruned;
    pruned.keep = 1;
    SearchOptions exhaustive = pruned;
    exhaustive.prune = false;
    const SearchResult a = search_layouts(w, m, pruned);
    const SearchResult b = search_layouts(w, m, exhaustive);
    INFO("hbm " << p.hbm_bytes << " chips " << p.chips);
    REQUIRE(a.best.empty() == b.best.empty());
    if (a.best.empty()) continue;
    CHECK(a.best.front().second.step_s == Approx(b.best.front().second.step_s).epsilon(1e-12));
    CHECK(a.evaluated < b.evaluated);
    CHECK(b.pruned == 0);
    CHECK(a.considered == b.considered);
  }
}

TEST_CASE("validate reads the precision, ZeRO, SP, overlap and offload keys",
          "[training][validate][precision]") {
  const std::string text =
      "[[case]]\nid = \"fp8\"\nsource = \"test\"\nchip = \"nvidia_h100_sxm\"\nscaleup_domain = 8\n"
      "scaleout_gbps = 400\nchips = 64\ntp = 8\npp = 1\nprecision = \"fp8\"\nzero = 2\n"
      "sequence_parallel = false\ntp_overlap = true\ndp_overlap = false\n"
      "offload = [\"optimizer\"]\nreported_tflops_per_chip = 500\n"
      "reported_basis = \"model_tflops\"\n[case.workload]\nlayers = 24\nhidden = 4096\n"
      "heads = 32\nffn = 16384\nseq_len = 2048\nvocab = 51200\nhead_dim = 64\n"
      "parallel_block = true\nglobal_batch_tokens = 1048576\n";
  const auto cases = load_validation_cases("cases.toml", text, test::builtin_catalog());
  REQUIRE(cases.size() == 1);
  const ValidationCase& c = cases.front();
  CHECK(c.machine.precision == Precision::fp8);
  CHECK(c.machine.peak_flops == Approx(1979e12));
  CHECK(c.machine.bf16_peak_flops == Approx(989.5e12));
  CHECK(c.fixed.zero == 2);
  CHECK(c.fixed.sequence_parallel == false);
  CHECK(c.fixed.tp_overlap == true);
  CHECK(c.fixed.dp_overlap == false);
  CHECK(c.fixed.offload_optimizer == true);
  CHECK(c.host_link_defaulted);
  CHECK(c.machine.host_bytes_per_s == Approx(504e9 / 8));
  CHECK(c.workload.head_dim == Approx(64));
  CHECK(c.workload.parallel_block);
  const ValidationResult r = run_validation(cases, 1);
  REQUIRE(r.rows.front().published.fit);
  const Layout& l = r.rows.front().published.layout;
  CHECK(l.zero == 2);
  CHECK_FALSE(l.sequence_parallel);
  CHECK(l.tp_overlap);
  CHECK_FALSE(l.dp_overlap);
  CHECK(l.offload_optimizer);
  CHECK_FALSE(l.offload_activations);
  std::ostringstream table;
  report::write_validate_table(r, table);
  CHECK(table.str().find("fp8: offload over the default host link, PCIe 5.0 x16 (504 Gb/s each "
                         "way); set host_link_gbps\n") != std::string::npos);
}

TEST_CASE("validate rejects a precision the chip has no peak for, and unknown values",
          "[training][validate][precision]") {
  const std::string text =
      "[[case]]\nid = \"a100-fp8\"\nsource = \"test\"\nchip = \"nvidia_a100_sxm_80gb\"\n"
      "scaleup_domain = 8\nscaleout_gbps = 200\nchips = 32\ntp = 1\npp = 1\n"
      "precision = \"fp8\"\noffload = [\"weights\"]\nreported_mfu = 0.4\n"
      "reported_basis = \"model\"\n[case.workload]\nlayers = 24\nhidden = 2304\nheads = 24\n"
      "ffn = 9216\nseq_len = 2048\nvocab = 51200\nglobal_batch_tokens = 1048576\n"
      "[[case]]\nid = \"int8\"\nsource = \"test\"\nchip = \"nvidia_a100_sxm_80gb\"\n"
      "scaleup_domain = 8\nscaleout_gbps = 200\nchips = 32\ntp = 1\npp = 1\n"
      "precision = \"int8\"\nreported_mfu = 0.4\n"
      "reported_basis = \"model\"\n[case.workload]\nlayers = 24\nhidden = 2304\nheads = 24\n"
      "ffn = 9216\nseq_len = 2048\nvocab = 51200\nglobal_batch_tokens = 1048576\n";
  const auto lines = test::error_lines(
      [&] { load_validation_cases("cases.toml", text, test::builtin_catalog()); });
  CHECK(lines ==
        std::vector<std::string>{
            "cases.toml:10:13: case.precision = \"fp8\": the chip has no dense fp8 peak in "
            "the catalog",
            "cases.toml:11:11: case.offload = [...]: items must be \"optimizer\" or "
            "\"activations\"",
            "cases.toml:31:13: case.precision = \"int8\": must be bf16, fp8 or fp4"});
}

TEST_CASE("a scenario's port_gbps wins over the catalog NIC figure in the step model",
          "[training][network][cli]") {
  // Llama 3 70B on H100s, whose catalog NIC is 400 Gb/s; the file sets the
  // fabric to 50 Gb/s per chip (BLOOM's Jean Zay), which the step model uses
  // and the estimate names.
  std::ifstream in(std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/llama3-70b-workload.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string scenario = text.str();
  const std::string from = "port_gbps = 400";
  REQUIRE(scenario.find(from) != std::string::npos);
  scenario.replace(scenario.find(from), from.size(), "port_gbps = 50");
  const auto dir = std::filesystem::temp_directory_path() / "clustercap-port-gbps";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "slow.toml") << scenario;
  const auto r = test::run_process(CLUSTERCAP_BINARY, {"estimate", "slow.toml", "--format", "json"},
                                   dir.string());
  REQUIRE(r.exit_code == 0);
  const auto doc = nlohmann::json::parse(r.out);
  const auto& training = doc["actors"][0]["training"];
  CHECK(training["scaleout_gbps_per_chip"].get<double>() == Approx(50));
  CHECK(training["scaleout_source"] == "network.port_gbps");
}
