#include "estimator/scenario/sweep_loader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/inputs.hpp"
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
    r.error_missing("p5",
                    "a lognormal needs exactly one of: p5 and p95, p10 and p90, or median "
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
      r.error_at(hi_key,
                 std::string("must be greater than ") + lo_key + " (" + format_number(*lo) + ")");
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
  const auto lambda =
      kind == sweep::DistKind::pert ? r.number("lambda", Range::positive(100)) : std::nullopt;
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

namespace {

// Weights a choice or a mixture can use (make_choice, make_mixture): none
// negative, at least one positive. No sum: weights near the largest double
// would overflow it.
bool usable_weights(const std::vector<double>& weights) {
  double largest = 0;
  for (double w : weights) {
    if (w < 0) return false;
    largest = std::max(largest, w);
  }
  return largest > 0;
}

// `dist = ...` and its parameters in table `r`; nullopt after reporting errors.
std::optional<Distribution> read_distribution(TableReader& r) {
  const auto kind_text = r.string("dist", Presence::required);
  if (!kind_text) return std::nullopt;
  if (*kind_text == "lognormal") return lognormal(r);
  if (*kind_text == "uniform") return bounded(r, sweep::DistKind::uniform);
  if (*kind_text == "triangular") return bounded(r, sweep::DistKind::triangular);
  if (*kind_text == "pert") return bounded(r, sweep::DistKind::pert);
  if (*kind_text == "normal") return normal(r);
  if (*kind_text == "choice") {
    const auto values = r.number_list("values", Presence::required);
    const auto weights = r.number_list("weights");
    if (values && values->empty()) r.error_at("values", "must hold at least one value");
    if (values && weights && weights->size() != values->size()) {
      r.error_at("weights",
                 "must have one weight per value (" + std::to_string(values->size()) + ")");
    } else if (weights) {
      if (!usable_weights(*weights)) {
        r.error_at("weights", "must be >= 0 and sum to a positive number");
      } else if (values && !values->empty()) {
        return sweep::make_choice(*values, *weights);
      }
    } else if (values && !values->empty()) {
      return sweep::make_choice(*values, std::vector<double>(values->size(), 1.0));
    }
    return std::nullopt;
  }
  r.error_at("dist", "must be one of uniform, triangular, pert, normal, lognormal, choice" +
                         did_you_mean(*kind_text, dist_names()));
  return std::nullopt;
}

// "its 5th-95th percentile range [...] leaves the key's valid range (...)",
// or empty when it stays inside.
std::string outside_range(const Distribution& dist, const Range& range) {
  const double p5 = dist.quantile(0.05), p95 = dist.quantile(0.95);
  if (range.contains(p5) && range.contains(p95)) return "";
  return "its 5th-95th percentile range [" + format_number(p5) + ", " + format_number(p95) +
         "] leaves the key's valid range (" + range.rule() + ")";
}

bool valid_source_id(const std::string& id) {
  if (id.empty() || id.size() > 64 || id == "mix") return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}
constexpr const char* kSourceIdRule =
    "must be a source id: 1 to 64 characters of a-z, 0-9, '-', '_' and '.' (and not \"mix\")";

// A value written as competing estimates:
//   { name = "...", use = "epoch", estimates = [
//       { by = "epoch", date = 2025-09-30, cite = "docs/...", dist = "lognormal", p5 = .., p95 = ..
//       }, { by = "commerce", date = 2025-06-12, cite = "docs/...", value = 250000 } ] }
// Records every estimate and returns the distribution the run uses: the
// first estimate whose source the run prefers, else the value's `use`, else
// the first; all of them mixed by weight when the run says "mix".
std::optional<Distribution> read_sourced(TableReader& r, const Range& range,
                                         sweep::SourcedInput& sourced,
                                         const sweep::SourceChoice& choice) {
  const auto use = r.string("use");
  bool ok = true;
  for (auto& e : r.table_array("estimates", Presence::required)) {
    e.allow_distributions(nullptr);  // an estimate's value is a number or its own dist
    sweep::SourceEstimate est;
    est.line = e.line();
    est.column = e.column();
    est.by = e.string("by", Presence::required).value_or("");
    if (e.has("by") && !est.by.empty() && !valid_source_id(est.by)) {
      e.error_at("by", kSourceIdRule);
      ok = false;
    }
    for (const auto& other : sourced.estimates) {
      if (!est.by.empty() && other.by == est.by) {
        e.error_at("by",
                   "duplicate source in this value; also at line " + std::to_string(other.line));
        ok = false;
      }
    }
    est.date = e.date("date", Presence::required).value_or("");
    est.cite = e.string("cite", Presence::required).value_or("");
    if (e.has("cite") && est.cite.empty())
      e.error_at("cite", "must name where the figure is documented");
    est.note = e.string("note").value_or("");
    est.weight = e.number("weight", Range{0, true, 1e6, true}).value_or(1.0);
    std::optional<Distribution> dist;
    if (e.has("value") && e.has("dist")) {
      e.error_at("value", "give either value = N or a dist with its parameters, not both");
      e.number("value", range);
      read_distribution(e);
    } else if (e.has("value")) {
      if (const auto v = e.number("value", range, Presence::required)) {
        dist = sweep::make_point(*v);
        est.point = true;
      }
    } else if (e.has("dist")) {
      dist = read_distribution(e);
      if (dist) {
        const std::string rule = outside_range(*dist, range);
        if (!rule.empty()) {
          e.error_missing("dist", rule);
          dist.reset();
        }
      }
    } else {
      e.error_missing("value",
                      "an estimate needs value = N, or dist = \"...\" with its parameters");
    }
    e.report_unknown_keys();
    if (!dist || est.date.empty() || est.cite.empty() || est.by.empty()) ok = false;
    if (dist) est.dist = *dist;
    sourced.estimates.push_back(std::move(est));
  }
  if (sourced.estimates.empty()) {
    if (r.has("estimates")) r.error_at("estimates", "must list at least one estimate");
    return std::nullopt;
  }
  int use_index = 0;
  if (use) {
    use_index = -2;
    for (std::size_t i = 0; i < sourced.estimates.size(); ++i) {
      if (sourced.estimates[i].by == *use) use_index = static_cast<int>(i);
    }
    if (*use == "mix") use_index = -1;
    if (use_index == -2) {
      std::vector<std::string> ids;
      for (const auto& e : sourced.estimates) ids.push_back(e.by);
      r.error_at("use", "must name one of this value's estimates (by = ...) or \"mix\"" +
                            did_you_mean(*use, ids));
      return std::nullopt;
    }
  }
  if (!ok) return std::nullopt;
  sourced.used = use_index;
  if (choice.mix()) {
    sourced.used = -1;
    sourced.from_preference = true;
  } else {
    bool found = false;
    for (const auto& id : choice.preference) {
      for (std::size_t i = 0; i < sourced.estimates.size() && !found; ++i) {
        if (sourced.estimates[i].by == id) {
          sourced.used = static_cast<int>(i);
          sourced.from_preference = found = true;
        }
      }
      if (found) break;
    }
  }
  if (sourced.used >= 0) return sourced.estimates[static_cast<std::size_t>(sourced.used)].dist;
  std::vector<Distribution> parts;
  std::vector<double> weights;
  for (const auto& e : sourced.estimates) {
    parts.push_back(e.dist);
    weights.push_back(e.weight);
  }
  if (!usable_weights(weights)) {
    r.error_missing("estimates", "mixing the sources needs at least one weight > 0");
    return std::nullopt;
  }
  return sweep::make_mixture(parts, weights);
}

}  // namespace

std::shared_ptr<DistributionHandler> distribution_handler(Scenario& scenario) {
  return std::make_shared<DistributionHandler>(
      [&scenario](TableReader& r, const Range& range,
                  const std::string& indexed) -> std::optional<double> {
        sweep::UncertainInput input;
        input.key = r.path();
        input.indexed_key = indexed;
        input.file = r.file();
        input.line = r.line();
        input.column = r.column();
        input.name = r.string("name").value_or("");
        std::optional<Distribution> dist;
        sweep::SourcedInput sourced;
        const bool is_sourced = r.has("estimates") || r.has("use");
        if (is_sourced) {
          sourced.key = input.key;
          sourced.indexed_key = indexed;
          sourced.name = input.name;
          dist = read_sourced(r, range, sourced, scenario.sweep.sources);
        } else {
          dist = read_distribution(r);
        }
        r.report_unknown_keys();
        if (!dist) {
          if (!input.name.empty()) scenario.sweep.rejected_names.push_back(input.name);
          return std::nullopt;
        }
        input.dist = *dist;
        // Samples stay inside the key's range (bind_target sets the same
        // bounds from the input table for keys a sweep can vary).
        std::tie(input.lo, input.hi) = clamp_bounds(range);
        if (const std::string rule = outside_range(*dist, range); !rule.empty()) {
          r.error_missing(is_sourced ? "estimates" : "dist", rule);
          if (!input.name.empty()) scenario.sweep.rejected_names.push_back(input.name);
          return std::nullopt;
        }
        const double median = input.sample(0.5);
        if (is_sourced) {
          sourced.value = median;
          scenario.sweep.sourced.push_back(std::move(sourced));
        }
        scenario.sweep.inputs.push_back(std::move(input));
        return median;
      });
}

void read_sources_section(TableReader& root, Scenario& scenario,
                          const std::vector<std::string>& command_line) {
  sweep::SweepSpec& spec = scenario.sweep;
  std::vector<std::string> use;
  std::pair<std::int64_t, std::int64_t> use_at{0, 0};
  if (auto section = root.table("sources")) {
    use = section->string_list("use").value_or(std::vector<std::string>{});
    use_at = section->position("use");
    if (auto readings = section->table("readings")) {
      for (const auto& name : readings->keys()) {
        auto ids = readings->string_list(name, Presence::required);
        if (!ids) continue;
        if (ids->empty()) readings->error_at(name, "must list at least one source id");
        for (const auto& id : *ids) {
          if (id != "mix" && !valid_source_id(id)) readings->error_at(name, kSourceIdRule);
        }
        spec.readings.emplace_back(name, *ids);
      }
      readings->report_unknown_keys();
    }
    for (const auto& id : use) {
      bool reading = false;
      for (const auto& [name, ids] : spec.readings) reading = reading || name == id;
      if (!reading && id != "mix" && !valid_source_id(id)) section->error_at("use", kSourceIdRule);
    }
    section->report_unknown_keys();
  }
  // A named reading stands for its list; anything else is a source id.
  const std::vector<std::string>& chosen = command_line.empty() ? use : command_line;
  spec.sources = {};
  if (command_line.empty()) std::tie(spec.sources.line, spec.sources.column) = use_at;
  for (const auto& id : chosen) {
    bool expanded = false;
    for (const auto& [name, ids] : spec.readings) {
      if (name != id) continue;
      spec.sources.preference.insert(spec.sources.preference.end(), ids.begin(), ids.end());
      expanded = true;
      if (chosen.size() == 1) spec.sources.reading = name;
    }
    if (!expanded) spec.sources.preference.push_back(id);
  }
}

std::vector<InputError> unknown_sources(const Scenario& scenario, const std::string& where) {
  std::vector<std::string> known = sweep::source_ids(scenario.sweep);
  std::sort(known.begin(), known.end());
  std::string list;
  for (const auto& id : known) list += (list.empty() ? "" : ", ") + id;
  std::vector<InputError> errors;
  for (const auto& id : scenario.sweep.sources.preference) {
    if (id == "mix" || std::find(known.begin(), known.end(), id) != known.end()) continue;
    const auto& c = scenario.sweep.sources;
    errors.push_back(
        {where, c.line, c.column, c.line > 0 ? "sources.use" : "--sources", "\"" + id + "\"",
         known.empty() ? "no input of " + scenario.file + " is written as sourced estimates"
                       : "no estimate in " + scenario.file +
                             " is by this source; its sources: " + list + did_you_mean(id, known)});
  }
  return errors;
}

namespace {

// One lever of [sweep.policy] (or of its licence / licence_cap tables).
sweep::PolicyLever lever_at(TableReader& r, const std::string& key, const std::string& prefix,
                            sweep::LeverKind kind) {
  sweep::PolicyLever lever;
  lever.key = prefix + key;
  lever.kind = kind;
  std::tie(lever.line, lever.column) = r.position(key);
  lever.file = r.file_of(key);
  return lever;
}

// Named settings: each must be one of `allowed` (empty: any text, checked later).
void read_named_lever(TableReader& r, const std::string& key, const std::string& prefix,
                      sweep::LeverKind kind, const std::vector<std::string>& allowed,
                      Scenario& scenario) {
  auto labels = r.string_list(key, Presence::required);
  if (!labels) return;
  if (labels->empty()) r.error_at(key, "must list at least one setting");
  for (const auto& label : *labels) {
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), label) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
      r.error_at(key, "\"" + label + "\" is not a setting of this lever; settings: " + list +
                          did_you_mean(label, allowed));
      return;
    }
  }
  sweep::PolicyLever lever = lever_at(r, key, prefix, kind);
  lever.labels = *labels;
  scenario.sweep.levers.push_back(std::move(lever));
}

