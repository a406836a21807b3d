#include "estimator/report/validate_report.hpp"

#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/layout_json.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"
#include "estimator/training/fitted_constants.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;
using training::LayoutProblem;

// `searched_microbatch` marks the microbatch "*": the search chose it.
std::string layout_text(const training::Layout& l, bool searched_microbatch = false) {
  return "tp" + std::to_string(l.tp) + (l.cp > 1 ? " cp" + std::to_string(l.cp) : "") + " pp" +
         std::to_string(l.pp) + " dp" + std::to_string(l.dp) +
         (l.ep > 1 ? " ep" + std::to_string(l.ep) : "") +
         (l.etp > 1 ? " etp" + std::to_string(l.etp) : "") + " mb" + std::to_string(l.microbatch) +
         (searched_microbatch ? "*" : "") +
         (l.interleave > 1 ? " v" + std::to_string(l.interleave) : "") + " " +
         training::to_string(l.recompute) + " z" + std::to_string(l.zero) +
         (l.tp > 1 && !l.sequence_parallel ? " nosp" : "") + (l.tp_overlap ? " tpo" : "") +
         (!l.dp_overlap ? " nodpo" : "") + (l.offload_optimizer ? " off-opt" : "") +
         (l.offload_activations ? " off-act" : "");
}

// MFU against the dense BF16 peak, and for a lower-precision run also
// against that precision's peak: "41%" or "41% (fp8 21%)".
std::string mfu_text(const training::ValidationRow& r, const training::ValidationPrediction& p) {
  if (!p.fit) return "-";
  std::string text = significant(p.step.mfu_bf16 * 100, 2) + "%";
  if (r.precision != Precision::bf16)
    text +=
        " (" + std::string(to_string(r.precision)) + " " + significant(p.step.mfu * 100, 2) + "%)";
  return text;
}

std::string value(const training::ValidationRow& r, double v) {
  if (r.basis == "model") return significant(v * 100) + "%";
  if (r.basis == "tokens") return significant(v) + " tok/s";
  return significant(v) + " TF";
}

// A prediction's value, or "no fit" when there is none.
std::string predicted_text(const training::ValidationRow& r,
                           const training::ValidationPrediction& p) {
  return p.fit ? value(r, p.predicted) : "no fit";
}

// Figures that count things ("48 layers", "1000.5 sequences"): shortest exact form.
std::string count(double v) {
  return v == std::floor(v) && std::fabs(v) < 1e15 ? std::to_string(static_cast<long long>(v))
                                                   : machine_number(v);
}

// `digits` significant figures without trailing zeros: "80", "95.3", "80.04".
std::string figures(double v, int digits) {
  std::string text = significant(v, digits);
  if (text.find('.') == std::string::npos || text.find('e') != std::string::npos) return text;
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

// Two byte counts in GB (1e9 B) with enough digits to tell them apart.
std::pair<std::string, std::string> two_gb(double a, double b) {
  int digits = 3;
  while (digits < 9 && figures(a / 1e9, digits) == figures(b / 1e9, digits)) ++digits;
  return {figures(a / 1e9, digits), figures(b / 1e9, digits)};
}

json optional_number(bool present, double v) { return present ? json(v) : json(nullptr); }

// "median 5.1%, worst 12% (9 of 10 scored)", or "none scored (0 of 2)".
std::string summary_text(const training::ErrorSummary& s) {
  const std::string counts =
      std::to_string(s.cases_scored) + " of " + std::to_string(s.cases) + " scored";
  if (s.cases_scored == 0) return "none scored (" + counts + ")";
  return "median " + significant(s.median_abs_error * 100, 2) + "%, worst " +
         significant(s.worst_abs_error * 100, 2) + "% (" + counts + ")";
}

json summaries_json(const std::vector<training::ErrorSummary>& list, const char* key) {
  json out = json::array();
  for (const auto& s : list) {
    const bool scored = s.cases_scored > 0;
    out.push_back({{key, s.label},
                   {"cases", s.cases},
                   {"cases_scored", s.cases_scored},
                   {"median_abs_error", optional_number(scored, s.median_abs_error)},
                   {"worst_abs_error", optional_number(scored, s.worst_abs_error)}});
  }
  return out;
}

// "in" / "out" for the table's group column.
const char* group_short(training::CaseGroup g) {
  return g == training::CaseGroup::in_sample ? "in" : "out";
}

template <class Id>
std::string joined(const std::vector<Id>& ids) {
  std::string text;
  for (const auto& id : ids) text += (text.empty() ? "" : ", ") + std::string(id);
  return text;
}

}  // namespace

