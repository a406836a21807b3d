#include "estimator/validate.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <utility>

#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/scenario/workload_loader.hpp"
#include "estimator/training/fitted_constants.hpp"
#include "estimator/training/machine.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {
// The files embedded at build time (estimator/CMakeLists.txt), in the
// scenario layer's generated source.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_config_files();
}  // namespace clustercap

namespace clustercap::training {
namespace {

// PCIe 5.0 x16: 32 GT/s x 16 lanes with 128b/130b coding, about 63 GB/s
// (504 Gb/s) each way (PCI-SIG); used when a case offloads and gives no
// host_link_gbps, and flagged in the output.
constexpr double kDefaultHostLinkGbps = 504;

double predicted(const ValidationCase& c, const StepBreakdown& r) {
  if (c.basis == "model_tflops") {
    return causal_model_flop_per_step(c.workload) / r.step_s / c.machine.chips / 1e12;
  }
  if (c.basis == "megatron") {
    const double sequences = c.workload.global_batch_tokens / c.workload.seq_len;
    return megatron_flop_per_iteration(sequences, c.workload.seq_len, c.workload.layers,
                                       c.workload.hidden, c.workload.vocab) /
           r.step_s / c.machine.chips / 1e12;
  }
  // Tokens per second per chip: no FLOP convention to agree on.
  if (c.basis == "tokens") return r.tokens_per_s / c.machine.chips;
  return r.mfu_bf16;
}

// Best layout with TP, PP and CP and the recipe's pinned choices as
// published (the rest searched). When none runs, the reason is the step
// model's: memory (the smallest need of the layouts that run) when some run,
// else what stops the plainest layout of that shape.
ValidationPrediction published(const ValidationCase& c, int threads, std::uint64_t& evaluated) {
  SearchOptions o;
  o.keep = 1;
  o.threads = threads;
  o.fixed = c.fixed;
  // A recipe choice the case leaves unset takes Megatron-LM's usual setting
  // (the model's constants were fitted with these): distributed optimizer
  // (ZeRO 1), sequence parallelism, overlapped DP traffic, no TP overlap, no
  // offload. Microbatch, interleaving and recompute stay searched.
  if (!o.fixed.zero) o.fixed.zero = 1;
  if (!o.fixed.sequence_parallel) o.fixed.sequence_parallel = true;
  if (!o.fixed.tp_overlap) o.fixed.tp_overlap = false;
  if (!o.fixed.dp_overlap) o.fixed.dp_overlap = true;
  if (!o.fixed.offload_optimizer) o.fixed.offload_optimizer = false;
  if (!o.fixed.offload_activations) o.fixed.offload_activations = false;
  o.fixed.tp = c.tp;
  o.fixed.pp = c.pp;
  o.fixed.cp = c.cp;
  o.fixed.ep = c.ep;
  o.fixed.etp = c.etp;
  const SearchResult s = search_layouts(c.workload, c.machine, o);
  evaluated += s.evaluated;
  ValidationPrediction best;
  if (!s.best.empty()) {
    const StepBreakdown& fastest = s.best.front().second;
    best.fit = true;
    best.layout = s.best.front().first;
    best.predicted = predicted(c, fastest);
    best.step = fastest;
  } else if (s.evaluated > 0) {
    best.no_fit = {LayoutProblem::memory, s.min_memory_bytes, c.machine.hbm_bytes};
  } else {
    Layout plain;
    plain.tp = c.tp;
    plain.pp = c.pp;
    plain.cp = c.cp;
    plain.dp = c.machine.chips / (c.tp * c.pp * c.cp);
    plain.ep = c.ep;
    plain.etp = c.etp;
    plain.microbatch = c.fixed.microbatch.value_or(1);
    best.no_fit = evaluate_layout(c.workload, c.machine, plain).problem;
  }
  return best;
}

// The fastest layout the search finds; when none fits, the smallest memory
// need of the layouts that run, or (none runs) what stops the plainest one.
ValidationPrediction searched(const ValidationCase& c, const SearchResult& s) {
  ValidationPrediction p;
  if (!s.best.empty()) {
    p.fit = true;
    p.layout = s.best.front().first;
    p.predicted = predicted(c, s.best.front().second);
    p.step = s.best.front().second;
  } else if (s.evaluated > 0) {
    p.no_fit = {LayoutProblem::memory, s.min_memory_bytes, c.machine.hbm_bytes};
  } else {
    Layout plain;
    plain.cp = c.workload.forced_cp > 0 ? c.workload.forced_cp : 1;
    plain.dp = c.machine.chips / plain.cp;
    p.no_fit = evaluate_layout(c.workload, c.machine, plain).problem;
  }
  return p;
}

// Data-parallel degree of the case's published layout: chips / (tp pp cp),
// 0 when that does not divide.
long data_parallel(const ValidationCase& c) {
  const long model_parallel = static_cast<long>(c.tp) * c.pp * c.cp;
  if (model_parallel <= 0 || c.machine.chips % model_parallel != 0) return 0;
  return c.machine.chips / model_parallel;
}

// The expert-parallel keys of a case: `ep` and `etp` (expert ranks drawn
// from a stage's tp x cp x dp ranks, as Megatron-Core does: Layout), the
// all-to-all overlap and the routing imbalance.
void read_expert_keys(TableReader& r, ValidationCase& c) {
  c.ep = static_cast<int>(r.integer("ep", Range::closed(1, 4096)).value_or(1));
  c.etp = static_cast<int>(r.integer("etp", Range::closed(1, 1024)).value_or(1));
  c.workload.a2a_overlap = r.number("a2a_overlap", Range::closed(0, 1)).value_or(0);
  c.workload.expert_imbalance =
      r.number("expert_imbalance", Range::closed(1, 1000)).value_or(c.workload.expert_imbalance);
  c.workload.dropless = r.boolean("dropless").value_or(c.workload.dropless);
  if (auto dispatcher = r.string("dispatcher")) {
    if (*dispatcher == "alltoall") {
      c.workload.dispatcher = Dispatcher::alltoall;
    } else if (*dispatcher == "deepep") {
      c.workload.dispatcher = Dispatcher::deepep;
    } else if (*dispatcher == "hybridep") {
      c.workload.dispatcher = Dispatcher::hybridep;
    } else {
      r.error_at("dispatcher", "must be alltoall, deepep or hybridep");
    }
  }
  const long stage_ranks = static_cast<long>(c.tp) * c.cp * data_parallel(c);
  const long expert_ranks = static_cast<long>(c.ep) * c.etp;
  const bool bad =
      c.workload.experts % c.ep != 0 || (stage_ranks > 0 && stage_ranks % expert_ranks != 0);
  if ((c.ep > 1 || c.etp > 1) && bad) {
    r.error_at(c.etp > 1 && c.ep == 1 ? "etp" : "ep",
               "ep must divide the experts (" + std::to_string(c.workload.experts) +
                   ") and ep x etp (" + std::to_string(expert_ranks) +
                   ") the tp x cp x dp ranks of a pipeline stage (" + std::to_string(stage_ranks) +
                   ")");
  }
}

// `microbatch` (or its alias `mbs`): the published micro-batch size, a
// positive integer dividing the sequences each data-parallel rank takes per
// step; unset, the published layout searches it.
void read_microbatch(TableReader& r, ValidationCase& c) {
  const auto long_name = r.integer("microbatch", Range::closed(1, 1 << 20));
  const auto alias = r.integer("mbs", Range::closed(1, 1 << 20));
  if (long_name && alias) r.error_at("mbs", "repeats microbatch: give one of them");
  const auto mb = long_name ? long_name : alias;
  if (!mb) return;
  const char* key = long_name ? "microbatch" : "mbs";
  c.fixed.microbatch = static_cast<int>(*mb);
  const long dp = data_parallel(c);
  const double sequences =
      c.workload.seq_len > 0 ? c.workload.global_batch_tokens / c.workload.seq_len : 0;
  const double per_rank = dp > 0 ? sequences / static_cast<double>(dp) : 0;
  const double microbatches = per_rank / static_cast<double>(*mb);
  if (dp > 0 && sequences > 0 && (microbatches < 1 || microbatches != std::floor(microbatches))) {
    r.error_at(
        key, "must divide the sequences per data-parallel rank (" + format_number(per_rank) + ")");
  }
}

// `bf16_layers_at_start` / `bf16_layers_at_end`: the first and last layers an
// FP8/FP4 recipe keeps in BF16 (Megatron-LM's --num-layers-at-start-in-bf16,
// --num-layers-at-end-in-bf16); none between them, none in a BF16 run.
void read_bf16_edge_layers(TableReader& r, ValidationCase& c) {
  const long layers = c.workload.layers;
  const auto start = r.integer("bf16_layers_at_start", Range::closed(0, 1 << 20));
  const auto end = r.integer("bf16_layers_at_end", Range::closed(0, 1 << 20));
  if (!start && !end) return;
  const long both = start.value_or(0) + end.value_or(0);
  const char* key = end ? "bf16_layers_at_end" : "bf16_layers_at_start";
  if (both > 0 && c.machine.precision == Precision::bf16) {
    r.error_at(key,
               "needs precision = \"fp8\" or \"fp4\" (a BF16 run has no low-precision layers)");
  } else if (layers > 0 && both > layers) {
    r.error_at(key, "bf16_layers_at_start + bf16_layers_at_end must not exceed the layers (" +
                        std::to_string(layers) + ")");
  }
  c.workload.bf16_layers_at_start = static_cast<int>(start.value_or(0));
  c.workload.bf16_layers_at_end = static_cast<int>(end.value_or(0));
}

// [case.workload] shape keys the scenario workload table does not have.
void read_shape(TableReader& w, Workload& workload) {
  workload.head_dim = w.number("head_dim", Range::positive(1e5)).value_or(0.0);
  workload.parallel_block = w.boolean("parallel_block").value_or(false);
}

// The [[case]] recipe keys: precision, ZeRO stage, sequence parallelism,
// overlap, offload and per-tier network figures (docs/validation-cases.md).
void read_recipe(TableReader& r, ValidationCase& c) {
  if (auto text = r.string("precision")) {
    const auto p = parse_precision(*text);
    if (p && (*p == Precision::bf16 || *p == Precision::fp8 || *p == Precision::fp4)) {
      c.machine.precision = *p;
    } else {
      r.error_at("precision", "must be bf16, fp8 or fp4");
    }
  }
  if (auto z = r.integer("zero", Range::closed(0, 3))) c.fixed.zero = static_cast<int>(*z);
  if (auto v = r.integer("interleave", Range::closed(1, 1024)))
    c.fixed.interleave = static_cast<int>(*v);
  c.fixed.sequence_parallel = r.boolean("sequence_parallel");
  c.fixed.tp_overlap = r.boolean("tp_overlap");
  c.fixed.dp_overlap = r.boolean("dp_overlap");
  if (auto list = r.string_list("offload")) {
    c.fixed.offload_optimizer = false;
    c.fixed.offload_activations = false;
    for (const std::string& item : *list) {
      if (item == "optimizer") {
        c.fixed.offload_optimizer = true;
      } else if (item == "activations") {
        c.fixed.offload_activations = true;
      } else {
        r.error_at("offload", "items must be \"optimizer\" or \"activations\"");
      }
    }
  }
  const bool offloads =
      c.fixed.offload_optimizer.value_or(false) || c.fixed.offload_activations.value_or(false);
  const auto host_gbps = r.number("host_link_gbps", Range::positive(1e5));
  if (offloads) {
    c.host_link_defaulted = !host_gbps;
    c.machine.host_bytes_per_s = host_gbps.value_or(kDefaultHostLinkGbps) * 1e9 / 8;
  }
  if (auto gbps = r.number("scaleup_gbps", Range::positive(1e6)))
    c.machine.scaleup_bytes_per_s = *gbps * 1e9 / 8;
  // TPU ICI: a 2D (v5e, v6e) or 3D (v4, v5p) torus instead of a switch.
  if (auto dims = r.integer("scaleup_torus_dims", Range::closed(0, 3))) {
    if (*dims == 1) r.error_at("scaleup_torus_dims", "must be 0 (switched), 2 or 3");
    c.machine.scaleup_torus_dims = static_cast<int>(*dims);
  }
  // A switchless full mesh (Ascend HCCS, Gaudi, AMD xGMI); the chip's
  // catalog scaleup_topology when unset.
  if (auto mesh = r.boolean("scaleup_mesh")) {
    if (*mesh && c.machine.scaleup_torus_dims >= 2)
      r.error_at("scaleup_mesh", "a mesh cannot also be a torus (scaleup_torus_dims)");
    c.machine.scaleup_mesh = *mesh;
  }
  c.machine.scaleup_efficiency =
      r.number("scaleup_efficiency", Range::unit_fraction()).value_or(c.machine.scaleup_efficiency);
  c.machine.scaleout_efficiency = r.number("scaleout_efficiency", Range::unit_fraction())
                                      .value_or(c.machine.scaleout_efficiency);
  c.machine.scaleup_latency_s = r.number("scaleup_latency_us", Range::non_negative(1e6))
                                    .value_or(c.machine.scaleup_latency_s * 1e6) /
                                1e6;
  c.machine.scaleout_latency_s = r.number("scaleout_latency_us", Range::non_negative(1e6))
                                     .value_or(c.machine.scaleout_latency_s * 1e6) /
                                 1e6;
  // The attention kernel's measured forward and backward shares of the BF16
  // peak (both or neither), and a selective policy's recomputed matmul share.
  const auto forward = r.number("attention_forward_efficiency", Range::unit_fraction());
  const auto backward = r.number("attention_backward_efficiency", Range::unit_fraction());
  const bool has_forward = r.has("attention_forward_efficiency");
  if (has_forward != r.has("attention_backward_efficiency")) {
    r.error_at(has_forward ? "attention_forward_efficiency" : "attention_backward_efficiency",
               "needs attention_forward_efficiency and attention_backward_efficiency together");
  }
  c.machine.attention_forward_efficiency = forward.value_or(0.0);
  c.machine.attention_backward_efficiency = backward.value_or(0.0);
  if (auto share = r.number("recompute_matmul_share", Range::unit_fraction())) {
    if (c.fixed.recompute == Recompute::full) {
      r.error_at("recompute_matmul_share",
                 "must be unset with recompute = \"full\" (it recomputes every matmul)");
    }
    c.machine.recompute_matmul_share = *share;
  }
}

}  // namespace

const char* to_string(CaseGroup g) {
  return g == CaseGroup::in_sample ? "in_sample" : "out_of_sample";
}

std::string chip_family(const Chip& chip) {
  // Id prefixes of the catalog's chips, most specific first.
  static const std::pair<std::string_view, std::string_view> families[] = {
      {"nvidia_a100", "A100"},        {"nvidia_a800", "A100"},       {"nvidia_h100", "H100-class"},
      {"nvidia_h200", "H100-class"},  {"nvidia_h800", "H100-class"}, {"nvidia_h20", "H100-class"},
      {"nvidia_b200", "B200-class"},  {"nvidia_b300", "B200-class"}, {"nvidia_gb200", "B200-class"},
      {"nvidia_gb300", "B200-class"}, {"google_tpu", "TPU"},         {"huawei_ascend", "Ascend"},
      {"amd_mi", "AMD Instinct"},     {"intel_gaudi", "Gaudi"}};
  for (const auto& [prefix, family] : families) {
    if (chip.id.compare(0, prefix.size(), prefix) == 0) return std::string(family);
  }
  return chip.vendor.empty() ? chip.id : chip.vendor;
}

const std::string& default_validation_text() {
  static const std::string text(embedded_config("configs/validation/published-runs.toml"));
  return text;
}

std::vector<std::pair<std::string, std::string>> default_validation_files() {
  constexpr std::string_view kFolder = "configs/validation/";
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& [name, content] : embedded_config_files()) {
    if (name.compare(0, kFolder.size(), kFolder) == 0) files.emplace_back(name, content);
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// One file's cases; `seen` maps each case id already read to its file, so a
// repeat in this or a later file is an error at its `id`.
std::vector<ValidationCase> load_cases(const std::string& name, const std::string& text,
                                       const Catalog& catalog,
                                       std::map<std::string, std::string>& seen) {
  Diagnostics diagnostics;
  auto document = parse_toml(name, text, diagnostics);
  diagnostics.throw_if_any();
  TableReader root(*document, "", name, diagnostics);
  std::vector<ValidationCase> cases;
  for (auto& r : root.table_array("case", Presence::required)) {
    ValidationCase c;
    c.id = r.string("id", Presence::required).value_or("");
    c.file = name;
    if (!c.id.empty()) {
      const auto [earlier, fresh] = seen.emplace(c.id, name);
      if (!fresh) r.error_at("id", "repeats a case id already in " + earlier->second);
    }
    c.source = r.string("source", Presence::required).value_or("");
    c.chip_id = r.string("chip", Presence::required).value_or("");
    const Chip* chip = catalog.find_chip(c.chip_id);
    if (!c.chip_id.empty() && chip == nullptr) {
      r.error_at("chip", "unknown chip id" + did_you_mean(c.chip_id, catalog.chip_ids()));
    }
    c.machine.scaleup_domain = static_cast<int>(
        r.integer("scaleup_domain", Range::closed(1, 1e6), Presence::required).value_or(8));
    const double scaleout_gbps =
        r.number("scaleout_gbps", Range::positive(1e5), Presence::required).value_or(400);
    c.machine.chips =
        static_cast<int>(r.integer("chips", Range::closed(1, 1e7), Presence::required).value_or(1));
    c.tp =
        static_cast<int>(r.integer("tp", Range::closed(1, 1024), Presence::required).value_or(1));
    c.pp =
        static_cast<int>(r.integer("pp", Range::closed(1, 1024), Presence::required).value_or(1));
    c.cp = static_cast<int>(r.integer("cp", Range::closed(1, 1024)).value_or(1));
    c.recompute = r.string("recompute").value_or("");
    if (c.recompute == "none") c.fixed.recompute = Recompute::none;
    if (c.recompute == "selective") c.fixed.recompute = Recompute::selective;
    if (c.recompute == "full") c.fixed.recompute = Recompute::full;
    if (!c.recompute.empty() && !c.fixed.recompute) {
      r.error_at("recompute", "must be none, selective or full");
    }
    read_recipe(r, c);
    c.basis = r.string("reported_basis", Presence::required).value_or("");
    if (c.basis == "megatron" || c.basis == "model_tflops") {
      c.reported = r.number("reported_tflops_per_chip", Range::positive(1e6), Presence::required)
                       .value_or(1);
    } else if (c.basis == "model") {
      c.reported = r.number("reported_mfu", Range::unit_fraction(), Presence::required).value_or(1);
    } else if (c.basis == "tokens") {
      // Throughput as published, free of any FLOP-counting convention.
      c.reported =
          r.number("reported_tokens_per_s_per_chip", Range::positive(1e9), Presence::required)
              .value_or(1);
    } else if (!c.basis.empty()) {
      r.error_at("reported_basis",
                 "must be \"megatron\", \"model\", \"model_tflops\" or \"tokens\"");
    }
    if (auto w = r.table("workload", Presence::required)) {
      c.workload = read_workload(*w, false);
      read_shape(*w, c.workload);
      w->report_unknown_keys();
    }
    read_expert_keys(r, c);
    read_microbatch(r, c);
    // Whether the recipe uses dropout (its masks are saved activations).
    if (auto dropout = r.boolean("dropout")) c.workload.dropout = *dropout;
    // The BF16 edge layers of an FP8/FP4 recipe (Workload::bf16_layers_at_*).
    read_bf16_edge_layers(r, c);
    // How the recipe fills the pipeline stages (Workload::pipeline_split).
    if (auto split = r.string("pipeline_split")) {
      if (*split == "layers") {
        c.workload.pipeline_split = PipelineSplit::layers;
      } else if (*split == "embedding_loss") {
        c.workload.pipeline_split = PipelineSplit::embedding_loss;
      } else {
        r.error_at("pipeline_split", "must be layers or embedding_loss");
      }
    }
    if (c.workload.seq_len > 0 && std::fmod(c.workload.seq_len, c.cp) != 0) {
      r.error_at("cp",
                 "must divide the workload's seq_len (" + format_number(c.workload.seq_len) + ")");
    }
    r.report_unknown_keys();
    // The step model's hardware figures: a missing one would run as zero.
    if (chip != nullptr && !chip->peak_flops(Precision::bf16)) {
      r.error_at("chip", "has no dense bf16 peak in the catalog");
    }
    if (chip != nullptr && c.machine.precision != Precision::bf16 &&
        !chip->peak_flops(c.machine.precision)) {
      r.error_at("precision", "the chip has no dense " +
                                  std::string(to_string(c.machine.precision)) +
                                  " peak in the catalog");
    }
    if (chip != nullptr && !chip->hbm_bytes) r.error_at("chip", "has no hbm_gb in the catalog");
    if (chip != nullptr && !chip->hbm_bandwidth_bytes_per_s)
      r.error_at("chip", "has no hbm_bw_tbs in the catalog");
    const Machine recipe = c.machine;
    if (chip != nullptr) {
      c.chip_family = chip_family(*chip);
      if (chip->matmul_efficiency) {
        c.matmul_efficiency = {chip->id, *chip->matmul_efficiency,
                               chip->matmul_efficiency_fitted_on, chip->matmul_efficiency_notes};
      }
      c.machine = machine_for(*chip, recipe.precision, recipe.chips, recipe.scaleup_domain,
                              scaleout_gbps * 1e9 / 8);
    } else {
      c.machine.scaleout_bytes_per_s = scaleout_gbps * 1e9 / 8;
    }
    // The case's network and host-link figures win over the catalog's.
    if (r.has("scaleup_gbps")) c.machine.scaleup_bytes_per_s = recipe.scaleup_bytes_per_s;
    c.machine.scaleup_efficiency = recipe.scaleup_efficiency;
    c.machine.attention_forward_efficiency = recipe.attention_forward_efficiency;
    c.machine.attention_backward_efficiency = recipe.attention_backward_efficiency;
    c.machine.recompute_matmul_share = recipe.recompute_matmul_share;
    c.machine.scaleout_efficiency = recipe.scaleout_efficiency;
    c.machine.scaleup_latency_s = recipe.scaleup_latency_s;
    c.machine.scaleout_latency_s = recipe.scaleout_latency_s;
    c.machine.host_bytes_per_s = recipe.host_bytes_per_s;
    c.machine.scaleup_torus_dims = recipe.scaleup_torus_dims;
    if (r.has("scaleup_mesh") || recipe.scaleup_torus_dims >= 2)
      c.machine.scaleup_mesh = recipe.scaleup_mesh;
    cases.push_back(std::move(c));
  }
  root.report_unknown_keys();
  diagnostics.throw_if_any();
  return cases;
}

}  // namespace

std::vector<ValidationCase> load_validation_cases(const std::string& name, const std::string& text,
                                                  const Catalog& catalog) {
  std::map<std::string, std::string> seen;
  return load_cases(name, text, catalog, seen);
}

std::vector<ValidationCase> load_validation_files(
    const std::vector<std::pair<std::string, std::string>>& files, const Catalog& catalog) {
  std::map<std::string, std::string> seen;
  std::vector<ValidationCase> cases;
  std::vector<InputError> errors;
  for (const auto& [name, text] : files) {
    try {
      auto more = load_cases(name, text, catalog, seen);
      cases.insert(cases.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    } catch (const InputErrors& e) {
      errors.insert(errors.end(), e.errors().begin(), e.errors().end());
    }
  }
  if (!errors.empty()) throw InputErrors(std::move(errors));
  return cases;
}

ErrorSummary summarize_errors(std::string label, std::size_t cases,
                              std::vector<double> abs_errors) {
  ErrorSummary s;
  s.label = std::move(label);
  s.cases = cases;
  s.cases_scored = abs_errors.size();
  if (abs_errors.empty()) return s;
  std::sort(abs_errors.begin(), abs_errors.end());
  const std::size_t n = abs_errors.size();
  s.median_abs_error =
      n % 2 ? abs_errors[n / 2] : 0.5 * (abs_errors[n / 2 - 1] + abs_errors[n / 2]);
  s.worst_abs_error = abs_errors.back();
  return s;
}

ValidationResult run_validation(const std::vector<ValidationCase>& cases, int threads) {
  ValidationResult result;
  const auto& constants = fitted_constants();
  // Cases a catalogued chip figure was derived from count as in-sample too.
  std::vector<std::string> fitted_in_catalog;
  for (const auto& c : cases) {
    const ChipMatmulEfficiency& e = c.matmul_efficiency;
    if (e.chip_id.empty()) continue;
    const bool seen =
        std::any_of(result.matmul_efficiencies.begin(), result.matmul_efficiencies.end(),
                    [&](const ChipMatmulEfficiency& known) { return known.chip_id == e.chip_id; });
    if (!seen) result.matmul_efficiencies.push_back(e);
    fitted_in_catalog.insert(fitted_in_catalog.end(), e.fitted_on.begin(), e.fitted_on.end());
  }
  for (const auto& c : cases) {
    ValidationRow row;
    row.id = c.id;
    row.basis = c.basis;
    row.file = c.file;
    const bool catalog_fit = std::find(fitted_in_catalog.begin(), fitted_in_catalog.end(), c.id) !=
                             fitted_in_catalog.end();
    row.group =
        in_sample(c.id, constants) || catalog_fit ? CaseGroup::in_sample : CaseGroup::out_of_sample;
    row.chip_family = c.chip_family;
    row.reported = c.reported;
    std::uint64_t evaluated = 0;
    row.precision = c.machine.precision;
    row.host_link_defaulted = c.host_link_defaulted;
    row.microbatch_pinned = c.fixed.microbatch.has_value();
    row.published = published(c, threads, evaluated);
    // The search is free to choose every recipe choice, the precision and
    // the machine aside.
    SearchOptions o;
    o.keep = 1;
    o.threads = threads;
    const SearchResult search = search_layouts(c.workload, c.machine, o);
    row.searched = searched(c, search);
    row.evaluated = evaluated + search.evaluated;
    result.evaluated += row.evaluated;
    // A case whose published layout cannot run has no error to score.
    if (row.published.fit) row.error_published = row.published.predicted / c.reported - 1;
    result.rows.push_back(row);
  }
  // The summary of the rows `pick` keeps.
  auto summary_of = [&](std::string label, auto pick) {
    std::size_t n = 0;
    std::vector<double> errors;
    for (const auto& r : result.rows) {
      if (!pick(r)) continue;
      ++n;
      if (r.published.fit) errors.push_back(std::fabs(r.error_published));
    }
    return summarize_errors(std::move(label), n, std::move(errors));
  };
  // One summary per distinct value of `key`, in order of first appearance.
  auto slices = [&](auto key) {
    std::vector<std::string> labels;
    for (const auto& r : result.rows) {
      if (std::find(labels.begin(), labels.end(), key(r)) == labels.end()) labels.push_back(key(r));
    }
    std::vector<ErrorSummary> out;
    for (const auto& label : labels) {
      out.push_back(summary_of(label, [&](const ValidationRow& r) { return key(r) == label; }));
    }
    return out;
  };
  const ErrorSummary all = summary_of("all", [](const ValidationRow&) { return true; });
  result.cases_scored = all.cases_scored;
  result.median_abs_error = all.median_abs_error;
  result.worst_abs_error = all.worst_abs_error;
  // Both groups always, in a fixed order, even when one is empty.
  for (CaseGroup g : {CaseGroup::in_sample, CaseGroup::out_of_sample}) {
    result.by_group.push_back(
        summary_of(to_string(g), [g](const ValidationRow& r) { return r.group == g; }));
  }
  result.by_chip_family = slices([](const ValidationRow& r) { return r.chip_family; });
  result.by_precision =
      slices([](const ValidationRow& r) { return std::string(to_string(r.precision)); });
  return result;
}

}  // namespace clustercap::training