// Numeric settings, each checked against `range` as a value in a file would be.
void read_numeric_lever(TableReader& r, const std::string& key, const std::string& prefix,
                        sweep::LeverKind kind, const Range& range, Scenario& scenario) {
  auto values = r.number_list(key, Presence::required);
  if (!values) return;
  if (values->empty()) r.error_at(key, "must list at least one setting");
  for (double v : *values) {
    if (!range.contains(v)) {
      r.error_at(key, format_number(v) + " " + range.rule());
      return;
    }
  }
  sweep::PolicyLever lever = lever_at(r, key, prefix, kind);
  lever.values = *values;
  for (double v : *values) lever.labels.push_back(format_number(v));
  scenario.sweep.levers.push_back(std::move(lever));
}

}  // namespace

void read_policy_levers(TableReader& policy, Scenario& scenario) {
  using sweep::LeverKind;
  if (policy.has("export_rule")) {
    read_named_lever(policy, "export_rule", "", LeverKind::export_rule, {}, scenario);
  }
  if (policy.has("smuggling_enforcement")) {
    read_numeric_lever(policy, "smuggling_enforcement", "", LeverKind::smuggling_enforcement,
                       Range::closed(0, 10), scenario);
  }
  if (policy.has("hbm_choke")) {
    read_named_lever(policy, "hbm_choke", "", LeverKind::hbm_choke, {"off", "on"}, scenario);
  }
  if (policy.has("site_expansions")) {
    read_named_lever(policy, "site_expansions", "", LeverKind::site_expansions, {"on", "off"},
                     scenario);
  }
  if (auto licence = policy.table("licence")) {
    for (const auto& chip : licence->keys()) {
      const std::size_t before = scenario.sweep.levers.size();
      read_named_lever(*licence, chip, "licence.", LeverKind::licence, {"open", "closed"},
                       scenario);
      if (scenario.sweep.levers.size() > before) scenario.sweep.levers.back().chip_id = chip;
    }
    licence->report_unknown_keys();
  }
  if (auto cap = policy.table("licence_cap")) {
    for (const auto& chip : cap->keys()) {
      const std::size_t before = scenario.sweep.levers.size();
      read_numeric_lever(*cap, chip, "licence_cap.", LeverKind::licence_cap,
                         input_range("supply[].licensed_units_per_month"), scenario);
      if (scenario.sweep.levers.size() > before) scenario.sweep.levers.back().chip_id = chip;
    }
    cap->report_unknown_keys();
  }
  policy.report_unknown_keys();
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
    c.file = r.file();
    if (!c.a.empty() && c.a == c.b) r.error_at("b", "must differ from a");
    r.report_unknown_keys();
    scenario.sweep.correlations.push_back(c);
  }
  if (auto grid = section->table("grid")) {
    scenario.sweep.grid_line = grid->line();
    scenario.sweep.grid_column = grid->column();
    for (const auto& key : grid->keys()) {
      sweep::GridAxis axis;
      axis.key = key;
      std::tie(axis.line, axis.column) = grid->position(key);
      axis.file = grid->file_of(key);
      if (auto values = grid->number_list(key, Presence::required)) {
        if (values->empty()) grid->error_at(key, "must list at least one value");
        axis.values = *values;
      }
      scenario.sweep.grid.push_back(axis);
    }
    grid->report_unknown_keys();
  }
  if (auto policy = section->table("policy")) read_policy_levers(*policy, scenario);
  section->report_unknown_keys();
}

