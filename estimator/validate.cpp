#include "estimator/validate.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/scenario/workload_loader.hpp"
#include "estimator/training/machine.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {}  // namespace clustercap

namespace clustercap::training {
namespace {

double predicted(const ValidationCase& c, const StepBreakdown& r) {
  if (c.basis == "megatron") {
    const double sequences = c.workload.global_batch_tokens / c.workload.seq_len;
    return megatron_flop_per_iteration(sequences, c.workload.seq_len, c.workload.layers,
                                       c.workload.hidden, c.workload.vocab) /
           r.step_s / c.machine.chips / 1e12;
  }
  if (c.basis == "tokens") return r.tokens_per_s / c.machine.chips;
  return r.mfu;
}

// Best layout with TP, PP and CP as published (microbatch, interleave and
// recompute searched unless recompute is given). When none runs, the reason
// is the step model's: memory (the smallest need of the layouts that run)
// when some run, else what stops the first layout tried (microbatch 1, no
// interleaving), whose structural checks every other one shares.
ValidationPrediction published(const ValidationCase& c, std::uint64_t& evaluated) {
  ValidationPrediction best;
  StepBreakdown fastest;
  Layout l;
  l.tp = c.tp;
  l.pp = c.pp;
  l.cp = c.cp;
  l.ep = c.ep;
  l.dp = c.machine.chips / (c.tp * c.pp * c.cp);
  bool tried = false;
  for (int mb : {1, 2, 4, 8, 16}) {
    for (int v : {1, 2, 4, 8}) {
      for (Recompute rc : {Recompute::none, Recompute::selective, Recompute::full}) {
        if (!c.recompute.empty() && c.recompute != to_string(rc)) continue;
        l.microbatch = mb;
        l.interleave = v;
        l.recompute = rc;
        const StepBreakdown r = evaluate_layout(c.workload, c.machine, l);
        if (!tried) best.no_fit = r.problem;
        tried = true;
        if (!r.valid) continue;
        ++evaluated;
        if (!r.fits) {
          if (best.no_fit.problem != LayoutProblem::memory || r.memory_bytes < best.no_fit.value)
            best.no_fit = r.problem;
          continue;
        }
        if (!best.fit || r.tokens_per_s > fastest.tokens_per_s) {
          best.fit = true;
          best.layout = l;
          fastest = r;
        }
      }
    }
  }
  if (best.fit) {
    best.no_fit = {};
    best.predicted = predicted(c, fastest);
    best.mfu = fastest.mfu;
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
    p.mfu = s.best.front().second.mfu;
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

// The expert-parallel keys of a case: `ep` (EP ranks placed within DP, as
// Megatron-LM does), the all-to-all overlap and the routing imbalance.
void read_expert_keys(TableReader& r, ValidationCase& c) {
  c.ep = static_cast<int>(r.integer("ep", Range::closed(1, 4096)).value_or(1));
  c.workload.a2a_overlap = r.number("a2a_overlap", Range::closed(0, 1)).value_or(0);
  c.workload.expert_imbalance =
      r.number("expert_imbalance", Range::closed(1, 1000)).value_or(c.workload.expert_imbalance);
  const long model_parallel = static_cast<long>(c.tp) * c.pp * c.cp;
  const long dp = model_parallel > 0 ? c.machine.chips / model_parallel : 0;
  if (c.ep > 1 && (dp % c.ep != 0 || c.workload.experts % c.ep != 0)) {
    r.error_at("ep", "must divide the data-parallel degree (" + std::to_string(dp) +
                         ") and the experts (" + std::to_string(c.workload.experts) + ")");
  }
}

}  // namespace

const std::string& default_validation_text() {
  static const std::string text(embedded_config("configs/validation/published-runs.toml"));
  return text;
}

std::vector<ValidationCase> load_validation_cases(const std::string& name, const std::string& text,
                                                  const Catalog& catalog) {
  Diagnostics diagnostics;
  auto document = parse_toml(name, text, diagnostics);
  diagnostics.throw_if_any();
  TableReader root(*document, "", name, diagnostics);
  std::vector<ValidationCase> cases;
  for (auto& r : root.table_array("case", Presence::required)) {
    ValidationCase c;
    c.id = r.string("id", Presence::required).value_or("");
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
    if (!c.recompute.empty() && c.recompute != "none" && c.recompute != "selective" &&
        c.recompute != "full") {
      r.error_at("recompute", "must be none, selective or full");
    }
    c.basis = r.string("reported_basis", Presence::required).value_or("");
    if (c.basis == "megatron") {
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
      r.error_at("reported_basis", "must be \"megatron\", \"model\" or \"tokens\"");
    }
    if (auto w = r.table("workload", Presence::required)) {
      c.workload = read_workload(*w, false);
      w->report_unknown_keys();
    }
    read_expert_keys(r, c);
    if (c.workload.seq_len > 0 && std::fmod(c.workload.seq_len, c.cp) != 0) {
      r.error_at("cp",
                 "must divide the workload's seq_len (" + format_number(c.workload.seq_len) + ")");
    }
    r.report_unknown_keys();
    // The step model's hardware figures: a missing one would run as zero.
    if (chip != nullptr && !chip->peak_flops(Precision::bf16)) {
      r.error_at("chip", "has no dense bf16 peak in the catalog");
    }
    if (chip != nullptr && !chip->hbm_bytes) r.error_at("chip", "has no hbm_gb in the catalog");
    if (chip != nullptr && !chip->hbm_bandwidth_bytes_per_s)
      r.error_at("chip", "has no hbm_bw_tbs in the catalog");
    if (chip != nullptr) {
      c.machine = machine_for(*chip, Precision::bf16, c.machine.chips, c.machine.scaleup_domain,
                              scaleout_gbps * 1e9 / 8);
    } else {
      c.machine.scaleout_bytes_per_s = scaleout_gbps * 1e9 / 8;
    }
    cases.push_back(std::move(c));
  }
  root.report_unknown_keys();
  diagnostics.throw_if_any();
  return cases;
}

ValidationResult run_validation(const std::vector<ValidationCase>& cases, int threads) {
  ValidationResult result;
  std::vector<double> errors;
  for (const auto& c : cases) {
    ValidationRow row;
    row.id = c.id;
    row.basis = c.basis;
    row.reported = c.reported;
    std::uint64_t evaluated = 0;
    row.published = published(c, evaluated);
    const SearchResult search = search_layouts(c.workload, c.machine, 1, threads);
    row.searched = searched(c, search);
    row.evaluated = evaluated + search.evaluated;
    result.evaluated += row.evaluated;
    // A case whose published layout cannot run has no error to score.
    if (row.published.fit) {
      row.error_published = row.published.predicted / c.reported - 1;
      errors.push_back(std::fabs(row.error_published));
    }
    result.rows.push_back(row);
  }
  result.cases_scored = errors.size();
  if (!errors.empty()) {
    std::vector<double> sorted = errors;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    result.median_abs_error = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    result.worst_abs_error = sorted.back();
  }
  return result;
}

}  // namespace clustercap::training
