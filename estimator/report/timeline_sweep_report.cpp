#include "estimator/report/timeline_sweep_report.hpp"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/report/csv_writer.hpp"
#include "estimator/report/number_format.hpp"
#include "estimator/report/text_format.hpp"
#include "estimator/report/version.hpp"

namespace clustercap::report {
namespace {

using json = nlohmann::ordered_json;
using sweep::kFanQuantileNames;
using sweep::kFanQuantiles;
using sweep::kTimelineMetricNames;
constexpr std::size_t kMedian = 2;  // index of p50 in kFanQuantiles

std::string month_or_never(const std::optional<supply::Month>& m) {
  return m ? supply::month_text(*m) : "never";
}

// "licence.nvidia_h20 = open, smuggling_enforcement = 0.5"
std::string point_text(const sweep::TimelineGridPoint& p) {
  std::string text;
  for (const auto& [key, value] : p.grid)
    text += (text.empty() ? "" : ", ") + key + " = " + significant(value);
  for (const auto& [key, label] : p.levers)
    text += (text.empty() ? "" : ", ") + key + " = " + label;
  return text;
}

// The constraint binding in the most samples of a month, and its share.
std::pair<const char*, double> main_binding(const sweep::TimelineMonthSweep& m) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < model::kLimitCount; ++k) {
    if (m.binding_share[k] > m.binding_share[best]) best = k;
  }
  return {model::kLimitNames[best], m.binding_share[best]};
}

// "1.2e25 [8.1e24, 1.9e25]" : median and the 5-95% range.
std::string fan_text(const std::array<double, kFanQuantiles.size()>& q, bool count) {
  const auto one = [count](double v) { return count ? grouped_integer(v) : scientific(v); };
  return one(q[kMedian]) + " [" + one(q.front()) + ", " + one(q.back()) + "]";
}

std::size_t by_index(const sweep::TimelineSweepResult& r) {
  return static_cast<std::size_t>(r.by_month - r.start);
}

void write_months(const sweep::TimelineSweepResult& result, const sweep::TimelineActorSweep& a,
                  std::ostream& out) {
  out << "  " << std::left << std::setw(9) << "month" << std::setw(32)
      << "stock, chips p50 [p5, p95]" << std::setw(32) << "cluster, chips p50 [p5, p95]"
      << std::setw(28) << "FLOP/s p50 [p5, p95]" << std::setw(18) << "binds most";
  for (const auto& ref : result.references) out << " P(>=" << terminal_text(ref) << ")";
  out << std::right << "\n";
  for (const auto& m : a.months) {
    const auto [binding, share] = main_binding(m);
    out << "  " << std::left << std::setw(9) << supply::month_text(m.month) << std::setw(32)
        << fan_text(m.quantiles[0], true) << std::setw(32) << fan_text(m.quantiles[2], true)
        << std::setw(28) << fan_text(m.quantiles[3], false) << std::setw(18)
        << (std::string(binding) + " " + significant(share * 100, 3) + "%") << std::right;
    for (std::size_t r = 0; r < m.p_exceeds.size(); ++r) {
      out << std::setw(static_cast<int>(result.references[r].size()) + 6)
          << significant(m.p_exceeds[r], 3);
    }
    out << "\n";
  }
}

void write_overtakes(const sweep::TimelineSweepResult& result, const sweep::TimelineActorSweep& a,
                     std::ostream& out) {
  for (const auto& o : a.overtakes) {
    out << "  first month the largest cluster's sustained FLOP/s >= " << terminal_text(o.reference)
        << ": median " << month_or_never(o.quantiles[kMedian]) << " (p5 "
        << month_or_never(o.quantiles.front()) << ", p95 " << month_or_never(o.quantiles.back())
        << "); P(by " << supply::month_text(result.by_month)
        << ") = " << significant(o.p_by_month[by_index(result)], 3)
        << "; P(not within the horizon) = " << significant(o.p_never, 3) << "\n";
  }
}

