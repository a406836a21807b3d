#include "estimator/report/timeline_report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/default_text.hpp"
#include "estimator/report/mfu_text.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/source_text.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;

// Counts as in the estimate reports (number_format.hpp): exact integers up
// to 2^53, numbers beyond, null for +inf.
json whole(double v) {
  checked_count(v, "count");
  if (std::isinf(v)) return nullptr;
  if (const auto integer = exact_integer(v)) return *integer;
  return v;
}

// The cost figures each month reports (metrics table names, docs/costs.md):
// what the month's cluster would cost to build and to run for a year.
constexpr const char* kMonthCostMetrics[] = {"capex_usd", "annual_energy_mwh", "annual_energy_usd"};

json month_cost_json(const TimelineMonth& m) {
  json j = json::object();
  for (const char* name : kMonthCostMetrics) j[name] = m.metrics[metric_index(name)];
  return j;
}

double flow_total(const TimelineMonth& m, supply::SupplyKind kind) {
  double total = 0;
  for (const auto& f : m.flows) {
    if (f.kind == kind) total += f.units;
  }
  return total;
}

std::string production_binding(const TimelineMonth& m) {
  std::string text;
  for (const auto& f : m.flows) {
    if (f.kind != supply::SupplyKind::production) continue;
    text += (text.empty() ? "" : ",") + f.binding;
  }
  return text.empty() ? "-" : text;
}

double blocked_total(const TimelineMonth& m) {
  double total = 0;
  for (const auto& f : m.flows) total += f.blocked;
  return total;
}

}  // namespace

void write_timeline_table(const TimelineResult& result, std::ostream& out) {
  out << "clustercap timeline: " << terminal_text(result.scenario_name) << "\n";
  out << "scenario " << terminal_text(result.scenario_file) << "; "
      << supply::month_text(result.settings.start) << " to "
      << supply::month_text(result.settings.end) << "; dense " << to_string(result.precision)
      << " peaks"
      << (result.export_rule.empty() ? ""
                                     : "; export rules up to " + terminal_text(result.export_rule))
      << "\n";
  out << sources_table_text(result.sources_used, result.source_choice, "--sources ID picks one");
  for (const auto& a : result.actors) {
    out << "\n== " << terminal_text(a.name) << " ==\n";
    out << std::left << std::setw(9) << "month" << std::right << std::setw(12) << "stock H100e"
        << std::setw(10) << "produced" << std::setw(10) << "imported" << std::setw(10) << "smuggled"
        << std::setw(10) << "blocked"
        << "  " << std::left << std::setw(16) << "prod. binds" << std::setw(34) << "largest cluster"
        << std::setw(9) << "binds" << std::right << std::setw(10) << "FLOP/s" << std::setw(6)
        << "MFU"
        << "  " << std::left << std::setw(15) << "MFU basis" << std::right;
    for (const auto& ref : result.references) out << "  vs " << terminal_text(ref.id);
    out << "\n";
    for (const auto& m : a.months) {
      const std::string cluster =
          m.cluster.chip_id.empty()
              ? "-"
              : grouped_integer(m.cluster.chips) + " x " + terminal_text(m.cluster.chip_id);
      out << std::left << std::setw(9) << supply::month_text(m.month) << std::right << std::setw(12)
          << grouped_integer(m.inventory_h100e) << std::setw(10)
          << grouped_integer(flow_total(m, supply::SupplyKind::production)) << std::setw(10)
          << grouped_integer(flow_total(m, supply::SupplyKind::import)) << std::setw(10)
          << grouped_integer(flow_total(m, supply::SupplyKind::smuggling)) << std::setw(10)
          << grouped_integer(blocked_total(m)) << "  " << std::left << std::setw(16)
          << terminal_text(production_binding(m)) << std::setw(34) << cluster << std::setw(9)
          << (m.cluster.chip_id.empty() ? "-" : model::to_string(m.cluster.binding)) << std::right
          << std::setw(10) << scientific(m.cluster.sustained_flops) << std::setw(6)
          << (m.cluster.chip_id.empty() ? "-" : significant(m.cluster.mfu, 2)) << "  " << std::left
          << std::setw(15)
          << (m.cluster.chip_id.empty() ? "-" : mfu_basis_label(m.cluster.mfu_basis)) << std::right;
      for (std::size_t r = 0; r < m.vs_reference.size(); ++r) {
        const std::size_t width = 4 + terminal_text(result.references[r].id).size();
        out << std::setw(static_cast<int>(width) + 2)
            << ratio(m.vs_reference[r].ratio_sustained_flops);
      }
      out << "\n";
    }
    // The basis in full for the last month with a cluster (each month's is
    // in the JSON and CSV).
    for (auto m = a.months.rbegin(); m != a.months.rend(); ++m) {
      if (m->cluster.chip_id.empty()) continue;
      out << "  MFU basis in " << supply::month_text(m->month)
          << " (each month's: --format json or csv): "
          << terminal_text(describe_mfu_basis(m->cluster.mfu_basis)) << "\n";
      break;
    }
    const auto idling = std::find_if(a.months.begin(), a.months.end(), [](const auto& m) {
      return m.cluster.training_chips < m.cluster.chips;
    });
    if (idling != a.months.end()) {
      out << "  step, idling (first " << supply::month_text(idling->month)
          << "): the layout trains on " << grouped_integer(idling->cluster.training_chips)
          << " of the " << grouped_integer(idling->cluster.chips)
          << " chips, for more sustained FLOP/s than on all; MFU is per chip deployed "
             "(training_chips in --format json or csv)\n";
    }
    for (const auto& o : a.overtakes) {
      out << "  overtakes " << terminal_text(o.reference) << ": "
          << (o.first_month ? supply::month_text(*o.first_month) : "never within the horizon")
          << "\n";
    }
    for (const auto& w : timeline_warnings(a)) out << "  warning: " << terminal_text(w) << "\n";
    std::string notes;
    for (const auto& m : a.months) {
      for (const auto& f : m.flows) {
        if (!f.note.empty() && f.blocked > 0 && notes.find(f.supply) == std::string::npos) {
          notes += "  " + terminal_text(f.supply) + " from " + supply::month_text(m.month) + ": " +
                   terminal_text(f.note) + "\n";
        }
      }
    }
    out << notes;
    for (const auto& [name, units] : a.cumulative_units) {
      if (units <= 0) continue;
      const std::string supply_name = name;
      const bool stacks = std::any_of(a.months.front().pools.begin(), a.months.front().pools.end(),
                                      [&](const auto& p) { return p.first == supply_name; });
      out << "  " << (stacks ? "added to " : "delivered by ") << terminal_text(name) << ": "
          << grouped_integer(units) << (stacks ? " HBM stacks" : " chips") << "\n";
    }
    if (!a.months.empty()) {
      for (const auto& [name, level] : a.months.back().pools) {
        out << "  left in " << terminal_text(name) << " at the end: " << grouped_integer(level)
            << "\n";
      }
    }
  }
}

