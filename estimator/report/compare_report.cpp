#include "estimator/report/compare_report.hpp"

#include <cmath>
#include <functional>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "estimator/model/cost.hpp"
#include "estimator/report/csv_writer.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;

// One compared quantity: output key (unit in the name), table label, the
// divisor from SI, and how to read it from an item.
struct Row {
  const char* key;
  const char* label;
  double scale;
  std::function<std::optional<double>(const CompareItem&)> value;
  std::function<const CompareFigure*(const CompareItem&)> figure;  // null for derived rows
};

// All-in capital per BF16 PFLOP/s at the [cost] and [network] defaults
// (docs/costs.md): the item's price, a 3-tier fat tree's switches and
// optics for its scale-out ports (none when the system's figures include
// them, as the model counts them), and the facility for its power.
std::optional<double> usd_per_bf16_pflop_all_in(const CompareItem& i) {
  if (!i.price_usd.value || !i.power_w.value || !i.bf16_flops.value || *i.bf16_flops.value <= 0)
    return std::nullopt;
  const model::CostSpec cost;
  const model::FabricSpec fabric;
  const model::FabricT<double> f = model::fabric_values<double>(fabric);
  const double ports =
      i.scaleout_bits_per_s.value && !i.includes_scaleout
          ? i.chips * std::ceil(*i.scaleout_bits_per_s.value / i.chips / (fabric.port_gbps * 1e9))
          : 0.0;
  const double network =
      ports * model::network_usd_per_endpoint_t(3.0, f, cost.switch_usd, cost.transceiver_usd);
  const double facility = *i.power_w.value * cost.facility_usd_per_w;
  return (*i.price_usd.value + network + facility) / (*i.bf16_flops.value / 1e15);
}

// A year of the item's catalogued power at full draw (no PUE: no site).
std::optional<double> it_mwh_per_year(const CompareItem& i) {
  if (!i.power_w.value) return std::nullopt;
  return *i.power_w.value * model::kSecondsPerYear / power::kJoulesPerMwh;
}

std::vector<Row> rows() {
  auto fig = [](CompareFigure CompareItem::*member) {
    return [member](const CompareItem& i) { return &(i.*member); };
  };
  auto val = [](CompareFigure CompareItem::*member) {
    return [member](const CompareItem& i) { return (i.*member).value; };
  };
  auto opt = [](std::optional<double> CompareItem::*member) {
    return [member](const CompareItem& i) { return i.*member; };
  };
  return {
      {"chips", "chips", 1, [](const CompareItem& i) { return std::optional<double>(i.chips); },
       nullptr},
      {"bf16_dense_pflops", "BF16 dense PFLOPS", 1e15, val(&CompareItem::bf16_flops),
       fig(&CompareItem::bf16_flops)},
      {"fp8_dense_pflops", "FP8 dense PFLOPS", 1e15, val(&CompareItem::fp8_flops),
       fig(&CompareItem::fp8_flops)},
      {"fp4_dense_pflops", "FP4 dense PFLOPS", 1e15, val(&CompareItem::fp4_flops),
       fig(&CompareItem::fp4_flops)},
      {"h100e", "H100e (dense BF16)", 1, opt(&CompareItem::h100e), nullptr},
      {"hbm_tb", "HBM TB", 1e12, val(&CompareItem::hbm_bytes), fig(&CompareItem::hbm_bytes)},
      {"hbm_tbs", "HBM TB/s", 1e12, val(&CompareItem::hbm_bytes_per_s),
       fig(&CompareItem::hbm_bytes_per_s)},
      {"scaleup_tbs_bidirectional", "scale-up TB/s (bidir)", 1e12,
       val(&CompareItem::scaleup_bidirectional_bytes_per_s),
       fig(&CompareItem::scaleup_bidirectional_bytes_per_s)},
      {"scaleout_gbps", "scale-out Gb/s", 1e9, val(&CompareItem::scaleout_bits_per_s),
       fig(&CompareItem::scaleout_bits_per_s)},
      {"power_kw", "power kW", 1e3, val(&CompareItem::power_w), fig(&CompareItem::power_w)},
      {"price_usd", "price USD", 1, val(&CompareItem::price_usd), fig(&CompareItem::price_usd)},
      {"w_per_bf16_tflop", "W per BF16 TFLOP", 1, opt(&CompareItem::w_per_bf16_tflop), nullptr},
      {"w_per_hbm_tbs", "W per HBM TB/s", 1, opt(&CompareItem::w_per_hbm_tbs), nullptr},
      {"w_per_hbm_tb", "W per HBM TB", 1, opt(&CompareItem::w_per_hbm_tb), nullptr},
      {"usd_per_bf16_pflop", "USD per BF16 PFLOP", 1, opt(&CompareItem::usd_per_bf16_pflop),
       nullptr},
      {"usd_per_bf16_pflop_all_in", "USD/BF16 PFLOP all-in", 1, usd_per_bf16_pflop_all_in, nullptr},
      {"it_mwh_per_year", "IT MWh per year", 1, it_mwh_per_year, nullptr},
  };
}

