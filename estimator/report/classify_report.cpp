#include "estimator/report/classify_report.hpp"

#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;
namespace ec = export_control;

const char* truth_text(ec::Truth t) {
  switch (t) {
    case ec::Truth::yes:
      return "yes";
    case ec::Truth::no:
      return "no";
    case ec::Truth::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string plain(double x) {
  if (std::fabs(x) >= 1000) return grouped_integer(x);
  return significant(x);
}

std::string metric_value(const std::optional<double>& v) { return v ? plain(*v) : "unknown"; }

std::string bound_text(const ec::BoundCheck& b) {
  return std::string(ec::to_string(b.bound.metric)) + " " + metric_value(b.value) + " " +
         ec::symbol(b.bound.comparison) + " " + plain(b.bound.threshold) + ": " +
         truth_text(b.holds);
}

std::string clause_text(const ec::ClauseCheck& c) {
  std::string text = c.clause->id + " [";
  for (std::size_t i = 0; i < c.check.bounds.size(); ++i) {
    text += (i ? ", " : "") + bound_text(c.check.bounds[i]);
  }
  if (c.check.datacenter_required) {
    text += std::string(c.check.bounds.empty() ? "" : ", ") +
            "datacenter = " + (*c.check.datacenter_required ? "true" : "false");
  }
  return text + "] " + truth_text(c.check.holds);
}

void write_metrics(const ec::ChipMetrics& m, std::ostream& out) {
  out << "    TPP " << metric_value(m.tpp)
      << (m.tpp_basis.empty() ? "" : " (" + terminal_text(m.tpp_basis) + ")") << "; die area "
      << (m.die_area_mm2 ? plain(*m.die_area_mm2) + " mm2" : "unknown") << "; PD "
      << metric_value(m.pd) << "\n";
  out << "    I/O "
      << (m.io_bidir_gbs ? plain(*m.io_bidir_gbs) + " GB/s (" + terminal_text(m.io_basis) + ")"
                         : "unknown")
      << "; DRAM bandwidth "
      << (m.total_dram_bw_gbs ? plain(*m.total_dram_bw_gbs) + " GB/s" : "unknown")
      << "; datacenter part " << (m.datacenter ? (*m.datacenter ? "yes" : "no") : "unknown")
      << "\n";
}

// Space-separated (URLs hold no spaces).
std::string joined_sources(const std::vector<std::string>& sources) {
  std::string text;
  for (const auto& s : sources) text += (text.empty() ? "" : " ") + s;
  return text;
}

json metrics_json(const ec::ChipMetrics& m) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"tpp", opt(m.tpp)},
          {"tpp_basis", m.tpp_basis},
          {"die_area_mm2", opt(m.die_area_mm2)},
          {"pd", opt(m.pd)},
          {"io_bidir_gbs", opt(m.io_bidir_gbs)},
          {"io_basis", m.io_basis},
          {"total_dram_bw_gbs", opt(m.total_dram_bw_gbs)},
          {"datacenter", m.datacenter ? json(*m.datacenter) : json(nullptr)}};
}

json verdict_json(const ec::Verdict& v) {
  json clauses = json::array();
  for (const auto& c : v.clauses) {
    json bounds = json::array();
    for (const auto& b : c.check.bounds) {
      bounds.push_back({{"metric", ec::to_string(b.bound.metric)},
                        {"comparison", ec::symbol(b.bound.comparison)},
                        {"threshold", b.bound.threshold},
                        {"value", b.value ? json(*b.value) : json(nullptr)},
                        {"holds", truth_text(b.holds)}});
    }
    json clause = {{"id", c.clause->id}, {"eccn", c.clause->eccn}, {"bounds", bounds}};
    if (c.check.datacenter_required) clause["datacenter"] = *c.check.datacenter_required;
    clause["holds"] = truth_text(c.check.holds);
    clauses.push_back(clause);
  }
  return {{"rule", v.vintage_id},
          {"status", v.status},
          {"controlled", truth_text(v.controlled_truth)},
          {"thresholds_status", v.thresholds_status},
          {"matched_clause", v.matched_clause},
          {"exclusion", v.exclusion},
          {"license_exceptions", v.license_exceptions},
          {"license_policy", v.license_policy},
          {"named", v.named_effects},
          {"named_sources", v.named_sources},
          {"missing", v.missing},
          {"hbm_clauses_not_evaluated", v.hbm_clauses},
          {"clauses", clauses}};
}

}  // namespace