void write_timeline_json(const TimelineResult& result, std::ostream& out) {
  json actors = json::array();
  for (const auto& a : result.actors) {
    json months = json::array();
    for (const auto& m : a.months) {
      json inventory = json::array();
      for (const auto& s : m.inventory) {
        inventory.push_back({{"chip", s.chip_id}, {"count", whole(s.count)}, {"h100e", s.h100e}});
      }
      json flows = json::array();
      for (const auto& f : m.flows) {
        flows.push_back({{"supply", f.supply},
                         {"kind", supply::to_string(f.kind)},
                         {"chip", f.chip_id},
                         {"units", f.units},
                         {"blocked", f.blocked},
                         {"binding", f.binding},
                         {"note", f.note}});
      }
      json refs = json::array();
      for (const auto& r : m.vs_reference) {
        refs.push_back({{"reference", r.reference},
                        {"ratio_sustained_flops", r.ratio_sustained_flops},
                        {"ratio_chips", r.ratio_chips}});
      }
      months.push_back(
          {{"month", supply::month_text(m.month)},
           {"inventory", inventory},
           {"inventory_h100e", m.inventory_h100e},
           {"retired", m.retired},
           {"pools",
            [&] {
              json pools = json::object();
              for (const auto& [name, level] : m.pools) pools[name] = level;
              return pools;
            }()},
           {"supply", flows},
           {"cluster",
            {{"chip", m.cluster.chip_id},
             {"system", m.cluster.system_id.empty() ? json(nullptr) : json(m.cluster.system_id)},
             {"system_label", m.cluster.system_label},
             {"site", m.cluster.site},
             {"site_power_mw", m.cluster.site_power_w / 1e6},
             {"chips", whole(m.cluster.chips)},
             {"training_chips", whole(m.cluster.training_chips)},
             {"binding_constraint", model::to_string(m.cluster.binding)},
             {"facility_power_mw", m.cluster.facility_power_w / 1e6},
             {"sustained_flops", m.cluster.sustained_flops},
             {"mfu", m.cluster.mfu},
             {"mfu_basis",
              m.cluster.chip_id.empty() ? "" : describe_mfu_basis(m.cluster.mfu_basis)},
             {"h100e", m.cluster.h100e},
             {"sites", m.cluster.sites.size()},
             {"wan_efficiency",
              m.cluster.wan ? json(m.cluster.wan->step.efficiency) : json(nullptr)}}},
           {"train_flop", m.training.train_flop},
           {"cost", month_cost_json(m)},
           {"vs_reference", refs}});
    }
    json overtakes = json::array();
    for (const auto& o : a.overtakes) {
      overtakes.push_back({{"reference", o.reference},
                           {"first_month", o.first_month ? json(supply::month_text(*o.first_month))
                                                         : json(nullptr)}});
    }
    json cumulative = json::object();
    for (const auto& [name, units] : a.cumulative_units) cumulative[name] = units;
    actors.push_back({{"name", a.name},
                      {"overtakes", overtakes},
                      {"cumulative_supply", cumulative},
                      {"months", months}});
    // Only when there are any, so files that write every setting keep their output.
    if (const auto warnings = timeline_warnings(a); !warnings.empty())
      actors.back()["warnings"] = warnings;
  }
  json references = json::array();
  for (const auto& r : result.references) {
    references.push_back(
        {{"id", r.id}, {"chips", whole(r.chips)}, {"sustained_flops", r.sustained_flops}});
  }
  json doc = {{"schema", kTimelineSchema},
              {"clustercap_version", kVersion},
              {"scenario",
               {{"name", result.scenario_name},
                {"file", result.scenario_file},
                {"precision", to_string(result.precision)},
                {"export_rule", result.export_rule},
                {"start", supply::month_text(result.settings.start)},
                {"end", supply::month_text(result.settings.end)},
                {"sources", sources_json(result.sources_used, result.source_choice)}}},
              {"references", references},
              {"actors", actors}};
  out << doc.dump(2) << '\n';
}