namespace {

using sweep::Target;

// "this file has actor[0] to actor[2]", "actor[1] has only site[0]", ...
std::string valid_indices(const std::string& owner, const std::string& what, std::size_t count) {
  if (count == 0) return owner + " has no " + what;
  const std::string last = what + "[" + std::to_string(count - 1) + "]";
  if (count == 1) return owner + " has only " + last;
  return owner + " has " + what + "[0] to " + last;
}

// The expansions of one site of an actor, in file order.
std::vector<const supply::SiteExpansion*> site_expansions(const Actor& actor,
                                                          const std::string& site) {
  std::vector<const supply::SiteExpansion*> found;
  for (const auto& e : actor.supply.expansions) {
    if (e.site == site) found.push_back(&e);
  }
  return found;
}

// Empty when the actor, site and inventory line an indexed key names exist;
// otherwise the rule it breaks (a grid value there would change nothing).
std::string missing_index(const Scenario& scenario, const sweep::UncertainInput& in) {
  if (in.actor < 0) return "";
  const std::string intro = "names ";
  const std::string rule = ", which does not exist: indices are 0-based and ";
  const auto actor_index = static_cast<std::size_t>(in.actor);
  const std::string actor = "actor[" + std::to_string(in.actor) + "]";
  if (actor_index >= scenario.actors.size()) {
    return intro + actor + rule + valid_indices("this file", "actor", scenario.actors.size());
  }
  const Actor& a = scenario.actors[actor_index];
  if (in.site >= 0 && static_cast<std::size_t>(in.site) >= a.sites.size()) {
    return intro + actor + ".site[" + std::to_string(in.site) + "]" + rule +
           valid_indices(actor, "site", a.sites.size());
  }
  if (in.inventory >= 0 && static_cast<std::size_t>(in.inventory) >= a.inventory.size()) {
    return intro + actor + ".inventory[" + std::to_string(in.inventory) + "]" + rule +
           valid_indices(actor, "inventory", a.inventory.size());
  }
  if (in.link >= 0 && static_cast<std::size_t>(in.link) >= a.links.size()) {
    return intro + actor + ".link[" + std::to_string(in.link) + "]" + rule +
           valid_indices(actor, "link", a.links.size());
  }
  if (in.expansion >= 0 && in.site >= 0) {
    const Site& site = a.sites[static_cast<std::size_t>(in.site)];
    const std::string owner = actor + ".site[" + std::to_string(in.site) + "]";
    if (static_cast<std::size_t>(in.expansion) >= site_expansions(a, site.name).size()) {
      return intro + owner + ".expansion[" + std::to_string(in.expansion) + "]" + rule +
             valid_indices(owner, "expansion", site_expansions(a, site.name).size());
    }
  }
  return "";
}

// Empty when the [[supply]] line a key names exists and is of a kind that
// has the key; otherwise the rule it breaks.
std::string missing_supply(const Scenario& scenario, const sweep::UncertainInput& in) {
  if (in.supply < 0) return "";
  const std::string line = "supply[" + std::to_string(in.supply) + "]";
  if (static_cast<std::size_t>(in.supply) >= scenario.supply.size()) {
    return "names " + line + ", which does not exist: indices are 0-based and " +
           valid_indices("this file", "supply", scenario.supply.size());
  }
  using supply::SupplyKind;
  SupplyKind kind = SupplyKind::production;
  switch (in.target) {
    case Target::supply_stockpile_stacks:
    case Target::supply_stacks_per_month:
      kind = SupplyKind::hbm_pool;
      break;
    case Target::supply_dies:
      kind = SupplyKind::die_stockpile;
      break;
    case Target::supply_units_per_month:
    case Target::supply_licensed_units_per_month:
      kind = SupplyKind::import;
      break;
    case Target::supply_units_per_year:
      kind = SupplyKind::smuggling;
      break;
    default:
      break;
  }
  const SupplyKind actual = scenario.supply[static_cast<std::size_t>(in.supply)].kind;
  if (actual != kind) {
    return "has no effect: " + line + " is a " + supply::to_string(actual) + " line; only a " +
           supply::to_string(kind) + " line has this key";
  }
  return "";
}

// Empty when a grid value for `in` reaches the model; otherwise why it would
// not (every grid value would then give the same answer). A distribution is
// always written on the value it varies, so only grid keys need this.
std::string without_effect(const Scenario& scenario, const Catalog& catalog,
                           const sweep::UncertainInput& in) {
  const TrainingSettings& t = scenario.training;
  switch (in.target) {
    case Target::goodput:
      if (t.failures) return "has no effect: goodput follows from the [training] failure model";
      return "";
    case Target::mfu: {
      // Lines pooled into one cluster agree on mfu (checked when read), so a
      // cluster ignores [training] mfu exactly when its lines set their own.
      bool any_line = false, all_set = true;
      for (const auto& actor : scenario.actors) {
        for (const auto& line : actor.inventory) {
          any_line = true;
          all_set = all_set && line.mfu.has_value();
        }
      }
      if (any_line && all_set) return "has no effect: every inventory line sets its own mfu";
      return "";
    }
    case Target::inventory_mfu:
    case Target::inventory_price_usd: {
      const InventoryLine& line = scenario.actors[static_cast<std::size_t>(in.actor)]
                                      .inventory[static_cast<std::size_t>(in.inventory)];
      const bool written =
          in.target == Target::inventory_mfu ? line.mfu.has_value() : line.price_usd.has_value();
      const std::string name = in.target == Target::inventory_mfu ? "mfu" : "price_usd";
      if (!written) {
        return "has no effect: that inventory line sets no " + name + "; write " + name +
               " on it to vary it";
      }
      return "";
    }
    case Target::actor_budget_usd:
      // A line with no price costs nothing, so no budget would limit it
      // (the loader demands prices only of actors that write budget_usd).
      for (const InventoryLine& line :
           scenario.actors[static_cast<std::size_t>(in.actor)].inventory) {
        const Chip* chip = catalog.find_chip(line.chip_id);
        if (chip == nullptr || line.price_usd) continue;
        const System* system =
            catalog.find_system(line.system_id.empty() ? chip->default_system : line.system_id);
        if ((system != nullptr && system->price_usd) || chip->price_usd) continue;
        return "has no effect on \"" + chip->id +
               "\": the catalog has no price for it; write price_usd on "
               "its inventory line";
      }
      return "";
    case Target::sync_every_steps:
    case Target::sync_penalty: {
      // A file with sync_every_steps = 1 (and no distribution of it) has
      // no sync_penalty: varying either would sync infrequently for free.
      const bool varies = std::any_of(
          scenario.sweep.inputs.begin(), scenario.sweep.inputs.end(),
          [](const sweep::UncertainInput& u) { return u.target == Target::sync_every_steps; });
      if (t.sync_every_steps == 1 && !varies)
        return "needs [training] sync_every_steps > 1 and its sourced sync_penalty in the file "
               "(infrequent synchronisation is never free)";
      return "";
    }
    default:
      return "";
  }
}

// The input a correlation or grid key names (its name or indexed key), or -1.
int input_index(const Scenario& scenario, const std::string& label) {
  const auto& inputs = scenario.sweep.inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].label() == label || inputs[i].indexed_key == label) return static_cast<int>(i);
  }
  return -1;
}