std::optional<double> scaled(const std::optional<double>& v, double scale) {
  if (!v) return std::nullopt;
  return *v / scale;
}

// first ÷ this
std::optional<double> ratio(const CompareItem& first, const CompareItem& item, const Row& row) {
  return ratio_to_first(row.value(first), row.value(item));
}

}  // namespace

void write_compare_table(const ComparisonResult& result, std::ostream& out) {
  const auto& items = result.items;
  const std::string& first = items.front().id;
  constexpr int kLabel = 24;
  constexpr int kColumn = 30;
  out << "compare: ratios are " << terminal_text(first) << " / each item (x); * = estimate\n";
  out << "power basis: " << terminal_text(result.power_basis) << "\n";
  out << "scale-up: bidirectional totals (one-way figures doubled)\n\n";
  out << std::left << std::setw(kLabel) << "";
  for (const auto& item : items) out << std::setw(kColumn) << terminal_text(item.id);
  out << "\n";
  for (const auto& row : rows()) {
    out << std::left << std::setw(kLabel) << row.label;
    for (const auto& item : items) {
      const auto v = scaled(row.value(item), row.scale);
      std::string cell = "-";
      if (v) {
        const bool whole =
            std::string(row.key) == "chips" || (std::fabs(*v) >= 1000 && std::fabs(*v) < 1e7);
        cell = whole ? grouped_integer(*v) : significant(*v);
      }
      const CompareFigure* f = row.figure ? row.figure(item) : nullptr;
      if (f != nullptr && f->estimated) cell += "*";
      if (&item != &items.front() && v) {
        if (const auto r = ratio(items.front(), item, row)) cell += " (" + report::ratio(*r) + ")";
      }
      out << std::setw(kColumn) << cell;
    }
    out << "\n";
  }
  out << "\npower scope:\n";
  for (const auto& item : items)
    out << "  " << terminal_text(item.id) << ": " << terminal_text(item.power_scope) << "\n";
}

void write_compare_json(const ComparisonResult& result, std::ostream& out) {
  json items = json::array();
  const CompareItem& first = result.items.front();
  for (const auto& item : result.items) {
    json figures = json::object(), ratios = json::object();
    for (const auto& row : rows()) {
      const auto v = scaled(row.value(item), row.scale);
      json entry = {{"value", v ? json(*v) : json(nullptr)}};
      if (const CompareFigure* f = row.figure ? row.figure(item) : nullptr) {
        entry["basis"] = f->basis;
        entry["estimated"] = f->estimated;
      }
      figures[row.key] = entry;
      const auto r = ratio(first, item, row);
      ratios[row.key] = r ? json(*r) : json(nullptr);
    }
    items.push_back({{"id", item.id},
                     {"kind", item.kind},
                     {"name", item.name},
                     {"power_scope", item.power_scope},
                     {"figures", figures},
                     {"ratio_first_to_this", ratios}});
  }
  json doc = {{"schema", kCompareSchema},
              {"clustercap_version", kVersion},
              {"first", first.id},
              {"power_basis", result.power_basis},
              {"scaleup_convention", "bidirectional totals; one-way figures doubled"},
              {"items", items}};
  out << doc.dump(2) << '\n';
}

void write_compare_csv(const ComparisonResult& result, std::ostream& out) {
  const auto all = rows();
  std::vector<std::string> header = {"id", "kind"};
  for (const auto& row : all) header.push_back(row.key);
  for (const auto& row : all) header.push_back(std::string("ratio_first_to_this_") + row.key);
  CsvWriter csv(out, std::move(header));
  for (const auto& item : result.items) {
    std::vector<std::string> cells = {item.id, item.kind};
    for (const auto& row : all) {
      const auto v = scaled(row.value(item), row.scale);
      cells.push_back(v ? machine_number(*v) : "");
    }
    for (const auto& row : all) {
      const auto r = ratio(result.items.front(), item, row);
      cells.push_back(r ? machine_number(*r) : "");
    }
    csv.row(cells);
  }
}

}  // namespace clustercap::report
