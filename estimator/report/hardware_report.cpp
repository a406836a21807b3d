#include "estimator/report/hardware_report.hpp"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <variant>
#include <vector>

#include "estimator/report/csv_writer.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;
using FieldValue = std::variant<std::string, double, std::int64_t, bool>;

struct Field {
  std::string key;  // catalog key, with its unit suffix
  FieldValue value;
};

struct Entry {
  std::string kind;
  std::string id;
  std::vector<Field> fields;
  const Provenance* provenance = nullptr;
};

class FieldList {
 public:
  void text(const char* key, const std::string& value) {
    if (!value.empty()) fields.push_back({key, value});
  }
  void number(const char* key, const std::optional<double>& value, double scale = 1.0) {
    if (value) fields.push_back({key, *value / scale});
  }
  void integer(const char* key, const std::optional<std::int64_t>& value) {
    if (value) fields.push_back({key, *value});
  }
  void flag(const char* key, bool value) { fields.push_back({key, value}); }
  std::vector<Field> fields;
};

// A list of names or sources on one line.
std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : "; ") + item;
  return text;
}

// What the chip can be used for (chip_usability), in words.
std::string usable_for_text(const Chip& c, const Catalog& catalog) {
  const ChipUsability u = chip_usability(c, catalog);
  auto names = [](const std::vector<Precision>& ps) {
    std::string text;
    for (Precision p : ps) text += (text.empty() ? "" : ", ") + std::string(to_string(p));
    return text;
  };
  if (!u.with_prior.empty()) {
    return "estimates at " + names(u.with_prior) +
           (u.with_user_mfu.empty() ? "" : "; with a set mfu also at " + names(u.with_user_mfu));
  }
  if (!u.with_user_mfu.empty()) {
    return "estimates at " + names(u.with_user_mfu) + " with a set mfu (no catalog MFU prior)";
  }
  const System* system = c.default_system.empty() ? nullptr : catalog.find_system(c.default_system);
  std::string text = "no estimate: at bf16 it lacks ";
  const auto missing = missing_for_estimate(c, system, Precision::bf16, true);
  for (std::size_t i = 0; i < missing.size(); ++i) {
    text += (i == 0 ? "" : ", ") + missing[i].figure + " (" + missing[i].key + ")";
  }
  return text;
}

Entry chip_entry(const Chip& c, const Catalog& catalog) {
  FieldList f;
  f.text("name", c.name);
  f.text("vendor", c.vendor);
  f.integer("year", c.year);
  f.text("status", c.status);
  f.text("process_node", c.process_node);
  f.text("foundry", c.foundry);
  f.number("die_area_mm2", c.die_area_mm2);
  f.integer("compute_dies", c.compute_dies);
  for (Precision p : kAllPrecisions) f.number(catalog_key(p).c_str(), c.peak_flops(p), 1e12);
  f.number("fp64_tensor_tflops", c.fp64_tensor_flops, 1e12);
  f.number("hbm_gb", c.hbm_bytes, 1e9);
  f.text("memory_type", c.memory_type);
  f.number("hbm_bw_tbs", c.hbm_bandwidth_bytes_per_s, 1e12);
  f.text("scaleup_tech", c.scaleup_tech);
  f.text("scaleup_topology", c.scaleup_topology);
  f.number("scaleup_gbs_bidirectional", c.scaleup_bidirectional_bytes_per_s, 1e9);
  f.number("scaleup_gbs_unidirectional", c.scaleup_unidirectional_bytes_per_s, 1e9);
  f.number("scaleup_gbs_direction_unstated", c.scaleup_direction_unstated_bytes_per_s, 1e9);
  f.number("scaleout_gbps", c.scaleout_bits_per_s, 1e9);
  f.number("io_gbs_bidirectional", c.io_bidirectional_bytes_per_s, 1e9);
  f.text("io_basis", c.io_basis);
  f.number("tdp_w", c.tdp_w);
  f.number("price_usd", c.price_usd);
  f.number("mfu_bf16", c.mfu_bf16);
  f.number("mfu_fp8", c.mfu_fp8);
  f.text("mfu_notes", c.mfu_notes);
  f.number("matmul_efficiency", c.matmul_efficiency);
  f.text("matmul_efficiency_fitted_on", joined(c.matmul_efficiency_fitted_on));
  f.text("matmul_efficiency_sources", joined(c.matmul_efficiency_sources));
  f.text("matmul_efficiency_notes", c.matmul_efficiency_notes);
  f.text("default_system", c.default_system);
  f.text("usable_for", usable_for_text(c, catalog));
  return {"chip", c.id, std::move(f.fields), &c.provenance};
}

