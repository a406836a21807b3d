#include <cmath>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/number_format.hpp"

namespace clustercap::report {
namespace {

// Counts: exact integers up to 2^53, the double beyond, "" for +inf (number_format.hpp).
std::string whole(double value) { return whole_number(value); }

}  // namespace

namespace {

// A line's cells in order: base column i as i, metrics table entry k as
// -1 - k, each entry after the column it follows (entries may follow
// entries), then those without one.
std::vector<long> column_order(const std::vector<std::string>& base) {
  std::vector<long> order;
  const auto place_after = [&](const char* column, const auto& self) -> void {
    for (std::size_t k = 0; k < kMetricCount; ++k) {
      const Metric& m = kMetrics[k];
      if ((column == nullptr) != (m.csv_after == nullptr)) continue;
      if (column != nullptr && !detail::same(m.csv_after, column)) continue;
      order.push_back(-1 - static_cast<long>(k));
      self(m.name, self);
    }
  };
  for (std::size_t i = 0; i < base.size(); ++i) {
    order.push_back(static_cast<long>(i));
    place_after(base[i].c_str(), place_after);
  }
  place_after(nullptr, place_after);
  return order;
}

}  // namespace

void write_estimate_csv(const EstimateResult& result, std::ostream& out) {
  std::vector<std::string> header = {
      "scenario", "actor", "chip", "system", "site", "systems", "binding_constraint"};
  for (const char* name : model::kLimitNames) header.push_back(std::string("limit_") + name);
  for (const char* name : {"it_power_mw", "network_tiers", "network_switches",
                           "network_transceivers", "network_power_mw", "peak_flops", "mfu", "h100e",
                           "duration_days", "goodput", "tokens", "limited_by"}) {
    header.push_back(name);
  }
  for (const auto& r : result.references) {
    header.push_back("ratio_sustained_flops_vs_" + r.id);
    header.push_back("ratio_chips_vs_" + r.id);
  }
  // Appended after the per-reference columns so existing positions hold.
  header.push_back("mfu_basis");
  header.push_back("mfu_predicted");
  header.push_back("mfu_model_params");
  // A cluster across WAN-linked sites: how many sites, and the WAN's cost.
  for (const char* name :
       {"sites", "wan_bytes_per_step", "wan_exposed_s_per_step", "wan_efficiency"})
    header.push_back(name);
  header.push_back("training_chips");  // chips the layout uses (fewer than chips when some idle)
  const std::vector<long> order = column_order(header);
  // A line's cells in the order above.
  const auto ordered = [&](const std::vector<std::string>& cells,
                           const std::vector<std::string>& metric_cells) {
    std::vector<std::string> line;
    for (const long o : order) {
      line.push_back(o >= 0 ? cells[static_cast<std::size_t>(o)]
                            : metric_cells[static_cast<std::size_t>(-1 - o)]);
    }
    return line;
  };
  std::vector<std::string> metric_names;
  for (const Metric& m : kMetrics) metric_names.emplace_back(m.name);
  CsvWriter csv(out, ordered(header, metric_names));
  for (const auto& a : result.actors) {
    const ClusterResult& c = a.cluster;
    const TrainingResult& t = a.training;
    std::vector<std::string> row = {
        result.scenario_name,       a.name, c.chip_id, c.system_label, c.site, whole(c.systems),
        model::to_string(c.binding)};
    for (double limit : c.limits) row.push_back(whole_number(limit, "limit"));
    for (std::string field :
         {machine_number(c.it_power_w / 1e6), std::to_string(c.network.tiers),
          whole(c.network.switches), whole(c.network.transceivers),
          machine_number(c.network.power_w / 1e6), machine_number(c.peak_flops),
          machine_number(c.mfu), machine_number(c.h100e), machine_number(t.duration_s / 86400.0),
          machine_number(t.goodput), machine_number(t.tokens),
          std::string(model::to_string(t.limited_by))}) {
      row.push_back(std::move(field));
    }
    for (const auto& cmp : a.vs_reference) {
      row.push_back(machine_number(cmp.ratio_sustained_flops));
      row.push_back(machine_number(cmp.ratio_chips));
    }
    const bool predicted = c.mfu_step_model && c.mfu_prediction.predicted;
    row.push_back(describe_mfu_basis(c.mfu_basis));
    row.push_back(predicted ? "true" : "false");
    row.push_back(predicted ? machine_number(c.mfu_prediction.params) : "");
    row.push_back(std::to_string(c.sites.size()));
    row.push_back(c.wan ? machine_number(c.wan->step.bytes_per_step) : "");
    row.push_back(c.wan ? machine_number(c.wan->step.exposed_s) : "");
    row.push_back(c.wan ? machine_number(c.wan->step.efficiency) : "");
    row.push_back(whole(c.training_chips));
    std::vector<std::string> metric_cells;
    for (std::size_t k = 0; k < kMetricCount; ++k) {
      metric_cells.push_back(kMetrics[k].style == MetricStyle::count
                                 ? whole(a.metrics[k])
                                 : machine_number(a.metrics[k]));
    }
    csv.row(ordered(row, metric_cells));
  }
}

}  // namespace clustercap::report