// Every [sweep.grid] value goes through its key's input-table check, as a
// value written in the file would; keys must name an existing value.
void check_grid(const Scenario& scenario, const Catalog& catalog, Diagnostics& diagnostics) {
  std::map<std::string, std::size_t> axis_of;  // indexed key -> first axis setting it
  const auto& grid = scenario.sweep.grid;
  for (std::size_t a = 0; a < grid.size(); ++a) {
    const sweep::GridAxis& axis = grid[a];
    const std::string key = "sweep.grid." + axis.key;
    const auto& rejected = scenario.sweep.rejected_names;
    if (std::find(rejected.begin(), rejected.end(), axis.key) != rejected.end())
      continue;  // reported
    sweep::UncertainInput probe;
    if (!sweep::bind_grid_key(scenario.sweep, axis.key, probe)) {
      diagnostics.add({axis.file, axis.line, axis.column, key, "[...]",
                       "names no key a sweep can set; use an indexed key such as "
                       "\"actor[0].site[0].power_mw\" or a distribution's name; keys: " +
                           sweep::supported_keys()});
      continue;
    }
    if (const std::string rule = missing_index(scenario, probe); !rule.empty()) {
      diagnostics.add({axis.file, axis.line, axis.column, key, "[...]", rule});
      continue;
    }
    if (const std::string rule = missing_supply(scenario, probe); !rule.empty()) {
      diagnostics.add({axis.file, axis.line, axis.column, key, "[...]", rule});
      continue;
    }
    if (const std::string rule = without_effect(scenario, catalog, probe); !rule.empty()) {
      diagnostics.add({axis.file, axis.line, axis.column, key, "[...]", rule});
    }
    const auto [first, fresh] = axis_of.emplace(probe.indexed_key, a);
    if (!fresh) {
      const sweep::GridAxis& other = grid[first->second];
      diagnostics.add({axis.file, axis.line, axis.column, key, "[...]",
                       "sets the same value as sweep.grid." + other.key + ", also defined at " +
                           file_position(other.file, other.line, other.column)});
    }
    const InputSpec& spec = input_spec(probe.target);
    for (double value : axis.values) {
      const std::string rule = spec.check(value);
      if (!rule.empty())
        diagnostics.add({axis.file, axis.line, axis.column, key, format_number(value), rule});
    }
  }
}

