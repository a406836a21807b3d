#include "estimator/sweep/timeline_sweep.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "estimator/model/cluster_row.hpp"
#include "estimator/model/wan.hpp"
#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/inputs.hpp"
#include "estimator/scenario/sweep_loader.hpp"
#include "estimator/supply_simulation.hpp"
#include "estimator/sweep/ranks.hpp"
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

// What the statistics read of one actor-month.
struct MonthOutcome {
  double stock = 0, h100e = 0;  // chips held, and as H100 equivalents
  double chips = 0, sustained_flops = 0;
  model::Constraint binding = ClusterResult{}.binding;
  std::vector<double> ratios;  // sustained FLOP/s over each reference's; none without a cluster
};

double safe_ratio(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

// Adds one sample's actor-months ([actor][month]) to the statistics.
void record(const std::vector<MonthOutcome>& outcomes, TimelineAccumulator& acc) {
  const std::size_t M = acc.months, R = acc.references;
  for (std::size_t a = 0; a < acc.actors; ++a) {
    std::vector<std::size_t> first(R, M);  // M: never
    for (std::size_t k = 0; k < M; ++k) {
      const MonthOutcome& o = outcomes[a * M + k];
      const std::size_t cell = a * M + k;
      const std::array<double, kMetrics> values = {o.stock, o.h100e, o.chips, o.sustained_flops};
      for (std::size_t q = 0; q < kMetrics; ++q) acc.sketches[cell * kMetrics + q].add(values[q]);
      ++acc.bindings[cell * kLimits + static_cast<std::size_t>(o.binding)];
      for (std::size_t r = 0; r < R && r < o.ratios.size(); ++r) {
        if (!(o.ratios[r] >= 1.0)) continue;
        ++acc.exceeds[cell * R + r];
        first[r] = std::min(first[r], k);
      }
    }
    for (std::size_t r = 0; r < R; ++r) ++acc.first_hist[(a * R + r) * (M + 1) + first[r]];
  }
  ++acc.samples;
}

// The outcomes of a whole timeline (run_timeline's result).
std::vector<MonthOutcome> outcomes_of(const TimelineResult& t) {
  std::vector<MonthOutcome> outcomes;
  for (const TimelineActor& ta : t.actors) {
    for (const TimelineMonth& tm : ta.months) {
      MonthOutcome o;
      for (const auto& line : tm.inventory) o.stock += line.count;
      o.h100e = tm.inventory_h100e;
      o.chips = tm.cluster.chips;
      o.sustained_flops = tm.cluster.sustained_flops;
      o.binding = tm.cluster.binding;
      for (const auto& cmp : tm.vs_reference) o.ratios.push_back(cmp.ratio_sustained_flops);
      outcomes.push_back(std::move(o));
    }
  }
  return outcomes;
}

// Whether the MFU fixed point (predict_mfu) and the reference clusters
// read `target`: [training] settings and the server overhead they do;
// supply (the input table's effect), stock, sites and costs they do not.
// New targets read it until shown otherwise.
bool prediction_reads(Target target) {
  if (input_spec(target).effect == InputEffect::supply) return false;
  switch (target) {
    case Target::switch_w:
    case Target::nic_transceiver_w:
    case Target::switch_transceiver_w:
    case Target::actor_budget_usd:
    case Target::site_power_w:
    case Target::site_pue:
    case Target::inventory_count:
    case Target::inventory_mfu:  // decides whether a line uses the fixed point, not its result
    case Target::inventory_price_usd:
    case Target::cost_switch_usd:
    case Target::cost_transceiver_usd:
    case Target::cost_facility_usd_per_mw:
    case Target::cost_opex_fraction_per_year:
    case Target::cost_depreciation_years:
    case Target::site_electricity_usd_per_mwh:
      return false;
    default:
      return true;
  }
}

// A thread's memo holds at most this many fixed points (each a few hundred
// bytes), then starts over: chip counts that recur (a power or fabric
// limit) are found again at once.
constexpr std::size_t kMemoEntries = 1u << 14;

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

// Rank 0's `acc` becomes the statistics of every rank's blocks (ranks.hpp):
// counts are summed and sketches merged, both exact in any order, so the
// result is the one process's.
void gather_over_ranks(Ranks& ranks, TimelineAccumulator& acc) {
  ranks.sum(&acc.samples, 1);
  ranks.sum(acc.bindings.data(), acc.bindings.size());
  ranks.sum(acc.exceeds.data(), acc.exceeds.size());
  ranks.sum(acc.first_hist.data(), acc.first_hist.size());
  std::vector<std::uint64_t> words;
  for (const auto& sketch : acc.sketches) sketch.append_words(words);
  const auto all = ranks.gather_words(words);
  for (std::size_t r = 1; r < all.size(); ++r) {
    std::size_t at = 0;
    for (auto& sketch : acc.sketches) sketch.merge(QuantileSketch::from_words(all[r], at));
  }
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
  // The other levers act on supply alone; so do the inputs prediction_reads
  // says false for. The grid's values are the same in every sample.
  shares_ = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (sampled_[i] != 0 && !inputs[i].fixed() && prediction_reads(inputs[i].target))
      shares_ = false;
  }
  if (shares_) {
    for (const auto& id : base_.reference_ids) {
      reference_flops_.push_back(
          reference_result(*catalog.find_cluster(id), base_, catalog).sustained_flops);
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

void TimelinePointRunner::run_sample(const Scenario& sample, TimelineAccumulator& acc,
                                     Scratch& scratch) const {
  const bool linked = std::any_of(sample.actors.begin(), sample.actors.end(),
                                  [](const Actor& a) { return !a.links.empty(); });
  if (full_ || linked) {
    record(outcomes_of(run_timeline(sample, catalog_)), acc);
    return;
  }
  // run_timeline's batch, without the report: estimate() over every
  // actor-month, up to each one's preferred candidate.
  const Scenario all =
      actor_months(sample, supply::simulate_supply(sample, catalog_, *sample.timeline));
  std::vector<double> own_flops;
  if (!shares_) {
    for (const auto& id : all.reference_ids) {
      own_flops.push_back(
          reference_result(*catalog_.find_cluster(id), all, catalog_).sustained_flops);
    }
  }
  const std::vector<double>& reference_flops = shares_ ? reference_flops_ : own_flops;
  if (!shares_ || scratch.predictions.size() > kMemoEntries) scratch.predictions.clear();
  const std::vector<CandidateSpec> candidates = list_candidates(all, catalog_);
  const model::ClusterBatch batch = build_batch(candidates, all, nullptr, &scratch.predictions);
  const model::ClusterResults out = model::evaluate_clusters(batch);
  std::vector<std::vector<std::size_t>> mine(all.actors.size());
  for (std::size_t k = 0; k < candidates.size(); ++k) mine[candidates[k].actor].push_back(k);

  std::vector<MonthOutcome> outcomes(all.actors.size());
  for (std::size_t i = 0; i < all.actors.size(); ++i) {
    MonthOutcome& o = outcomes[i];
    for (const auto& s : inventory_summary(all.actors[i], all.training.precision, catalog_)) {
      o.stock += s.count;
      o.h100e += s.h100e;
    }
    if (mine[i].empty()) continue;  // no cluster: nothing held yet
    sort_by_preference(mine[i], out);
    const auto w = static_cast<Eigen::Index>(mine[i].front());
    o.chips = out.chips[w];
    o.sustained_flops = out.sustained_flops[w];
    o.binding = static_cast<model::Constraint>(out.binding[w]);
    for (const double reference : reference_flops)
      o.ratios.push_back(safe_ratio(o.sustained_flops, reference));
  }
  record(outcomes, acc);
}

void TimelinePointRunner::run_block(std::uint64_t first, std::uint64_t n, TimelineAccumulator& acc,
                                    Scratch& scratch) const {
  const std::size_t I = original_.sweep.inputs.size();
  std::vector<model::Pack> draws(I), packs;
  std::vector<double> values(I);
  for (std::uint64_t s = 0; s < n; s += model::kLanes) {
    draw_values(original_, copula_, seed_, first + s, draws, packs);
    for (std::uint64_t l = 0; l < model::kLanes && s + l < n; ++l) {
      for (std::size_t i = 0; i < I; ++i) values[i] = draws[i][static_cast<int>(l)];
      run_sample(scenario_at(values), acc, scratch);
    }
  }
}

void TimelinePointRunner::run_block(std::uint64_t first, std::uint64_t n,
                                    TimelineAccumulator& acc) const {
  Scratch scratch;
  run_block(first, n, acc, scratch);
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
    // Built on every rank; one failing alone must not leave the others waiting.
    std::optional<TimelinePointRunner> built;
    agreed_step(options.ranks,
                [&] { built.emplace(scenario, catalog, spec.grid, spec.levers, options.seed); });
    const TimelinePointRunner& runner = *built;
    const std::size_t A = runner.actors(), M = runner.months(), R = runner.references();
    const std::uint64_t block_count = (samples + kTimelineBlock - 1) / kTimelineBlock;
    const auto blocks = static_cast<std::int64_t>(block_count);
    // Under MPI each rank takes its share of the blocks (ranks.hpp).
    const Share mine = options.ranks != nullptr
                           ? share_of(block_count, options.ranks->rank(), options.ranks->size())
                           : Share{0, block_count};
    // One accumulator per thread: every statistic is a count, so merging
    // them in thread order equals merging the blocks in block order.
    std::vector<TimelineAccumulator> partial(static_cast<std::size_t>(threads),
                                             TimelineAccumulator(A, M, R));
    std::vector<TimelinePointRunner::Scratch> scratch(static_cast<std::size_t>(threads));
    RegionFailure failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t b = 0; b < blocks; ++b) {
      if (options.cancel != nullptr && options.cancel->load()) continue;
      if (!mine.holds(static_cast<std::uint64_t>(b))) continue;
      failure.run([&] {
        const std::uint64_t first = static_cast<std::uint64_t>(b) * kTimelineBlock;
        const std::uint64_t n = std::min(kTimelineBlock, samples - first);
        const auto t = static_cast<std::size_t>(thread_index());
        runner.run_block(first, n, partial[t], scratch[t]);
        const std::uint64_t now = done.fetch_add(n) + n;
        if (thread_index() == 0 && options.progress) options.progress(now, total);
      });
    }
    agreed_step(options.ranks, [&] { failure.rethrow(); });
    if (options.cancel != nullptr && options.cancel->load()) {
      result.interrupted = true;
      return result;
    }
    TimelineAccumulator acc(A, M, R);
    for (const auto& p : partial) acc.merge(p);
    if (options.ranks != nullptr) gather_over_ranks(*options.ranks, acc);

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