void write_classify_table(const std::vector<ClassifiedChip>& chips, std::ostream& out) {
  for (const auto& chip : chips) {
    out << terminal_text(chip.id) << "  " << terminal_text(chip.name) << "\n";
    for (std::size_t i = 0; i < chip.readings.size(); ++i) {
      const auto& r = chip.readings[i];
      out << "  reading" << (i == 0 ? " (default)" : "") << ": " << terminal_text(r.metrics.reading)
          << "\n";
      if (!r.metrics.reading_source.empty())
        out << "    basis: " << terminal_text(r.metrics.reading_source) << "\n";
      write_metrics(r.metrics, out);
      for (const auto& v : r.verdicts) {
        out << "  " << std::left << std::setw(9) << terminal_text(v.vintage_id)
            << terminal_text(v.status);
        if (!v.matched_clause.empty()) out << "  (" << terminal_text(v.matched_clause) << ")";
        out << "\n";
        if (!v.exclusion.empty()) {
          out << "           " << terminal_text(v.exclusion)
              << "; thresholds alone: " << v.thresholds_status << "\n";
        }
        for (const auto& c : v.clauses)
          out << "           " << terminal_text(clause_text(c)) << "\n";
        if (!v.missing.empty()) {
          out << "           undecided until known:";
          for (const auto& m : v.missing) out << " " << terminal_text(m);
          out << "\n";
        }
        if (!v.license_exceptions.empty()) {
          out << "           licence exceptions:";
          for (const auto& e : v.license_exceptions) out << " " << terminal_text(e);
          out << "\n";
        }
        if (!v.license_policy.empty())
          out << "           licence review: " << terminal_text(v.license_policy) << "\n";
        for (const auto& n : v.named_effects)
          out << "           named: " << terminal_text(n) << "\n";
        for (const auto& n : v.named_sources)
          out << "           source: " << terminal_text(n) << "\n";
        if (!v.hbm_clauses.empty()) {
          out << "           HBM stacks sold separately: " << terminal_text(v.hbm_clauses.front())
              << " applies (co-packaged HBM is excluded)\n";
        }
      }
      if (!r.headroom.empty()) {
        out << "  headroom under " << terminal_text(r.headroom_rule)
            << " (value vs each threshold, nearest first):\n";
        for (const auto& h : r.headroom) {
          out << "    " << std::left << std::setw(18) << ec::to_string(h.metric) << std::setw(10)
              << plain(h.value) << " vs " << std::setw(10) << plain(h.threshold) << std::setw(26)
              << terminal_text(h.clause) << (h.margin >= 0 ? "above by " : "below by ")
              << plain(std::fabs(h.margin)) << " (" << significant(std::fabs(h.relative) * 100)
              << "%)\n";
        }
      }
    }
    out << "\n";
  }
}

void write_classify_json(const std::vector<ClassifiedChip>& chips, std::ostream& out) {
  json list = json::array();
  for (const auto& chip : chips) {
    json readings = json::array();
    for (const auto& r : chip.readings) {
      json verdicts = json::array();
      for (const auto& v : r.verdicts) verdicts.push_back(verdict_json(v));
      json reading = {{"reading", r.metrics.reading},
                      {"reading_source", r.metrics.reading_source},
                      {"metrics", metrics_json(r.metrics)},
                      {"verdicts", verdicts}};
      if (!r.headroom.empty()) {
        json h = json::array();
        for (const auto& x : r.headroom) {
          h.push_back({{"metric", ec::to_string(x.metric)},
                       {"value", x.value},
                       {"threshold", x.threshold},
                       {"clause", x.clause},
                       {"margin", x.margin},
                       {"relative", x.relative}});
        }
        reading["headroom_rule"] = r.headroom_rule;
        reading["headroom"] = h;
      }
      readings.push_back(reading);
    }
    list.push_back({{"id", chip.id}, {"name", chip.name}, {"readings", readings}});
  }
  json doc = {{"schema", kClassifySchema}, {"clustercap_version", kVersion}, {"chips", list}};
  out << doc.dump(2) << '\n';
}

void write_classify_csv(const std::vector<ClassifiedChip>& chips, std::ostream& out) {
  CsvWriter csv(out, {"chip", "reading", "rule", "status", "controlled", "matched_clause", "tpp",
                      "pd", "io_bidir_gbs", "total_dram_bw_gbs", "status_sources"});
  auto num = [](const std::optional<double>& v) { return v ? machine_number(*v) : std::string(); };
  for (const auto& chip : chips) {
    for (const auto& r : chip.readings) {
      for (const auto& v : r.verdicts) {
        csv.row({chip.id, r.metrics.reading, v.vintage_id, v.status, truth_text(v.controlled_truth),
                 v.matched_clause, num(r.metrics.tpp), num(r.metrics.pd),
                 num(r.metrics.io_bidir_gbs), num(r.metrics.total_dram_bw_gbs),
                 joined_sources(v.named_sources)});
      }
    }
  }
}

}  // namespace clustercap::report
