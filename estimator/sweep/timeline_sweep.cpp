#include "estimator/sweep/timeline_sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "estimator/model/wan.hpp"
#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/inputs.hpp"
#include "estimator/scenario/sweep_loader.hpp"
#include "estimator/timeline.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/parallel.hpp"

namespace clustercap::sweep {
namespace {

constexpr std::size_t kMetrics = kTimelineMetricCount;
constexpr std::size_t kLimits = model::kLimitCount;

template <class T>
T& element(std::vector<T>& items, int index) {
  return items.at(static_cast<std::size_t>(index));
}

// The expansion `index` (0-based, file order) of site `site` of `actor`.
supply::SiteExpansion& expansion_of(Actor& actor, int site, int index) {
  const std::string& name = element(actor.sites, site).name;
  int seen = 0;
  for (auto& e : actor.supply.expansions) {
    if (e.site != name) continue;
    if (seen++ == index) return e;
  }
  throw RuntimeFailure("internal: no expansion " + std::to_string(index) + " of site " + name);
}

// Adds one sample's timeline to the statistics.
void record(const TimelineResult& t, supply::Month start, TimelineAccumulator& acc) {
  const std::size_t M = acc.months, R = acc.references;
  for (std::size_t a = 0; a < acc.actors; ++a) {
    const TimelineActor& ta = t.actors[a];
    for (std::size_t k = 0; k < M; ++k) {
      const TimelineMonth& tm = ta.months[k];
      double stock = 0;
      for (const auto& line : tm.inventory) stock += line.count;
      const std::size_t cell = a * M + k;
      const std::array<double, kMetrics> values = {stock, tm.inventory_h100e, tm.cluster.chips,
                                                   tm.cluster.sustained_flops};
      for (std::size_t q = 0; q < kMetrics; ++q) acc.sketches[cell * kMetrics + q].add(values[q]);
      ++acc.bindings[cell * kLimits + static_cast<std::size_t>(tm.cluster.binding)];
      for (std::size_t r = 0; r < R && r < tm.vs_reference.size(); ++r) {
        if (tm.vs_reference[r].ratio_sustained_flops >= 1.0) ++acc.exceeds[cell * R + r];
      }
    }
    for (std::size_t r = 0; r < R; ++r) {
      const auto& first = ta.overtakes[r].first_month;
      const std::size_t bin = first ? static_cast<std::size_t>(*first - start) : M;
      ++acc.first_hist[(a * R + r) * (M + 1) + bin];
    }
  }
  ++acc.samples;
}

// The month at quantile q of a histogram of first months (none: beyond the horizon).
std::optional<supply::Month> month_quantile(const std::uint64_t* hist, std::size_t months,
                                            std::uint64_t samples, double q, supply::Month start) {
  const double target = std::max(1.0, q * static_cast<double>(samples));
  std::uint64_t cumulative = 0;
  for (std::size_t k = 0; k < months; ++k) {
    cumulative += hist[k];
    if (static_cast<double>(cumulative) >= target) return start + static_cast<supply::Month>(k);
  }
  return std::nullopt;
}

// Every combination of the numeric grid axes and the lever settings, in
// axis order (the last axis varies fastest), levers after numeric axes.
struct PointSpec {
  std::vector<std::pair<std::string, double>> grid;
  std::vector<std::pair<const PolicyLever*, std::size_t>> levers;
};

std::vector<PointSpec> grid_points(const Scenario& scenario) {
  std::vector<PointSpec> points = {{}};
  for (const auto& axis : scenario.sweep.grid) {
    std::vector<PointSpec> next;
    for (const auto& p : points) {
      for (double v : axis.values) {
        PointSpec q = p;
        q.grid.emplace_back(axis.key, v);
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  for (const auto& lever : scenario.sweep.levers) {
    std::vector<PointSpec> next;
    for (const auto& p : points) {
      for (std::size_t s = 0; s < lever.labels.size(); ++s) {
        PointSpec q = p;
        q.levers.emplace_back(&lever, s);
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  return points;
}

std::uint64_t point_count(const Scenario& scenario) {
  std::uint64_t count = grid_point_count(scenario);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  for (const auto& lever : scenario.sweep.levers) {
    const std::uint64_t n = lever.labels.size();
    if (n != 0 && count > kMax / n) return kMax;
    count *= n;
  }
  return count;
}

}  // namespace

TimelineAccumulator::TimelineAccumulator(std::size_t a, std::size_t m, std::size_t r)
    : actors(a),
      months(m),
      references(r),
      sketches(a * m * kMetrics),
      bindings(a * m * kLimits, 0),
      exceeds(a * m * r, 0),
      first_hist(a * r * (m + 1), 0) {}

void TimelineAccumulator::merge(const TimelineAccumulator& other) {
  samples += other.samples;
  for (std::size_t i = 0; i < sketches.size(); ++i) sketches[i].merge(other.sketches[i]);
  for (std::size_t i = 0; i < bindings.size(); ++i) bindings[i] += other.bindings[i];
  for (std::size_t i = 0; i < exceeds.size(); ++i) exceeds[i] += other.exceeds[i];
  for (std::size_t i = 0; i < first_hist.size(); ++i) first_hist[i] += other.first_hist[i];
}

void set_input(Scenario& scenario, const UncertainInput& input, double value) {
  const double v = value * input.scale;
  auto actor = [&]() -> Actor& { return element(scenario.actors, input.actor); };
  auto site = [&]() -> Site& { return element(actor().sites, input.site); };
  auto line = [&]() -> InventoryLine& { return element(actor().inventory, input.inventory); };
  auto item = [&]() -> supply::SupplyItem& { return element(scenario.supply, input.supply); };
  auto link = [&]() -> SiteLink& { return element(actor().links, input.link); };
  switch (input.target) {
    case Target::goodput:
      scenario.training.goodput = v;
      break;
    case Target::mfu:
      scenario.training.mfu = v;
      break;
    case Target::duration_s:
      scenario.training.duration_s = v;
      break;
    case Target::max_tokens:
      scenario.training.max_tokens = v;
      break;
    case Target::activation_memory_fraction:
      scenario.training.activation_memory_fraction = v;
      break;
    case Target::bytes_per_param:
      scenario.training.bytes_per_param = v;
      break;
    case Target::switch_w:
      scenario.network.switch_w = v;
      break;
    case Target::nic_transceiver_w:
      scenario.network.nic_transceiver_w = v;
      break;
    case Target::switch_transceiver_w:
      scenario.network.switch_transceiver_w = v;
      break;
    case Target::system_overhead:
      scenario.generic_server.system_overhead = v;
      break;
    case Target::actor_budget_usd:
      actor().budget_usd = v;
      break;
    case Target::site_power_w:
      site().power_w = v;
      break;
    case Target::site_pue:
      site().pue = v;
      break;
    case Target::inventory_count:
      line().count = v;
      break;
    case Target::inventory_mfu:
      line().mfu = v;
      break;
    case Target::inventory_price_usd:
      line().price_usd = v;
      break;
    case Target::supply_wafers_per_month:
      item().wafers_per_month = v;
      break;
    case Target::supply_yield:
      item().yield = v;
      break;
    case Target::supply_packages_per_month:
      item().packages_per_month = v;
      break;
    case Target::supply_stockpile_draw_per_month:
      item().stockpile_draw_per_month = v;
      break;
    case Target::supply_stockpile_stacks:
      item().stockpile_stacks = v;
      break;
    case Target::supply_stacks_per_month:
      item().stacks_per_month = v;
      break;
    case Target::supply_dies:
      item().dies = v;
      break;
    case Target::supply_units_per_month:
    case Target::supply_units_per_year:  // scale 1/12: units a month
      item().units_per_month = v;
      break;
    case Target::supply_licensed_units_per_month:
      item().licensed_units_per_month = v;
      break;
    case Target::actor_attrition_per_year:
      actor().supply.attrition_per_year = v;
      break;
    case Target::site_expansion_power_w:
      expansion_of(actor(), input.site, input.expansion).power_w = v;
      break;
    case Target::cost_switch_usd:
      scenario.cost.switch_usd = v;
      break;
    case Target::cost_transceiver_usd:
      scenario.cost.transceiver_usd = v;
      break;
    case Target::cost_facility_usd_per_mw:
      scenario.cost.facility_usd_per_w = v;
      break;
    case Target::cost_opex_fraction_per_year:
      scenario.cost.opex_fraction_per_year = v;
      break;
    case Target::cost_depreciation_years:
      scenario.cost.depreciation_s = v;
      break;
    case Target::site_electricity_usd_per_mwh:
      site().electricity_usd_per_mwh = v;
      site().electricity_defaulted = false;
      break;
    case Target::link_bandwidth_tbps:
      link().bandwidth_bits_per_s = v;
      break;
    case Target::link_distance_km:
      link().distance_km = v;
      link().latency_s = v / model::kFiberKmPerS;
      break;
    case Target::link_latency_ms:
      link().distance_km.reset();
      link().latency_s = v;
      break;
    case Target::link_availability:
      link().availability = v;
      break;
    case Target::sync_every_steps:
      scenario.training.sync_every_steps = static_cast<int>(v);
      break;
    case Target::sync_penalty:
      scenario.training.sync_penalty = v;
      break;
  }
}

void apply_lever(Scenario& scenario, const Catalog& catalog, const PolicyLever& lever,
                 std::size_t setting) {
  const std::string& label = lever.labels.at(setting);
  switch (lever.kind) {
    case LeverKind::export_rule: {
      scenario.export_rule.reset();
      scenario.export_rule_history.clear();
      if (label == "none") break;
      const export_control::RuleBook book = export_control::load_builtin_rule_book(catalog);
      const export_control::Vintage* vintage = book.find(label);
      if (vintage == nullptr) throw RuntimeFailure("internal: unchecked rule vintage " + label);
      scenario.export_rule = *vintage;
      for (const auto& v : book.vintages) {
        if (v.effective <= vintage->effective) scenario.export_rule_history.push_back(v);
      }
      break;
    }
    case LeverKind::licence:
    case LeverKind::licence_cap:
      for (auto& item : scenario.supply) {
        if (item.kind != supply::SupplyKind::import || item.chip_id != lever.chip_id) continue;
        if (lever.kind == LeverKind::licence_cap) {
          item.licensed = true;
          item.licensed_units_per_month = lever.values.at(setting);
        } else {
          item.licensed = label == "open";
          item.licensed_units_per_month = supply::kUnlimited;
        }
      }
      break;
    case LeverKind::smuggling_enforcement:
      for (auto& item : scenario.supply) {
        if (item.kind == supply::SupplyKind::smuggling) {
          item.units_per_month *= lever.values.at(setting);
        }
      }
      break;
    case LeverKind::hbm_choke:
      if (label != "on") break;
      for (auto& item : scenario.supply) {
        if (item.kind == supply::SupplyKind::hbm_pool) item.stacks_per_month = 0;
      }
      break;
    case LeverKind::site_expansions:
      if (label != "off") break;
      for (auto& actor : scenario.actors) actor.supply.expansions.clear();
      break;
  }
}

TimelinePointRunner::TimelinePointRunner(
    const Scenario& scenario, const Catalog& catalog,
    std::vector<std::pair<std::string, double>> grid,
    std::vector<std::pair<const PolicyLever*, std::size_t>> levers, std::uint64_t seed)
    : original_(scenario),
      catalog_(catalog),
      base_(scenario),
      copula_(make_copula(scenario)),
      seed_(seed) {
  const auto& inputs = scenario.sweep.inputs;
  sampled_.assign(inputs.size(), 1);
  for (const auto& [key, value] : grid) {
    UncertainInput probe;
    bind_grid_key(scenario.sweep, key, probe);  // the loader checked it binds
    set_input(base_, probe, value);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].indexed_key == probe.indexed_key) sampled_[i] = 0;
    }
  }
  // The rule vintage is the same in every sample: applied once (the other
  // levers act on values a sample may set, so they follow each sample's).
  for (const auto& [lever, setting] : levers) {
    if (lever->kind == LeverKind::export_rule) {
      apply_lever(base_, catalog, *lever, setting);
    } else {
      levers_.emplace_back(lever, setting);
    }
  }
}

std::size_t TimelinePointRunner::months() const {
  return static_cast<std::size_t>(base_.timeline->end - base_.timeline->start + 1);
}

Scenario TimelinePointRunner::scenario_at(const std::vector<double>& values) const {
  Scenario s = base_;
  const auto& inputs = original_.sweep.inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (sampled_[i] != 0) set_input(s, inputs[i], values[i]);
  }
  for (const auto& [lever, setting] : levers_) apply_lever(s, catalog_, *lever, setting);
  return s;
}

void TimelinePointRunner::run_block(std::uint64_t first, std::uint64_t n,
                                    TimelineAccumulator& acc) const {
  const std::size_t I = original_.sweep.inputs.size();
  std::vector<model::Pack> draws(I), scratch;
  std::vector<double> values(I);
  for (std::uint64_t s = 0; s < n; s += model::kLanes) {
    draw_values(original_, copula_, seed_, first + s, draws, scratch);
    for (std::uint64_t l = 0; l < model::kLanes && s + l < n; ++l) {
      for (std::size_t i = 0; i < I; ++i) values[i] = draws[i][static_cast<int>(l)];
      const TimelineResult t = run_timeline(scenario_at(values), catalog_);
      record(t, base_.timeline->start, acc);
    }
  }
}

TimelineSweepResult run_timeline_sweep(const Scenario& scenario, const Catalog& catalog,
                                       const SweepOptions& options) {
  if (!scenario.timeline) throw RuntimeFailure("internal: timeline sweep without [timeline]");
  if (const auto problems = options.problems(); !problems.empty()) {
    std::vector<InputError> errors;
    for (const auto& p : problems)
      errors.push_back({"sweep options", 0, 0, p.option, p.value, p.rule});
    throw InputErrors(errors);
  }
  if (const std::uint64_t count = point_count(scenario); count > options.max_points) {
    const std::string n = count == std::numeric_limits<std::uint64_t>::max()
                              ? "more than 2^64-1"
                              : std::to_string(count);
    throw InputErrors(
        {{scenario.file, scenario.sweep.grid_line, scenario.sweep.grid_column, "sweep.grid", "",
          "has " + n + " points with [sweep.policy], more than the cap of " +
              std::to_string(options.max_points) + "; use fewer values or raise the cap with " +
              "--max-points (SweepOptions::max_points)"}});
  }
  {
    Scenario checked = scenario;
    Diagnostics diagnostics;
    check_uncertain_inputs(checked, catalog, diagnostics);
    diagnostics.throw_if_any();
  }
  TimelineSweepResult result;
  result.scenario_name = scenario.name;
  result.scenario_file = scenario.file;
  result.seed = options.seed;
  result.threads = std::max(1, options.threads);
  // Sourced point values (competing estimates without a distribution) are
  // not sampled, so they are not listed.
  for (const auto& in : scenario.sweep.inputs)
    if (!in.fixed()) result.inputs.push_back(in.label());
  result.references = scenario.reference_ids;
  result.start = scenario.timeline->start;
  result.end = scenario.timeline->end;
  const auto date = supply::parse_month(scenario.date);
  result.by_month = std::clamp(date.value_or(result.end), result.start, result.end);

  const std::vector<PointSpec> points = grid_points(scenario);
  // Inputs that never vary (none, or each a single value): one sample is
  // every sample (a timeline costs ~1 s of search on the pooled scenario).
  const bool varies = std::any_of(scenario.sweep.inputs.begin(), scenario.sweep.inputs.end(),
                                  [](const UncertainInput& in) { return !in.fixed(); });
  const std::uint64_t samples = varies ? std::max<std::uint64_t>(1, options.samples) : 1;
  result.samples = samples;
  const std::uint64_t total = samples * points.size();
  std::atomic<std::uint64_t> done{0};
  const int threads = std::max(1, options.threads);

  for (const PointSpec& spec : points) {
    const TimelinePointRunner runner(scenario, catalog, spec.grid, spec.levers, options.seed);
    const std::size_t A = runner.actors(), M = runner.months(), R = runner.references();
    const auto blocks = static_cast<std::int64_t>((samples + kTimelineBlock - 1) / kTimelineBlock);
    // One accumulator per thread: every statistic is a count, so merging
    // them in thread order equals merging the blocks in block order.
    std::vector<TimelineAccumulator> partial(static_cast<std::size_t>(threads),
                                             TimelineAccumulator(A, M, R));
    RegionFailure failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t b = 0; b < blocks; ++b) {
      if (options.cancel != nullptr && options.cancel->load()) continue;
      failure.run([&] {
        const std::uint64_t first = static_cast<std::uint64_t>(b) * kTimelineBlock;
        const std::uint64_t n = std::min(kTimelineBlock, samples - first);
        runner.run_block(first, n, partial[static_cast<std::size_t>(thread_index())]);
        const std::uint64_t now = done.fetch_add(n) + n;
        if (thread_index() == 0 && options.progress) options.progress(now, total);
      });
    }
    failure.rethrow();
    if (options.cancel != nullptr && options.cancel->load()) {
      result.interrupted = true;
      return result;
    }
    TimelineAccumulator acc(A, M, R);
    for (const auto& p : partial) acc.merge(p);

    TimelineGridPoint point;
    point.grid = spec.grid;
    for (const auto& [lever, setting] : spec.levers) {
      point.levers.emplace_back(lever->key, lever->labels[setting]);
    }
    const auto n = static_cast<double>(acc.samples);
    for (std::size_t a = 0; a < A; ++a) {
      TimelineActorSweep as;
      as.name = scenario.actors[a].name;
      for (std::size_t k = 0; k < M; ++k) {
        const std::size_t cell = a * M + k;
        TimelineMonthSweep ms;
        ms.month = result.start + static_cast<supply::Month>(k);
        for (std::size_t m = 0; m < kMetrics; ++m) {
          for (std::size_t q = 0; q < kFanQuantiles.size(); ++q) {
            ms.quantiles[m][q] = acc.sketches[cell * kMetrics + m].quantile(kFanQuantiles[q]);
          }
        }
        for (std::size_t c = 0; c < kLimits; ++c) {
          ms.binding_share[c] = static_cast<double>(acc.bindings[cell * kLimits + c]) / n;
        }
        for (std::size_t r = 0; r < R; ++r) {
          ms.p_exceeds.push_back(static_cast<double>(acc.exceeds[cell * R + r]) / n);
        }
        as.months.push_back(std::move(ms));
      }
      for (std::size_t r = 0; r < R; ++r) {
        const std::uint64_t* hist = &acc.first_hist[(a * R + r) * (M + 1)];
        OvertakeSweep os;
        os.reference = scenario.reference_ids[r];
        for (std::size_t q = 0; q < kFanQuantiles.size(); ++q) {
          os.quantiles[q] = month_quantile(hist, M, acc.samples, kFanQuantiles[q], result.start);
        }
        os.p_never = static_cast<double>(hist[M]) / n;
        std::uint64_t cumulative = 0;
        for (std::size_t k = 0; k < M; ++k) {
          cumulative += hist[k];
          os.p_by_month.push_back(static_cast<double>(cumulative) / n);
        }
        as.overtakes.push_back(std::move(os));
      }
      point.actors.push_back(std::move(as));
    }
    result.points.push_back(std::move(point));
    if (options.progress) options.progress(done.load(), total);
  }
  return result;
}

}  // namespace clustercap::sweep
