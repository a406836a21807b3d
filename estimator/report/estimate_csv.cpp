#include <cmath>

#include "estimator/report/estimate_report.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/number_format.hpp"

namespace clustercap::report {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// Counts: exact integers up to 2^53, the double beyond, "" for +inf (number_format.hpp).
std::string whole(double value) { return whole_number(value); }

}  // namespace

void write_estimate_csv(const EstimateResult& result, std::ostream& out) {
  std::vector<std::string> header = {
      "scenario", "actor", "chip", "system", "site", "chips", "systems", "binding_constraint"};
  for (const char* name : model::kLimitNames) header.push_back(std::string("limit_") + name);
  for (const char* name : {
      "it_power_mw", "facility_power_mw", "network_tiers", "network_switches", "network_transceivers",
      "network_power_mw", "peak_flops", "mfu", "sustained_flops", "h100e", "duration_days",
      "goodput", "train_flop", "params", "tokens", "limited_by"}) {
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
  for (std::size_t k = 0; k < header.size(); ++k) out << (k ? "," : "") << header[k];
  out << '\n';
  for (const auto& a : result.actors) {
    const ClusterResult& c = a.cluster;
    const TrainingResult& t = a.training;
    std::vector<std::string> row = {
        csv_field(result.scenario_name), csv_field(a.name), c.chip_id,
        csv_field(c.system_label), csv_field(c.site), whole(c.chips), whole(c.systems),
        model::to_string(c.binding)};
    for (double limit : c.limits) row.push_back(whole_number(limit, "limit"));
    for (std::string field : {
        machine_number(c.it_power_w / 1e6), machine_number(c.facility_power_w / 1e6),
        std::to_string(c.network.tiers), whole(c.network.switches), whole(c.network.transceivers),
        machine_number(c.network.power_w / 1e6), machine_number(c.peak_flops),
        machine_number(c.mfu), machine_number(c.sustained_flops), machine_number(c.h100e),
        machine_number(t.duration_s / 86400.0), machine_number(t.goodput),
        machine_number(t.train_flop), machine_number(t.params), machine_number(t.tokens),
        std::string(model::to_string(t.limited_by))}) {
      row.push_back(std::move(field));
    }
    for (const auto& cmp : a.vs_reference) {
      row.push_back(machine_number(cmp.ratio_sustained_flops));
      row.push_back(machine_number(cmp.ratio_chips));
    }
    const bool predicted = c.mfu_step_model && c.mfu_prediction.predicted;
    row.push_back(csv_field(describe_mfu_basis(c.mfu_basis)));
    row.push_back(predicted ? "true" : "false");
    row.push_back(predicted ? machine_number(c.mfu_prediction.params) : "");
    for (std::size_t k = 0; k < row.size(); ++k) out << (k ? "," : "") << row[k];
    out << '\n';
  }
}

}  // namespace clustercap::report