// Correlations must name distributions, each pair once, never an input with
// itself, and form a positive-definite matrix.
void check_correlations(const Scenario& scenario, const std::vector<std::string>& labels,
                        bool names_unique, Diagnostics& diagnostics) {
  bool resolved = names_unique;
  std::map<std::pair<int, int>, const sweep::Correlation*> pairs;
  for (const auto& c : scenario.sweep.correlations) {
    bool known = true;
    for (const auto& label : {c.a, c.b}) {
      const auto& rejected = scenario.sweep.rejected_names;
      if (std::find(rejected.begin(), rejected.end(), label) != rejected.end()) {
        known = false;  // reported where the distribution is
        continue;
      }
      if (!label.empty() && std::find(labels.begin(), labels.end(), label) == labels.end()) {
        diagnostics.add({c.file, c.line, c.column, "sweep.correlation", "\"" + label + "\"",
                         "names no distribution in this file" + did_you_mean(label, labels)});
        known = false;
      }
    }
    const int a = input_index(scenario, c.a), b = input_index(scenario, c.b);
    if (!known || c.a.empty() || c.b.empty() || a < 0 || b < 0) {
      resolved = false;
      continue;
    }
    if (a == b) {
      // The same label twice is reported when read ("must differ from a").
      if (c.a != c.b) {
        diagnostics.add({c.file, c.line, c.column, "sweep.correlation.b", "\"" + c.b + "\"",
                         "names the same distribution as a (\"" + c.a + "\")"});
      }
      resolved = false;
      continue;
    }
    const auto [first, fresh] = pairs.emplace(std::minmax(a, b), &c);
    if (!fresh) {
      diagnostics.add(
          {c.file, c.line, c.column, "sweep.correlation.b", "\"" + c.b + "\"",
           "correlates \"" + c.a + "\" and \"" + c.b + "\" again; also defined at " +
               file_position(first->second->file, first->second->line, first->second->column)});
      resolved = false;
    }
  }
  if (!resolved || scenario.sweep.correlations.empty()) return;
  try {
    sweep::make_copula(scenario);
  } catch (const InputErrors& errors) {
    for (const auto& error : errors.errors()) diagnostics.add(error);
  }
}

