#include "estimator/report/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/report/csv_writer.hpp"
#include "estimator/report/default_text.hpp"
#include "estimator/report/metric_format.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"
#include "estimator/sweep/sketch.hpp"
#include "hardware/common/input_error.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;
constexpr std::size_t kTornadoShown = 8;

std::string settings_text(const sweep::GridPoint& p) {
  std::string text = p.sources.empty() ? "" : "sources = " + p.sources;
  for (const auto& [key, value] : p.settings)
    text += (text.empty() ? "" : ", ") + key + " = " + significant(value);
  return text;
}

// A summary statistic of `metric`: as the metrics table says, or a ratio.
std::string cell(const std::string& metric, double v) {
  if (metric.rfind("ratio_vs_", 0) == 0) return significant(v) + "x";
  const std::size_t k = metric_index(metric.c_str());
  return k < kMetricCount ? metric_text(kMetrics[k], v) : scientific(v, 3);
}

json median_cluster_json(const std::optional<sweep::MedianCluster>& m) {
  if (!m) return nullptr;
  json chips = m->chips;
  if (const auto integer = exact_integer(checked_count(m->chips, "chips"))) chips = *integer;
  return {{"chip", m->chip_id},
          {"system", m->system_id.empty() ? json(nullptr) : json(m->system_id)},
          {"system_label", m->system_label},
          {"site", m->site},
          {"chips", chips},
          {"binding_constraint", model::to_string(m->binding)},
          {"sustained_flops", m->sustained_flops},
          {"train_flop", m->train_flop},
          {"mfu", m->mfu},
          {"mfu_basis", describe_mfu_basis(m->mfu_basis)}};
}

}  // namespace

void write_sweep_table(const sweep::SweepResult& result, std::ostream& out) {
  out << "clustercap sweep: " << terminal_text(result.scenario_name) << "\n";
  out << "scenario " << terminal_text(result.scenario_file) << "; "
      << grouped_integer(static_cast<double>(result.samples)) << " samples per point, seed "
      << result.seed << ", " << result.threads << " thread" << (result.threads == 1 ? "" : "s")
      << "; " << result.inputs.size() - result.fixed_inputs << " uncertain input"
      << (result.inputs.size() - result.fixed_inputs == 1 ? "" : "s")
      << (result.fixed_inputs > 0
              ? " (and " + std::to_string(result.fixed_inputs) + " fixed by their chosen source)"
              : std::string())
      << "; quantiles within " << significant(sweep::QuantileSketch::kRelativeError * 100, 2)
      << "% (relative)\n";
  for (const auto& point : result.points) {
    if (!point.settings.empty() || !point.sources.empty())
      out << "\n### grid point: " << terminal_text(settings_text(point)) << "\n";
    for (const auto& a : point.actors) {
      out << "\n== " << terminal_text(a.name) << " ==\n";
      if (const auto& m = a.at_medians) {
        out << "  at the medians: " << grouped_integer(m->chips) << " x "
            << terminal_text(m->chip_id) << " in " << terminal_text(m->system_label)
            << " at site \"" << terminal_text(m->site) << "\", " << model::to_string(m->binding)
            << "-bound, " << scientific(m->sustained_flops) << " FLOP/s, MFU "
            << significant(m->mfu, 2) << "\n";
        out << "  MFU basis at the medians: " << terminal_text(describe_mfu_basis(m->mfu_basis))
            << "\n";
      }
      out << "  " << std::left << std::setw(36) << "metric" << std::right;
      for (const char* h : {"mean", "sd"}) out << std::setw(11) << h;
      for (const char* q : sweep::kQuantileNames) out << std::setw(11) << q;
      out << "\n";
      for (const auto& m : a.metrics) {
        out << "  " << std::left << std::setw(36) << terminal_text(m.name) << std::right
            << std::setw(11) << cell(m.name, m.mean) << std::setw(11) << cell(m.name, m.sd);
        for (double q : m.quantiles) out << std::setw(11) << cell(m.name, q);
        out << "\n";
      }
      out << "  binding constraint: ";
      for (std::size_t k = 0; k < model::kLimitCount; ++k) {
        out << (k ? ", " : "") << model::kLimitNames[k] << " "
            << significant(a.binding_share[k] * 100, 3) << "%";
      }
      out << "\n";
      for (const auto& w : sweep_warnings(a)) out << "  warning: " << terminal_text(w) << "\n";
      for (const auto& [ref, p] : a.p_exceeds) {
        out << "  P(largest cluster's sustained FLOP/s >= " << terminal_text(ref)
            << ") = " << significant(p, 3) << "\n";
      }
      if (!a.tornado.empty()) {
        out << "  tornado on sustained FLOP/s (input at its p10 -> p90, others at medians):\n";
        for (std::size_t i = 0; i < a.tornado.size() && i < kTornadoShown; ++i) {
          const auto& t = a.tornado[i];
          out << "    " << std::left << std::setw(40) << terminal_text(t.input) << std::right
              << std::setw(10) << significant(t.value_p10) << " -> " << std::left << std::setw(10)
              << significant(t.value_p90) << std::right << scientific(t.output_p10) << " -> "
              << scientific(t.output_p90) << "  swing " << scientific(t.swing) << "\n";
        }
      }
      if (!a.srrc.empty()) {
        out << "  rank regression (SRRC) on sustained FLOP/s, R^2 " << significant(a.srrc_r2, 2)
            << ":";
        for (std::size_t i = 0; i < a.srrc.size() && i < kTornadoShown; ++i) {
          out << (i ? ", " : " ") << terminal_text(a.srrc[i].input) << " "
              << significant(a.srrc[i].srrc, 2);
        }
        out << "\n";
      }
    }
  }
}