// Grid points side by side: per point, each actor's median overtaking month
// and P(overtaken by by_month) per reference.
void write_comparison(const sweep::TimelineSweepResult& result, std::ostream& out) {
  out << "\n== grid points side by side: median first month overtaking each reference, and "
         "P(overtaken by "
      << supply::month_text(result.by_month) << ") ==\n";
  for (std::size_t p = 0; p < result.points.size(); ++p) {
    const auto& point = result.points[p];
    out << "  point " << p << ": " << terminal_text(point_text(point)) << "\n";
    for (const auto& a : point.actors) {
      for (const auto& o : a.overtakes) {
        out << "    " << std::left << std::setw(40) << terminal_text(a.name) << std::setw(28)
            << terminal_text(o.reference) << std::right << " median " << std::setw(7)
            << month_or_never(o.quantiles[kMedian]) << "  P(by "
            << supply::month_text(result.by_month)
            << ") = " << significant(o.p_by_month[by_index(result)], 3) << "\n";
      }
    }
  }
}

json quantiles_json(const std::array<double, kFanQuantiles.size()>& q) {
  json j = json::object();
  for (std::size_t i = 0; i < q.size(); ++i) j[kFanQuantileNames[i]] = q[i];
  return j;
}

}  // namespace

void write_timeline_sweep_table(const sweep::TimelineSweepResult& result, std::ostream& out) {
  out << "clustercap sweep (timeline): " << terminal_text(result.scenario_name) << "\n";
  out << "scenario " << terminal_text(result.scenario_file) << "; "
      << supply::month_text(result.start) << " to " << supply::month_text(result.end) << "; "
      << grouped_integer(static_cast<double>(result.samples)) << " sample"
      << (result.samples == 1 ? "" : "s") << " per point, seed " << result.seed << ", "
      << result.threads << " thread" << (result.threads == 1 ? "" : "s") << "; "
      << result.inputs.size() << " uncertain input" << (result.inputs.size() == 1 ? "" : "s")
      << "; " << result.points.size() << " grid point" << (result.points.size() == 1 ? "" : "s")
      << "; quantiles within " << significant(sweep::QuantileSketch::kRelativeError * 100, 2)
      << "% (relative)\n";
  if (result.points.size() == 1) {
    for (const auto& a : result.points.front().actors) {
      out << "\n== " << terminal_text(a.name) << " ==\n";
      write_months(result, a, out);
      write_overtakes(result, a, out);
    }
    return;
  }
  write_comparison(result, out);
  out << "\n(each point's months: --format json or csv)\n";
}

void write_timeline_sweep_json(const sweep::TimelineSweepResult& result, std::ostream& out) {
  json points = json::array();
  for (const auto& point : result.points) {
    json grid = json::object();
    for (const auto& [key, value] : point.grid) grid[key] = value;
    json levers = json::object();
    for (const auto& [key, label] : point.levers) levers[key] = label;
    json actors = json::array();
    for (const auto& a : point.actors) {
      json months = json::array();
      for (const auto& m : a.months) {
        json month = {{"month", supply::month_text(m.month)}};
        for (std::size_t k = 0; k < sweep::kTimelineMetricCount; ++k) {
          month[kTimelineMetricNames[k]] = quantiles_json(m.quantiles[k]);
        }
        json binding = json::object();
        for (std::size_t k = 0; k < model::kLimitCount; ++k)
          binding[model::kLimitNames[k]] = m.binding_share[k];
        month["binding_share"] = binding;
        json exceeds = json::object();
        for (std::size_t r = 0; r < m.p_exceeds.size(); ++r)
          exceeds[result.references[r]] = m.p_exceeds[r];
        month["p_exceeds_reference"] = exceeds;
        months.push_back(month);
      }
      json overtakes = json::array();
      for (const auto& o : a.overtakes) {
        json first = json::object();
        for (std::size_t q = 0; q < kFanQuantiles.size(); ++q) {
          first[kFanQuantileNames[q]] =
              o.quantiles[q] ? json(supply::month_text(*o.quantiles[q])) : json(nullptr);
        }
        overtakes.push_back({{"reference", o.reference},
                             {"first_month", first},
                             {"p_never", o.p_never},
                             {"p_by_month", o.p_by_month}});
      }
      actors.push_back({{"name", a.name}, {"months", months}, {"overtakes", overtakes}});
    }
    points.push_back({{"grid", grid}, {"levers", levers}, {"actors", actors}});
  }
  json doc = {{"schema", kTimelineSweepSchema},
              {"clustercap_version", kVersion},
              {"scenario", {{"name", result.scenario_name}, {"file", result.scenario_file}}},
              {"samples", result.samples},
              {"seed", result.seed},
              {"quantile_relative_error", sweep::QuantileSketch::kRelativeError},
              {"inputs", result.inputs},
              {"references", result.references},
              {"start", supply::month_text(result.start)},
              {"end", supply::month_text(result.end)},
              {"by_month", supply::month_text(result.by_month)},
              {"points", points}};
  out << doc.dump(2) << '\n';
}