// Policy levers change a timeline's supply: each needs a [timeline] and
// something in the file it changes, and rule vintages must exist.
void check_levers(const Scenario& scenario, const Catalog& catalog, Diagnostics& diagnostics) {
  using sweep::LeverKind;
  for (const auto& lever : scenario.sweep.levers) {
    const std::string key = "sweep.policy." + lever.key;
    auto add = [&](const std::string& value, const std::string& rule) {
      diagnostics.add({lever.file, lever.line, lever.column, key, value, rule});
    };
    if (!scenario.timeline) {
      add("[...]", "policy levers change a timeline's supply; this file has no [timeline]");
      continue;
    }
    auto has_line = [&](supply::SupplyKind kind, const std::string& chip) {
      return std::any_of(scenario.supply.begin(), scenario.supply.end(), [&](const auto& item) {
        return item.kind == kind && (chip.empty() || item.chip_id == chip);
      });
    };
    switch (lever.kind) {
      case LeverKind::export_rule: {
        const export_control::RuleBook book = export_control::load_builtin_rule_book(catalog);
        std::vector<std::string> ids = book.ids();
        ids.push_back("none");
        for (const auto& label : lever.labels) {
          if (std::find(ids.begin(), ids.end(), label) == ids.end()) {
            add("\"" + label + "\"", "unknown rule vintage" + did_you_mean(label, ids));
          }
        }
        break;
      }
      case LeverKind::licence:
      case LeverKind::licence_cap:
        if (!has_line(supply::SupplyKind::import, lever.chip_id)) {
          add("[...]", "has no effect: no [[supply]] import line brings \"" + lever.chip_id + "\"");
        }
        break;
      case LeverKind::smuggling_enforcement:
        if (!has_line(supply::SupplyKind::smuggling, "")) {
          add("[...]", "has no effect: this file has no [[supply]] smuggling line");
        }
        break;
      case LeverKind::hbm_choke:
        if (!has_line(supply::SupplyKind::hbm_pool, "")) {
          add("[...]", "has no effect: this file has no [[supply]] hbm_pool line");
        }
        break;
      case LeverKind::site_expansions: {
        const bool any = std::any_of(scenario.actors.begin(), scenario.actors.end(),
                                     [](const Actor& a) { return !a.supply.expansions.empty(); });
        if (!any)
          add("[...]", "has no effect: no site of this file has an [[actor.site.expansion]]");
        break;
      }
    }
  }
}

}  // namespace