void write_sweep_json(const sweep::SweepResult& result, std::ostream& out) {
  json points = json::array();
  for (const auto& point : result.points) {
    json settings = json::object();
    for (const auto& [key, value] : point.settings) settings[key] = value;
    json actors = json::array();
    for (const auto& a : point.actors) {
      json metrics = json::object();
      for (const auto& m : a.metrics) {
        json q = json::object();
        for (std::size_t i = 0; i < m.quantiles.size(); ++i)
          q[sweep::kQuantileNames[i]] = m.quantiles[i];
        metrics[m.name] = {
            {"mean", m.mean}, {"sd", m.sd}, {"min", m.min}, {"max", m.max}, {"quantiles", q}};
      }
      json binding = json::object();
      for (std::size_t k = 0; k < model::kLimitCount; ++k)
        binding[model::kLimitNames[k]] = a.binding_share[k];
      json exceeds = json::object();
      for (const auto& [ref, p] : a.p_exceeds) exceeds[ref] = p;
      json tornado = json::array();
      for (const auto& t : a.tornado) {
        tornado.push_back({{"input", t.input},
                           {"value_p10", t.value_p10},
                           {"value_p90", t.value_p90},
                           {"sustained_flops_at_p10", t.output_p10},
                           {"sustained_flops_at_p90", t.output_p90},
                           {"swing", t.swing}});
      }
      json srrc = json::array();
      for (const auto& c : a.srrc) srrc.push_back({{"input", c.input}, {"srrc", c.srrc}});
      actors.push_back({{"name", a.name},
                        {"at_medians", median_cluster_json(a.at_medians)},
                        {"metrics", metrics},
                        {"binding_share", binding},
                        {"p_exceeds_reference", exceeds},
                        {"tornado", tornado},
                        {"srrc", srrc},
                        {"srrc_r2", a.srrc_r2}});
      // Only when there are any, so files that write every setting keep their output.
      if (const auto warnings = sweep_warnings(a); !warnings.empty())
        actors.back()["warnings"] = warnings;
    }
    json entry = {{"settings", settings}};
    if (!point.sources.empty()) entry["sources"] = point.sources;
    entry["actors"] = actors;
    points.push_back(entry);
  }
  json doc = {{"schema", kSweepSchema},
              {"clustercap_version", kVersion},
              {"scenario", {{"name", result.scenario_name}, {"file", result.scenario_file}}},
              {"samples", result.samples},
              {"seed", result.seed},
              {"quantile_relative_error", sweep::QuantileSketch::kRelativeError},
              {"inputs", result.inputs},
              {"references", result.references},
              {"points", points}};
  out << doc.dump(2) << '\n';
}