void write_timeline_csv(const TimelineResult& result, std::ostream& out) {
  std::vector<std::string> columns = {"actor",
                                      "month",
                                      "inventory_h100e",
                                      "produced",
                                      "imported",
                                      "smuggled",
                                      "blocked",
                                      "retired",
                                      "production_binding",
                                      "cluster_chip",
                                      "cluster_chips",
                                      "binding_constraint",
                                      "facility_power_mw",
                                      "sustained_flops",
                                      "mfu",
                                      "mfu_basis"};
  for (const char* name : kMonthCostMetrics) columns.emplace_back(name);
  for (const auto& r : result.references) columns.push_back("ratio_sustained_flops_vs_" + r.id);
  columns.emplace_back("training_chips");  // last, so earlier columns keep their positions
  CsvWriter csv(out, std::move(columns));
  for (const auto& a : result.actors) {
    for (const auto& m : a.months) {
      const bool cluster = !m.cluster.chip_id.empty();
      std::vector<std::string> row = {a.name,
                                      supply::month_text(m.month),
                                      machine_number(m.inventory_h100e),
                                      machine_number(flow_total(m, supply::SupplyKind::production)),
                                      machine_number(flow_total(m, supply::SupplyKind::import)),
                                      machine_number(flow_total(m, supply::SupplyKind::smuggling)),
                                      machine_number(blocked_total(m)),
                                      machine_number(m.retired),
                                      production_binding(m),
                                      m.cluster.chip_id,
                                      whole_number(m.cluster.chips, "cluster chips"),
                                      cluster ? model::to_string(m.cluster.binding) : "",
                                      machine_number(m.cluster.facility_power_w / 1e6),
                                      machine_number(m.cluster.sustained_flops),
                                      machine_number(m.cluster.mfu),
                                      cluster ? describe_mfu_basis(m.cluster.mfu_basis) : ""};
      for (const char* name : kMonthCostMetrics)
        row.push_back(machine_number(m.metrics[metric_index(name)]));
      for (const auto& r : m.vs_reference) row.push_back(machine_number(r.ratio_sustained_flops));
      row.push_back(whole_number(m.cluster.training_chips, "training chips"));
      csv.row(row);
    }
  }
}

}  // namespace clustercap::report