Entry system_entry(const System& s) {
  FieldList f;
  f.text("name", s.name);
  f.text("vendor", s.vendor);
  f.text("chip_id", s.chip_id);
  f.integer("chips", s.chips);
  f.text("cpus", s.cpus);
  f.integer("year", s.year);
  f.text("status", s.status);
  f.integer("racks", s.racks);
  f.text("racks_note", s.racks_note);
  f.integer("scaleup_domain_chips", s.scaleup_domain_chips);
  f.number("bf16_dense_pflops", s.bf16_dense_flops, 1e15);
  f.number("fp8_dense_pflops", s.fp8_dense_flops, 1e15);
  f.number("fp4_dense_pflops", s.fp4_dense_flops, 1e15);
  f.number("hbm_tb", s.hbm_bytes, 1e12);
  f.number("hbm_bw_tbs", s.hbm_bandwidth_bytes_per_s, 1e12);
  f.text("scaleup_tech", s.scaleup_tech);
  f.text("scaleup_topology", s.scaleup_topology);
  f.number("scaleup_gbs_bidirectional_per_chip", s.scaleup_bidirectional_bytes_per_s_per_chip, 1e9);
  f.number("scaleup_gbs_unidirectional_per_chip", s.scaleup_unidirectional_bytes_per_s_per_chip,
           1e9);
  f.number("scaleup_gbs_direction_unstated_per_chip",
           s.scaleup_direction_unstated_bytes_per_s_per_chip, 1e9);
  f.number("scaleup_aggregate_tbs_bidirectional", s.scaleup_aggregate_bidirectional_bytes_per_s,
           1e12);
  f.number("scaleup_aggregate_tbs_direction_unstated",
           s.scaleup_aggregate_direction_unstated_bytes_per_s, 1e12);
  f.number("scaleout_gbps_per_chip", s.scaleout_bits_per_s_per_chip, 1e9);
  f.integer("scaleout_rails", s.scaleout_rails);
  f.integer("optical_transceivers", s.optical_transceivers);
  f.number("power_kw", s.power_w, 1e3);
  f.text("power_scope", s.power_scope);
  if (s.power_w) {
    f.flag("power_is_system_it", s.power_is_system_it);
    f.flag("power_includes_scaleout", s.power_includes_scaleout);
  }
  f.number("price_usd", s.price_usd);
  return {"system", s.id, std::move(f.fields), &s.provenance};
}

Entry cluster_entry(const ReferenceCluster& c) {
  FieldList f;
  f.text("name", c.name);
  f.text("operator", c.operator_name);
  f.text("country", c.country);
  f.text("location", c.location);
  f.text("status", c.status);
  f.text("first_operational", c.first_operational);
  f.text("chip_id", c.chip_id);
  f.integer("chip_count", c.chip_count);
  f.text("chip_secondary_id", c.chip_secondary_id);
  f.integer("chip_secondary_count", c.chip_secondary_count);
  f.integer("total_chips", c.total_chips);
  f.integer("h100_equivalents", c.h100_equivalents);
  if (c.single_site) f.flag("single_site", *c.single_site);
  f.number("power_mw", c.power_w, 1e6);
  f.text("power_scope", c.power_scope);
  return {"cluster", c.id, std::move(f.fields), &c.provenance};
}