// Long format (schemas/README.md): one row per statistic, keyed by grid
// point, the point's reading and grid coordinates, actor, kind (the actor's
// JSON key it comes from), subject and statistic; numbers in `value`,
// names in `text`.
void write_sweep_csv(const sweep::SweepResult& result, std::ostream& out) {
  std::vector<std::string> axes;  // every grid key, first-seen order
  for (const auto& point : result.points) {
    for (const auto& setting : point.settings) {
      if (std::find(axes.begin(), axes.end(), setting.first) == axes.end())
        axes.push_back(setting.first);
    }
  }
  std::vector<std::string> columns = {"point", "sources"};
  columns.insert(columns.end(), axes.begin(), axes.end());
  columns.insert(columns.end(), {"actor", "kind", "subject", "statistic", "value", "text"});
  CsvWriter csv(out, columns);
  for (std::size_t p = 0; p < result.points.size(); ++p) {
    const auto& point = result.points[p];
    std::vector<std::string> key = {std::to_string(p), point.sources};
    for (const auto& axis : axes) {
      const auto at = std::find_if(point.settings.begin(), point.settings.end(),
                                   [&](const auto& setting) { return setting.first == axis; });
      key.push_back(at == point.settings.end() ? "" : machine_number(at->second));
    }
    for (const auto& a : point.actors) {
      const auto emit = [&](const char* kind, const std::string& subject,
                            const std::string& statistic, const std::string& value,
                            const std::string& text) {
        std::vector<std::string> cells = key;
        cells.insert(cells.end(), {a.name, kind, subject, statistic, value, text});
        csv.row(cells);
      };
      const auto number = [&](const char* kind, const std::string& subject,
                              const std::string& statistic,
                              double v) { emit(kind, subject, statistic, machine_number(v), ""); };
      if (const auto& m = a.at_medians) {
        emit("at_medians", "chip", "value", "", m->chip_id);
        emit("at_medians", "system", "value", "", m->system_id);
        emit("at_medians", "system_label", "value", "", m->system_label);
        emit("at_medians", "site", "value", "", m->site);
        emit("at_medians", "chips", "value", whole_number(m->chips, "chips"), "");
        emit("at_medians", "binding_constraint", "value", "", model::to_string(m->binding));
        number("at_medians", "sustained_flops", "value", m->sustained_flops);
        number("at_medians", "train_flop", "value", m->train_flop);
        number("at_medians", "mfu", "value", m->mfu);
        emit("at_medians", "mfu_basis", "value", "", describe_mfu_basis(m->mfu_basis));
      }
      for (const auto& m : a.metrics) {
        number("metrics", m.name, "mean", m.mean);
        number("metrics", m.name, "sd", m.sd);
        number("metrics", m.name, "min", m.min);
        number("metrics", m.name, "max", m.max);
        for (std::size_t i = 0; i < m.quantiles.size(); ++i)
          number("metrics", m.name, sweep::kQuantileNames[i], m.quantiles[i]);
      }
      for (std::size_t k = 0; k < model::kLimitCount; ++k)
        number("binding_share", model::kLimitNames[k], "share", a.binding_share[k]);
      for (const auto& [ref, probability] : a.p_exceeds)
        number("p_exceeds_reference", ref, "probability", probability);
      for (const auto& t : a.tornado) {
        number("tornado", t.input, "value_p10", t.value_p10);
        number("tornado", t.input, "value_p90", t.value_p90);
        number("tornado", t.input, "sustained_flops_at_p10", t.output_p10);
        number("tornado", t.input, "sustained_flops_at_p90", t.output_p90);
        number("tornado", t.input, "swing", t.swing);
      }
      for (const auto& c : a.srrc) number("srrc", c.input, "srrc", c.srrc);
      number("srrc_r2", "", "r2", a.srrc_r2);
      for (const auto& w : sweep_warnings(a)) emit("warnings", "", "", "", w);
    }
  }
}

namespace {

// A --samples-out cell: the binding constraint's name from the limits table
// in `*:binding_constraint` columns (the kernel stores its index), else the
// number.
std::string sample_cell(const std::string& column, double v) {
  static const std::string kBinding = ":binding_constraint";
  const bool binding =
      column.size() >= kBinding.size() &&
      column.compare(column.size() - kBinding.size(), kBinding.size(), kBinding) == 0;
  if (!binding) return machine_number(v);
  if (!(v >= 0 && v < static_cast<double>(model::kLimitCount)) || std::floor(v) < v) {
    throw RuntimeFailure("internal: " + column + " = " + machine_number(v) +
                         ": not an index into the limits table");
  }
  return model::kLimitNames[static_cast<std::size_t>(v)];
}

}  // namespace

void write_sweep_rows_csv(const sweep::SweepResult& result, std::ostream& out) {
  CsvWriter csv(out, result.row_columns);
  for (const auto& row : result.rows) {
    std::vector<std::string> cells;
    for (std::size_t i = 0; i < row.size(); ++i)
      cells.push_back(i < result.row_columns.size() ? sample_cell(result.row_columns[i], row[i])
                                                    : machine_number(row[i]));
    csv.row(cells);
  }
}

}  // namespace clustercap::report