void check_uncertain_inputs(Scenario& scenario, const Catalog& catalog, Diagnostics& diagnostics) {
  std::vector<std::string> labels;
  std::map<std::string, const sweep::UncertainInput*> named;
  bool names_unique = true;
  for (auto& input : scenario.sweep.inputs) {
    if (!sweep::bind_target(input)) {
      diagnostics.add({input.file, input.line, input.column, input.key, "{...}",
                       "cannot be a distribution; keys that can: " + sweep::supported_keys()});
    } else if (input.dist.kind == sweep::DistKind::choice) {
      // Listed values are meant exactly: one outside the key's range (or a
      // fractional count) would be clamped or rounded into another value.
      for (double value : input.dist.values) {
        const std::string rule = input_spec(input.target).check(value);
        if (!rule.empty()) {
          diagnostics.add({input.file, input.line, input.column, input.key + ".values",
                           format_number(value), rule});
        }
      }
    }
    labels.push_back(input.label());
    if (input.name.empty()) continue;
    labels.push_back(input.indexed_key);
    sweep::UncertainInput probe;
    probe.indexed_key = input.name;
    if (input.name != input.indexed_key && sweep::bind_target(probe)) {
      // A grid key or correlation naming it could mean either value.
      diagnostics.add(
          {input.file, input.line, input.column, input.key + ".name", "\"" + input.name + "\"",
           "is a key a sweep can set, not a name for this distribution; choose another name"});
      names_unique = false;
    }
    const auto [first, fresh] = named.emplace(input.name, &input);
    if (!fresh) {
      diagnostics.add(
          {input.file, input.line, input.column, input.key + ".name", "\"" + input.name + "\"",
           "duplicate distribution name; also defined at " +
               file_position(first->second->file, first->second->line, first->second->column)});
      names_unique = false;
    }
  }
  check_correlations(scenario, labels, names_unique, diagnostics);
  check_grid(scenario, catalog, diagnostics);
  check_levers(scenario, catalog, diagnostics);
}

}  // namespace clustercap