std::vector<Entry> entries(const Catalog& catalog, HardwareKind kind) {
  std::vector<Entry> list;
  if (kind == HardwareKind::all || kind == HardwareKind::chip) {
    for (const auto& c : catalog.chips) list.push_back(chip_entry(c, catalog));
  }
  if (kind == HardwareKind::all || kind == HardwareKind::system) {
    for (const auto& s : catalog.systems) list.push_back(system_entry(s));
  }
  if (kind == HardwareKind::all || kind == HardwareKind::cluster) {
    for (const auto& c : catalog.clusters) list.push_back(cluster_entry(c));
  }
  return list;
}

std::optional<Entry> find_entry(const Catalog& catalog, const std::string& id) {
  for (auto& e : entries(catalog, HardwareKind::all)) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

const FieldValue* field(const Entry& e, const std::string& key) {
  for (const auto& f : e.fields) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

std::string value_text(const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return terminal_text(*s);  // tables only
  if (const auto* d = std::get_if<double>(&v)) return machine_number(*d);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return std::get<bool>(v) ? "true" : "false";
}

json value_json(const FieldValue& v) {
  return std::visit([](const auto& x) { return json(x); }, v);
}

std::string short_figure(const Entry& e, const char* key, const char* unit) {
  const FieldValue* v = field(e, key);
  if (v == nullptr) return "-";
  std::string text = value_text(*v) + unit;
  if (e.provenance->is_estimated(key)) text += "*";
  return text;
}

bool is_figure(const Field& f) { return !std::holds_alternative<std::string>(f.value); }

// Each figure with its unit, estimate flag and the sources behind it.
json figures_json(const Entry& e) {
  json list = json::array();
  for (const auto& f : e.fields) {
    if (!is_figure(f)) continue;
    list.push_back({{"key", f.key},
                    {"value", value_json(f.value)},
                    {"unit", figure_unit(f.key)},
                    {"estimated", e.provenance->is_estimated(f.key)},
                    {"sources", e.provenance->sources_for(f.key)}});
  }
  return list;
}

json entry_json(const Entry& e) {
  json j = {{"kind", e.kind}, {"id", e.id}};
  for (const auto& f : e.fields) j[f.key] = value_json(f.value);
  j["sources"] = e.provenance->sources;
  j["estimated"] = e.provenance->estimated;
  j["notes"] = e.provenance->notes;
  j["defined_in"] = e.provenance->defined_in;
  return j;
}

json document(json body) {
  json doc = {{"schema", kHardwareSchema}, {"clustercap_version", kVersion}};
  for (auto& [key, value] : body.items()) doc[key] = value;
  return doc;
}

}  // namespace

void write_hardware_list_table(const Catalog& catalog, HardwareKind kind, std::ostream& out) {
  out << std::left << std::setw(8) << "kind" << std::setw(42) << "id" << std::setw(18)
      << "bf16 dense" << std::setw(12) << "memory" << std::setw(14) << "power"
      << "name\n";
  for (const auto& e : entries(catalog, kind)) {
    std::string compute = "-", memory = "-", power_text = "-";
    if (e.kind == "chip") {
      compute = short_figure(e, "bf16_tflops", " TFLOPS");
      memory = short_figure(e, "hbm_gb", " GB");
      power_text = short_figure(e, "tdp_w", " W TDP");
    } else if (e.kind == "system") {
      compute = short_figure(e, "bf16_dense_pflops", " PFLOPS");
      memory = short_figure(e, "hbm_tb", " TB");
      power_text = short_figure(e, "power_kw", " kW");
    } else {
      compute = short_figure(e, "total_chips", " chips");
      if (compute == "-") compute = short_figure(e, "chip_count", " chips");
      power_text = short_figure(e, "power_mw", " MW");
    }
    const FieldValue* name = field(e, "name");
    out << std::left << std::setw(8) << terminal_text(e.kind) << std::setw(42)
        << terminal_text(e.id) << std::setw(18) << compute << std::setw(12) << memory
        << std::setw(14) << power_text << (name ? value_text(*name) : "") << "\n";
  }
  out << "(* = estimate; `clustercap hardware show ID` gives sources and notes)\n";
}

void write_hardware_list_json(const Catalog& catalog, HardwareKind kind, std::ostream& out) {
  json list = json::array();
  for (const auto& e : entries(catalog, kind)) list.push_back(entry_json(e));
  out << document({{"entries", list}}).dump(2) << '\n';
}

void write_hardware_list_csv(const Catalog& catalog, HardwareKind kind, std::ostream& out) {
  const auto list = entries(catalog, kind);
  // Columns: every key any listed entry sets, in first-seen order.
  std::vector<std::string> columns;
  for (const auto& e : list) {
    for (const auto& f : e.fields) {
      if (std::find(columns.begin(), columns.end(), f.key) == columns.end())
        columns.push_back(f.key);
    }
  }
  std::vector<std::string> header = {"kind", "id"};
  header.insert(header.end(), columns.begin(), columns.end());
  header.insert(header.end(), {"estimated", "sources"});
  CsvWriter csv(out, std::move(header));
  auto joined = [](const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : " ") + item;
    return text;
  };
  for (const auto& e : list) {
    std::vector<std::string> row = {e.kind, e.id};
    for (const auto& c : columns) {
      const FieldValue* v = field(e, c);
      if (v == nullptr) {
        row.emplace_back();
      } else if (const auto* text = std::get_if<std::string>(v)) {
        row.push_back(*text);
      } else {
        row.push_back(value_text(*v));
      }
    }
    row.push_back(joined(e.provenance->estimated));
    row.push_back(joined(e.provenance->sources));
    csv.row(row);
  }
}

