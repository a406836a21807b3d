// The per-actor output metrics: one table, one entry per figure.
//
// Each entry names an output figure (snake_case, unit suffix: the name the
// JSON, CSV and sweep outputs use), its unit, how it follows from a cluster's
// model row (RowT), assembled cluster (AssembledT) and training outcome
// (OutcomeT) -- one generic expression, instantiated for T = double
// (`estimate`) and T = model::Pack (the sweep kernel, eight samples at once),
// so both compute it with the same operations -- whether `sweep` summarises
// it, and how the reporters show it.
//
// Adding a metric is one entry here (plus its equation where the model
// keeps its equations): the sweep kernel writes every swept entry in table
// order, sweep::metric_names() lists them, and the estimate reporters place
// every entry (JSON: after `json_after` in its scope's object; CSV: after
// the column `csv_after`; a null anchor appends it at the end, so existing
// columns keep their positions).
//
// Pure data and constexpr functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <type_traits>

#include "estimator/model/cluster_row.hpp"
#include "power/facility.hpp"

namespace clustercap {

// What a metric is computed from: one candidate cluster as the model built it.
template <class T>
struct MetricInputs {
  const model::RowT<T>& row;
  const model::AssembledT<T>& cluster;
  const model::OutcomeT<T>& outcome;
};

// How reporters show a metric's values.
enum class MetricStyle {
  count,       // whole number: JSON integer, table "179,328"
  fixed,       // table: three significant figures ("27.4", "1.46e+06" past a million)
  scientific,  // table: "3.20e25"
};

// The estimate JSON object that holds the metric.
// `cost`: the `cost` object; `capex_part`: its `capex_breakdown_usd` object
// (keyed by the name without `capex_` and `_usd`).
enum class MetricScope { cluster, training, cost, capex_part };

struct Metric {
  const char* name;  // output name, snake_case with its unit suffix
  const char* unit;  // unit as tables print it
  double (*value)(const MetricInputs<double>&);
  model::Pack (*lanes)(const MetricInputs<model::Pack>&);  // the same expression on eight samples
  bool swept;  // summarised by `sweep` (mean, sd, quantiles)
  MetricStyle style;
  MetricScope scope;
  const char* json_after;  // estimate JSON: the key it follows in its object; nullptr: last
  const char* csv_after;   // estimate CSV: the column it follows; nullptr: last
  const char* label;  // estimate table: label of its own line; nullptr: shown inside a sentence
};

namespace detail {

// One generic expression as both function pointers of an entry.
template <class F>
constexpr Metric metric(const char* name, const char* unit, F f, bool swept, MetricStyle style,
                        MetricScope scope, const char* json_after, const char* csv_after,
                        const char* label) {
  return {name, unit, f, f, swept, style, scope, json_after, csv_after, label};
}

constexpr bool same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// The cost pieces several entries share (model/cost.hpp).
template <class M>
auto capex(const M& m) {
  return model::capex_with_t(m.row, m.cluster.systems, m.cluster.fabric);
}
// A year of facility power at full draw (a cluster trains around the clock).
template <class M>
auto annual_energy_mwh(const M& m) {
  using T = std::decay_t<decltype(m.row.duration_s)>;
  return power::energy_per_run_mwh(m.cluster.facility_power_w,
                                   model::splat<T>(model::kSecondsPerYear));
}
template <class M>
auto energy_usd(const M& m) {
  return power::energy_per_run_mwh(m.cluster.facility_power_w, m.row.duration_s) *
         m.row.electricity_usd_per_mwh;
}
template <class M>
auto run_cost(const M& m) {
  return model::run_cost_usd_t(capex(m).total(), energy_usd(m), m.row.duration_s,
                               m.row.depreciation_s, m.row.opex_fraction_per_year);
}

}  // namespace detail

// In output order. The sweep's metrics are the swept entries in this order,
// then one ratio per reference (sweep.hpp).
inline constexpr std::array<Metric, 15> kMetrics = {{
    detail::metric(
        "chips", "chips", [](const auto& m) { return m.cluster.chips; }, true, MetricStyle::count,
        MetricScope::cluster, "site", "site", nullptr),
    detail::metric(
        "facility_power_mw", "MW", [](const auto& m) { return m.cluster.facility_power_w / 1e6; },
        true, MetricStyle::fixed, MetricScope::cluster, "it_power_mw", "it_power_mw", nullptr),
    detail::metric(
        "sustained_flops", "FLOP/s", [](const auto& m) { return m.outcome.sustained_flops; }, true,
        MetricStyle::scientific, MetricScope::cluster, "mfu_prediction", "mfu", nullptr),
    detail::metric(
        "train_flop", "FLOP", [](const auto& m) { return m.outcome.train_flop; }, true,
        MetricStyle::scientific, MetricScope::training, "goodput", "goodput", nullptr),
    detail::metric(
        "params", "params", [](const auto& m) { return m.outcome.params; }, true,
        MetricStyle::scientific, MetricScope::training, "train_flop", "train_flop", nullptr),
    // A figure of the run (its duration), so in `training`; appended to the CSV.
    detail::metric(
        "energy_per_run_mwh", "MWh",
        [](const auto& m) {
          return power::energy_per_run_mwh(m.cluster.facility_power_w, m.row.duration_s);
        },
        true, MetricStyle::fixed, MetricScope::training, nullptr, nullptr, "Energy per run"),
    // Total cost of ownership (model/cost.hpp), appended to the CSV.
    detail::metric(
        "capex_usd", "USD", [](const auto& m) { return detail::capex(m).total(); }, true,
        MetricStyle::scientific, MetricScope::cost, nullptr, nullptr, "Capex"),
    detail::metric(
        "capex_chips_usd", "USD", [](const auto& m) { return detail::capex(m).chips; }, true,
        MetricStyle::scientific, MetricScope::capex_part, nullptr, nullptr, "  systems"),
    detail::metric(
        "capex_network_usd", "USD", [](const auto& m) { return detail::capex(m).network; }, true,
        MetricStyle::scientific, MetricScope::capex_part, nullptr, nullptr, "  network"),
    detail::metric(
        "capex_facility_usd", "USD", [](const auto& m) { return detail::capex(m).facility; }, true,
        MetricStyle::scientific, MetricScope::capex_part, nullptr, nullptr, "  facility"),
    detail::metric(
        "energy_usd", "USD per run", [](const auto& m) { return detail::energy_usd(m); }, true,
        MetricStyle::scientific, MetricScope::cost, nullptr, nullptr, "Energy cost"),
    detail::metric(
        "annual_energy_mwh", "MWh per year",
        [](const auto& m) { return detail::annual_energy_mwh(m); }, true, MetricStyle::fixed,
        MetricScope::cost, nullptr, nullptr, "Energy per year"),
    detail::metric(
        "annual_energy_usd", "USD per year",
        [](const auto& m) { return detail::annual_energy_mwh(m) * m.row.electricity_usd_per_mwh; },
        true, MetricStyle::scientific, MetricScope::cost, nullptr, nullptr, "Energy cost/year"),
    detail::metric(
        "run_cost_usd", "USD per run", [](const auto& m) { return detail::run_cost(m); }, true,
        MetricStyle::scientific, MetricScope::cost, nullptr, nullptr, "Run cost"),
    detail::metric(
        "usd_per_pflops_day", "USD per sustained PFLOP/s-day",
        [](const auto& m) {
          return model::usd_per_pflops_day_t(detail::run_cost(m), m.outcome.sustained_flops,
                                             m.row.duration_s);
        },
        true, MetricStyle::fixed, MetricScope::cost, nullptr, nullptr, "Cost of compute"),
}};

inline constexpr std::size_t kMetricCount = kMetrics.size();

// Values of every entry, in table order.
using MetricValues = std::array<double, kMetricCount>;

// Position of the entry named `name` in kMetrics; kMetricCount if none.
constexpr std::size_t metric_index(const char* name) {
  for (std::size_t k = 0; k < kMetricCount; ++k) {
    if (detail::same(kMetrics[k].name, name)) return k;
  }
  return kMetricCount;
}

// How many entries `sweep` summarises.
constexpr std::size_t swept_metric_count() {
  std::size_t n = 0;
  for (const Metric& m : kMetrics) n += m.swept ? 1 : 0;
  return n;
}

// Position of the entry named `name` among the swept entries; the count if none.
constexpr std::size_t swept_metric_index(const char* name) {
  std::size_t n = 0;
  for (const Metric& m : kMetrics) {
    if (detail::same(m.name, name)) return m.swept ? n : swept_metric_count();
    n += m.swept ? 1 : 0;
  }
  return swept_metric_count();
}

// Every table entry for one cluster.
inline MetricValues metric_values(const MetricInputs<double>& in) {
  MetricValues v{};
  for (std::size_t k = 0; k < kMetricCount; ++k) v[k] = kMetrics[k].value(in);
  return v;
}

}  // namespace clustercap
