#include "estimator/scenario/sweep_loader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hardware/common/text_match.hpp"

namespace clustercap {
namespace {

using sweep::Distribution;

const std::vector<std::string>& dist_names() {
  static const std::vector<std::string> names = {"uniform", "triangular", "pert",
                                                 "normal",  "lognormal",  "choice"};
  return names;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
const Range kAny{-kInf, true, kInf, true};
const Range kPositive{0.0, false, kInf, true};

// z-scores of the 95th and 90th percentiles.
constexpr double kZ95 = 1.6448536269514722;
constexpr double kZ90 = 1.2815515655446004;

std::optional<Distribution> lognormal(TableReader& r) {
  const bool p5 = r.has("p5") || r.has("p95");
  const bool p10 = r.has("p10") || r.has("p90");
  const bool med = r.has("median") || r.has("sigma");
  if (static_cast<int>(p5) + static_cast<int>(p10) + static_cast<int>(med) != 1) {
    r.error_missing("p5", "a lognormal needs exactly one of: p5 and p95, p10 and p90, or median "
                          "and sigma");
    // Read them so they are not also reported as unknown keys.
    for (const char* k : {"p5", "p95", "p10", "p90", "median", "sigma"}) r.number(k, kAny);
    return std::nullopt;
  }
  auto pair = [&](const char* lo_key, const char* hi_key, double z) -> std::optional<Distribution> {
    const auto lo = r.number(lo_key, kPositive, Presence::required);
    const auto hi = r.number(hi_key, kPositive, Presence::required);
    if (!lo || !hi) return std::nullopt;
    if (!(*lo < *hi)) {
      r.error_at(hi_key, std::string("must be greater than ") + lo_key + " (" + format_number(*lo) + ")");
      return std::nullopt;
    }
    const double mu = 0.5 * (std::log(*lo) + std::log(*hi));
    const double sigma = (std::log(*hi) - std::log(*lo)) / (2 * z);
    return sweep::make_lognormal(mu, sigma);
  };
  if (p5) return pair("p5", "p95", kZ95);
  if (p10) return pair("p10", "p90", kZ90);
  const auto median = r.number("median", kPositive, Presence::required);
  const auto sigma = r.number("sigma", Range::positive(10), Presence::required);
  if (!median || !sigma) return std::nullopt;
  return sweep::make_lognormal(std::log(*median), *sigma);
}

std::optional<Distribution> bounded(TableReader& r, sweep::DistKind kind) {
  const auto min = r.number("min", kAny, Presence::required);
  const auto max = r.number("max", kAny, Presence::required);
  std::optional<double> mode;
  if (kind != sweep::DistKind::uniform) mode = r.number("mode", kAny, Presence::required);
  const auto lambda = kind == sweep::DistKind::pert ? r.number("lambda", Range::positive(100))
                                                    : std::nullopt;
  if (!min || !max || (kind != sweep::DistKind::uniform && !mode)) return std::nullopt;
  if (!(*min < *max)) {
    r.error_at("max", "must be greater than min (" + format_number(*min) + ")");
    return std::nullopt;
  }
  if (mode && (*mode < *min || *mode > *max)) {
    r.error_at("mode", "must lie between min and max");
    return std::nullopt;
  }
  if (kind == sweep::DistKind::uniform) return sweep::make_uniform(*min, *max);
  if (kind == sweep::DistKind::triangular) return sweep::make_triangular(*min, *mode, *max);
  return sweep::make_pert(*min, *mode, *max, lambda.value_or(4.0));
}

std::optional<Distribution> normal(TableReader& r) {
  const auto mean = r.number("mean", kAny, Presence::required);
  const auto sd = r.number("sd", kPositive, Presence::required);
  const auto min = r.number("min", kAny);
  const auto max = r.number("max", kAny);
  if (!mean || !sd) return std::nullopt;
  if (min && max && !(*min < *max)) {
    r.error_at("max", "must be greater than min (" + format_number(*min) + ")");
    return std::nullopt;
  }
  return sweep::make_normal(*mean, *sd, min.value_or(-kInf), max.value_or(kInf));
}

}  // namespace

std::shared_ptr<DistributionHandler> distribution_handler(Scenario& scenario) {
  return std::make_shared<DistributionHandler>(
      [&scenario](TableReader& r, const Range& range, const std::string& indexed) -> std::optional<double> {
        sweep::UncertainInput input;
        input.key = r.path();
        input.indexed_key = indexed;
        input.file = r.file();
        input.line = r.line();
        input.column = r.column();
        input.name = r.string("name").value_or("");
        const auto kind_text = r.string("dist", Presence::required);
        std::optional<Distribution> dist;
        if (kind_text) {
          if (*kind_text == "lognormal") {
            dist = lognormal(r);
          } else if (*kind_text == "uniform") {
            dist = bounded(r, sweep::DistKind::uniform);
          } else if (*kind_text == "triangular") {
            dist = bounded(r, sweep::DistKind::triangular);
          } else if (*kind_text == "pert") {
            dist = bounded(r, sweep::DistKind::pert);
          } else if (*kind_text == "normal") {
            dist = normal(r);
          } else if (*kind_text == "choice") {
            const auto values = r.number_list("values", Presence::required);
            const auto weights = r.number_list("weights");
            if (values && values->empty()) r.error_at("values", "must hold at least one value");
            if (values && weights && weights->size() != values->size()) {
              r.error_at("weights", "must have one weight per value (" +
                                        std::to_string(values->size()) + ")");
            } else if (weights) {
              double total = 0;
              bool negative = false;
              for (double w : *weights) {
                total += w;
                negative = negative || w < 0;
              }
              if (negative || !(total > 0)) {
                r.error_at("weights", "must be >= 0 and sum to a positive number");
              } else if (values && !values->empty()) {
                dist = sweep::make_choice(*values, *weights);
              }
            } else if (values && !values->empty()) {
              dist = sweep::make_choice(*values, std::vector<double>(values->size(), 1.0));
            }
          } else {
            r.error_at("dist", "must be one of uniform, triangular, pert, normal, lognormal, choice" +
                                   did_you_mean(*kind_text, dist_names()));
          }
        }
        r.report_unknown_keys();
        if (!dist) {
          if (!input.name.empty()) scenario.sweep.rejected_names.push_back(input.name);
          return std::nullopt;
        }
        input.dist = *dist;
        input.lo = std::isfinite(range.min) ? range.min : -1e300;
        input.hi = std::isfinite(range.max) ? range.max : 1e300;
        const double p5 = dist->quantile(0.05), p95 = dist->quantile(0.95);
        if (!range.contains(p5) || !range.contains(p95)) {
          r.error_missing("dist", "its 5th-95th percentile range [" + format_number(p5) + ", " +
                                      format_number(p95) + "] leaves the key's valid range (" +
                                      range.rule() + ")");
          if (!input.name.empty()) scenario.sweep.rejected_names.push_back(input.name);
          return std::nullopt;
        }
        const double median = input.sample(0.5);
        scenario.sweep.inputs.push_back(std::move(input));
        return median;
      });
}

void read_sweep_section(TableReader& root, Scenario& scenario) {
  auto section = root.table("sweep");
  if (!section) return;
  for (auto& r : section->table_array("correlation")) {
    sweep::Correlation c;
    c.a = r.string("a", Presence::required).value_or("");
    c.b = r.string("b", Presence::required).value_or("");
    c.spearman = r.number("spearman", Range{-1, false, 1, false}, Presence::required).value_or(0);
    c.line = r.line();
    c.column = r.column();
    if (!c.a.empty() && c.a == c.b) r.error_at("b", "must differ from a");
    r.report_unknown_keys();
    scenario.sweep.correlations.push_back(c);
  }
  if (auto grid = section->table("grid")) {
    for (const auto& key : grid->keys()) {
      sweep::GridAxis axis;
      axis.key = key;
      axis.line = grid->line();
      if (auto values = grid->number_list(key, Presence::required)) {
        if (values->empty()) grid->error_at(key, "must list at least one value");
        axis.values = *values;
      }
      scenario.sweep.grid.push_back(axis);
    }
    grid->report_unknown_keys();
  }
  section->report_unknown_keys();
}

void check_uncertain_inputs(Scenario& scenario, Diagnostics& diagnostics) {
  std::vector<std::string> labels;
  for (auto& input : scenario.sweep.inputs) {
    if (!sweep::bind_target(input)) {
      diagnostics.add({input.file, input.line, input.column, input.key, "{...}",
                       std::string("cannot be a distribution; keys that can: ") + sweep::supported_keys()});
    }
    labels.push_back(input.label());
    if (!input.name.empty()) labels.push_back(input.indexed_key);
  }
  for (const auto& c : scenario.sweep.correlations) {
    for (const auto& label : {c.a, c.b}) {
      const auto& rejected = scenario.sweep.rejected_names;
      if (std::find(rejected.begin(), rejected.end(), label) != rejected.end()) continue;  // reported
      if (!label.empty() && std::find(labels.begin(), labels.end(), label) == labels.end()) {
        diagnostics.add({scenario.file, c.line, c.column, "sweep.correlation", "\"" + label + "\"",
                         "names no distribution in this file" + did_you_mean(label, labels)});
      }
    }
  }
}

}  // namespace clustercap