std::string layout_problem_text(const training::LayoutCheck& check) {
  const std::string v = count(check.value), limit = count(check.limit);
  switch (check.problem) {
    case LayoutProblem::none:
      return "";
    case LayoutProblem::no_hbm_bandwidth:
      return "the chip has no HBM bandwidth in the catalog";
    case LayoutProblem::zero_stage:
      return "zero " + v + " is not a ZeRO stage (0 to 3)";
    case LayoutProblem::no_host_link:
      return "offload needs a host link bandwidth (host_link_gbps)";
    case LayoutProblem::tp_over_scaleup_domain:
      return "tp " + v + " exceeds the scale-up domain of " + limit + " chips";
    case LayoutProblem::tp_not_dividing_heads:
      return "tp " + v + " does not divide the " + limit + " attention heads";
    case LayoutProblem::pp_over_layers:
      return "pp " + v + " exceeds the " + limit + " layers";
    case LayoutProblem::cp_not_dividing_seq_len:
      return "cp " + v + " does not divide seq_len " + limit;
    case LayoutProblem::chips_not_divided:
      return "tp x cp x pp = " + v + " does not divide the cluster's " + limit + " chips";
    case LayoutProblem::chips_mismatch:
      return "tp x cp x pp x dp = " + v + " is not the cluster's " + limit + " chips";
    case LayoutProblem::batch_not_divided:
      return "dp x microbatch = " + v + " does not divide the global batch of " + limit +
             " sequences";
    case LayoutProblem::interleave_not_dividing_stage:
      return "interleave " + v + " does not divide the " + limit + " layers of a pipeline stage";
    case LayoutProblem::interleave_without_pipeline:
      return "interleave " + v + " needs pp > 1";
    case LayoutProblem::microbatches_not_multiple_of_pp:
      return "interleaving needs the " + v + " microbatches to be a multiple of pp " + limit;
    case LayoutProblem::ep_not_dividing_ranks:
      return "ep x etp = " + v + " does not divide the " + limit +
             " tp x cp x dp ranks of a pipeline stage";
    case LayoutProblem::ep_not_dividing_experts:
      return "ep " + v + " does not divide the " + limit + " experts";
    case LayoutProblem::memory: {
      const auto [need, have] = two_gb(check.value, check.limit);
      return "needs " + need + " GB of memory per chip; the chip has " + have + " GB";
    }
  }
  return "";
}

void write_validate_table(const training::ValidationResult& result, std::ostream& out) {
  out << "clustercap validate: predicted vs published throughput (TFLOP/s per chip in the paper's "
         "basis, MFU, or tokens/s per chip)\n\n";
  // Each column as wide as its widest cell (ids, tokens/s figures and
  // layouts run long), two spaces between columns.
  struct Column {
    std::string header;
    bool left;
  };
  const std::vector<Column> columns = {
      {"run", true},        {"group", true},           {"reported", false},
      {"predicted", false}, {"error", false},          {"published layout (best mb*/v/rc)", true},
      {"searched", false},  {"MFU bf16 (prec)", true}, {"searched layout", true}};
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : result.rows) {
    cells.push_back({r.id, group_short(r.group), value(r, r.reported),
                     predicted_text(r, r.published),
                     r.published.fit ? significant(r.error_published * 100, 2) + "%" : "-",
                     r.published.fit ? layout_text(r.published.layout, !r.microbatch_pinned)
                                     : "no fit: " + layout_problem_text(r.published.no_fit),
                     predicted_text(r, r.searched), mfu_text(r, r.published),
                     r.searched.fit ? layout_text(r.searched.layout)
                                    : "no fit: " + layout_problem_text(r.searched.no_fit)});
  }
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(c.header.size());
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool last = i + 1 == row.size();
      if (columns[i].left) {
        out << row[i];
        if (!last) out << std::string(widths[i] - row[i].size() + 2, ' ');
      } else {
        out << std::string(widths[i] - row[i].size(), ' ') << row[i] << "  ";
      }
    }
    out << "\n";
  };
  std::vector<std::string> header;
  for (const auto& c : columns) header.push_back(c.header);
  print_row(header);
  for (const auto& row : cells) print_row(row);
  out << "mb*: the published layout's microbatch as searched (the case does not pin it); "
         "v and rc are searched unless the case pins them\n";
  for (const auto& r : result.rows) {
    if (r.host_link_defaulted)
      out << r.id
          << ": offload over the default host link, PCIe 5.0 x16 (504 Gb/s each way); "
             "set host_link_gbps\n";
  }
  out << "\n";
  if (result.cases_scored == 0) {
    out << "no case scored: no published layout fits";
  } else {
    out << "median absolute error " << significant(result.median_abs_error * 100, 2) << "%, worst "
        << significant(result.worst_abs_error * 100, 2) << "% (published layouts)";
  }
  out << "; scored " << result.cases_scored << " of " << result.rows.size() << " cases; "
      << grouped_integer(static_cast<double>(result.evaluated)) << " layouts evaluated\n";
  const auto slices = [&](const char* title, const std::vector<training::ErrorSummary>& list) {
    out << title << "\n";
    for (const auto& s : list) {
      out << "  " << std::left << std::setw(16) << s.label << summary_text(s) << "\n";
    }
  };
  slices("by group (in-sample: a step-model constant was fitted on the case)", result.by_group);
  slices("by chip family", result.by_chip_family);
  slices("by precision", result.by_precision);
  out << "step-model constants and what set them\n";
  for (const auto& c : training::fitted_constants()) {
    out << "  " << c.name << " = " << machine_number(c.value) << ": "
        << (c.fitted_on.empty() ? "from a source, not fitted" : "fitted on " + joined(c.fitted_on))
        << " (" << c.basis << ")\n";
  }
  if (!result.matmul_efficiencies.empty()) {
    out << "chip matmul efficiencies from the catalog (in place of kMatmulCeiling)\n";
    for (const auto& e : result.matmul_efficiencies) {
      out << "  " << e.chip_id << " = " << machine_number(e.value) << ": "
          << (e.fitted_on.empty() ? "from a source, not fitted"
                                  : "derived from " + joined(e.fitted_on))
          << " (" << e.notes << ")\n";
    }
  }
}