// Long format, as `sweep`'s CSV: one row per statistic, keyed by grid point
// and its settings, actor, month (empty for overtaking), kind, subject and
// statistic; numbers in `value`, months and names in `text`.
void write_timeline_sweep_csv(const sweep::TimelineSweepResult& result, std::ostream& out) {
  std::vector<std::string> axes;  // grid keys, then lever keys, first-seen order
  for (const auto& point : result.points) {
    for (const auto& setting : point.grid) {
      if (std::find(axes.begin(), axes.end(), setting.first) == axes.end())
        axes.push_back(setting.first);
    }
    for (const auto& setting : point.levers) {
      if (std::find(axes.begin(), axes.end(), setting.first) == axes.end())
        axes.push_back(setting.first);
    }
  }
  std::vector<std::string> columns = {"point"};
  columns.insert(columns.end(), axes.begin(), axes.end());
  columns.insert(columns.end(),
                 {"actor", "month", "kind", "subject", "statistic", "value", "text"});
  CsvWriter csv(out, columns);
  for (std::size_t p = 0; p < result.points.size(); ++p) {
    const auto& point = result.points[p];
    std::vector<std::string> key = {std::to_string(p)};
    for (const auto& axis : axes) {
      std::string cell;
      for (const auto& [k, v] : point.grid) {
        if (k == axis) cell = machine_number(v);
      }
      for (const auto& [k, label] : point.levers) {
        if (k == axis) cell = label;
      }
      key.push_back(cell);
    }
    for (const auto& a : point.actors) {
      const auto emit = [&](const std::string& month, const char* kind, const std::string& subject,
                            const std::string& statistic, const std::string& value,
                            const std::string& text) {
        std::vector<std::string> cells = key;
        cells.insert(cells.end(), {a.name, month, kind, subject, statistic, value, text});
        csv.row(cells);
      };
      for (const auto& m : a.months) {
        const std::string month = supply::month_text(m.month);
        for (std::size_t k = 0; k < sweep::kTimelineMetricCount; ++k) {
          for (std::size_t q = 0; q < kFanQuantiles.size(); ++q) {
            emit(month, "metric", kTimelineMetricNames[k], kFanQuantileNames[q],
                 machine_number(m.quantiles[k][q]), "");
          }
        }
        for (std::size_t k = 0; k < model::kLimitCount; ++k) {
          emit(month, "binding_share", model::kLimitNames[k], "share",
               machine_number(m.binding_share[k]), "");
        }
        for (std::size_t r = 0; r < m.p_exceeds.size(); ++r) {
          emit(month, "p_exceeds_reference", result.references[r], "p",
               machine_number(m.p_exceeds[r]), "");
        }
      }
      for (const auto& o : a.overtakes) {
        for (std::size_t q = 0; q < kFanQuantiles.size(); ++q) {
          emit("", "first_month", o.reference, kFanQuantileNames[q], "",
               month_or_never(o.quantiles[q]));
        }
        emit("", "first_month", o.reference, "p_never", machine_number(o.p_never), "");
        for (std::size_t k = 0; k < o.p_by_month.size(); ++k) {
          emit(supply::month_text(result.start + static_cast<supply::Month>(k)), "p_overtaken_by",
               o.reference, "p", machine_number(o.p_by_month[k]), "");
        }
      }
    }
  }
}

}  // namespace clustercap::report