bool write_hardware_show_table(const Catalog& catalog, const std::string& id, std::ostream& out) {
  const auto e = find_entry(catalog, id);
  if (!e) return false;
  out << terminal_text(e->kind) << " " << terminal_text(e->id) << "  (from "
      << terminal_text(e->provenance->defined_in) << ")\n";
  const auto& all = e->provenance->sources;
  for (const auto& f : e->fields) {
    out << "  " << std::left << std::setw(42) << terminal_text(f.key) << value_text(f.value);
    if (is_figure(f)) {
      const std::string unit = figure_unit(f.key);
      if (!unit.empty()) out << " " << unit;
      // Source numbers refer to the list below; [all] when none is mapped.
      std::string cited;
      for (const auto& source : e->provenance->sources_for(f.key)) {
        const auto at = std::find(all.begin(), all.end(), source) - all.begin();
        cited += (cited.empty() ? "" : ",") + std::to_string(at + 1);
      }
      if (e->provenance->sources_for(f.key).size() == all.size()) cited = "all";
      out << "   [" << (e->provenance->is_estimated(f.key) ? "estimate" : "source") << " " << cited
          << "]";
    }
    out << "\n";
  }
  out << "  sources:\n";
  for (std::size_t i = 0; i < all.size(); ++i)
    out << "    " << i + 1 << ". " << terminal_text(all[i]) << "\n";
  if (!e->provenance->notes.empty())
    out << "  notes: " << terminal_text(e->provenance->notes) << "\n";
  return true;
}

bool write_hardware_show_json(const Catalog& catalog, const std::string& id, std::ostream& out) {
  const auto e = find_entry(catalog, id);
  if (!e) return false;
  json entry = entry_json(*e);
  entry["figures"] = figures_json(*e);
  out << document({{"entry", entry}}).dump(2) << '\n';
  return true;
}

}  // namespace clustercap::report