void write_validate_json(const training::ValidationResult& result, std::ostream& out) {
  json rows = json::array();
  for (const auto& r : result.rows) {
    const auto& p = r.published;
    const auto& s = r.searched;
    rows.push_back(
        {{"id", r.id},
         {"file", r.file},
         {"group", training::to_string(r.group)},
         {"chip_family", r.chip_family},
         {"basis", r.basis},
         {"precision", to_string(r.precision)},
         {"host_link_defaulted", r.host_link_defaulted},
         {"microbatch_pinned", r.microbatch_pinned},
         {"reported", r.reported},
         {"fit", p.fit},
         {"no_fit_reason", p.fit ? json(nullptr) : json(layout_problem_text(p.no_fit))},
         {"predicted_published_layout", optional_number(p.fit, p.predicted)},
         {"error", optional_number(p.fit, r.error_published)},
         {"mfu_published_layout", optional_number(p.fit, p.step.mfu_bf16)},
         {"mfu_published_layout_precision_peak", optional_number(p.fit, p.step.mfu)},
         {"layout_published", p.fit ? layout_json(p.layout) : json(nullptr)},
         {"step_breakdown_published_s", p.fit ? step_breakdown_json(p.step) : json(nullptr)},
         {"searched_fit", s.fit},
         {"searched_no_fit_reason", s.fit ? json(nullptr) : json(layout_problem_text(s.no_fit))},
         {"predicted_searched_layout", optional_number(s.fit, s.predicted)},
         {"mfu_searched_layout", optional_number(s.fit, s.step.mfu_bf16)},
         {"layout_searched", s.fit ? layout_json(s.layout) : json(nullptr)},
         {"layouts_evaluated", r.evaluated}});
  }
  json constants = json::array();
  for (const auto& c : training::fitted_constants()) {
    json fitted_on = json::array();
    for (const auto& id : c.fitted_on) fitted_on.push_back(std::string(id));
    constants.push_back({{"name", std::string(c.name)},
                         {"value", c.value},
                         {"basis", std::string(c.basis)},
                         {"fitted_on", fitted_on}});
  }
  json efficiencies = json::array();
  for (const auto& e : result.matmul_efficiencies) {
    efficiencies.push_back(
        {{"chip", e.chip_id}, {"value", e.value}, {"notes", e.notes}, {"fitted_on", e.fitted_on}});
  }
  const bool scored = result.cases_scored > 0;
  json doc = {{"schema", kValidateSchema},
              {"clustercap_version", kVersion},
              {"cases", result.rows.size()},
              {"cases_scored", result.cases_scored},
              {"median_abs_error", optional_number(scored, result.median_abs_error)},
              {"worst_abs_error", optional_number(scored, result.worst_abs_error)},
              {"layouts_evaluated", result.evaluated},
              {"groups", summaries_json(result.by_group, "group")},
              {"by_chip_family", summaries_json(result.by_chip_family, "chip_family")},
              {"by_precision", summaries_json(result.by_precision, "precision")},
              {"fitted_constants", constants},
              {"matmul_efficiencies", efficiencies},
              {"runs", rows}};
  out << doc.dump(2) << '\n';
}

void write_validate_csv(const training::ValidationResult& result, std::ostream& out) {
  // Empty predicted and error fields where the layout cannot run.
  auto number = [](bool present, double v) { return present ? machine_number(v) : std::string(); };
  CsvWriter csv(
      out, {"id", "basis", "reported", "fit", "no_fit_reason", "predicted_published_layout",
            "error", "predicted_searched_layout", "group", "chip_family", "precision", "file"});
  for (const auto& r : result.rows) {
    const auto& p = r.published;
    csv.row({r.id, r.basis, machine_number(r.reported), p.fit ? "true" : "false",
             p.fit ? "" : layout_problem_text(p.no_fit), number(p.fit, p.predicted),
             number(p.fit, r.error_published), number(r.searched.fit, r.searched.predicted),
             training::to_string(r.group), r.chip_family, std::string(to_string(r.precision)),
             r.file});
  }
}

}  // namespace clustercap::report
