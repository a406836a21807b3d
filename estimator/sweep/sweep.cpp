#include "estimator/sweep/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <mutex>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "estimator/estimate.hpp"
#include "estimator/plan.hpp"
#include "estimator/sweep/parallel.hpp"
#include "estimator/sweep/random.hpp"
#include "estimator/sweep/sketch.hpp"
#include "hardware/input_error.hpp"

namespace clustercap::sweep {
namespace {

constexpr int kBaseMetrics = 5;  // chips, facility_power_mw, sustained_flops, train_flop, params
constexpr int kSustained = 2;

// Each input's value at its uniform u[i] (config units).
std::vector<double> values_at(const Scenario& scenario, const std::vector<double>& u) {
  std::vector<double> v(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) v[i] = scenario.sweep.inputs[i].sample(u[i]);
  return v;
}

// A sampled or grid-fixed value bound to the candidates it changes.
struct Binding {
  Target target = Target::goodput;
  double scale = 1;
  int input = -1;          // index into scenario.sweep.inputs, or -1 for a fixed grid value
  double fixed = 0;        // config units, when input < 0
  std::vector<int> cands;  // candidate columns it touches
  int actor = -1, line = -1;
};

// Running moments of one block (Chan et al. merge in block order).
struct Moments {
  double n = 0, mean = 0, m2 = 0;
  // Two passes over one block's values.
  static Moments of(const double* x, std::uint64_t count) {
    Moments m;
    if (count == 0) return m;
    m.n = static_cast<double>(count);
    double sum = 0;
    for (std::uint64_t i = 0; i < count; ++i) sum += x[i];
    m.mean = sum / m.n;
    for (std::uint64_t i = 0; i < count; ++i) m.m2 += (x[i] - m.mean) * (x[i] - m.mean);
    return m;
  }
  void merge(const Moments& o) {
    if (o.n == 0) return;
    const double total = n + o.n;
    const double d = o.mean - mean;
    mean += d * o.n / total;
    m2 += o.m2 + d * d * n * o.n / total;
    n = total;
  }
};

class Engine {
 public:
  Engine(const Scenario& scenario, const Catalog& catalog,
         const std::vector<std::pair<std::string, double>>& grid_settings, int threads = 1)
      : scenario_(scenario),
        candidates_(list_candidates(scenario, catalog)),
        base_(build_batch(candidates_, scenario)) {
    const EstimateResult point = estimate(scenario, catalog);
    for (const auto& r : point.references) {
      references_.push_back(r.id);
      // Reference FLOP/s scale with the sampled goodput only.
      ref_per_goodput_.push_back(scenario.training.goodput > 0
                                     ? r.sustained_flops / scenario.training.goodput
                                     : 0.0);
    }
    actor_cands_.resize(scenario.actors.size());
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      actor_cands_[candidates_[c].actor].push_back(static_cast<int>(c));
    }
    // Generic servers scale with the sampled overhead.
    generic_tdp_.assign(candidates_.size(), 0.0);
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      const System* s = candidates_[c].system;
      const bool own_power = s != nullptr && s->power_w && s->power_is_system_it && s->chips;
      if (!own_power) {
        generic_tdp_[c] = base_.chips_per_system[static_cast<Eigen::Index>(c)] *
                          candidates_[c].chip->tdp_w.value_or(0.0);
      }
    }
    for (std::size_t a = 0; a < scenario.actors.size(); ++a) {
      std::vector<double> counts;
      for (const auto& line : scenario.actors[a].inventory) counts.push_back(line.count);
      base_counts_.push_back(counts);
    }
    for (std::size_t i = 0; i < scenario.sweep.inputs.size(); ++i) {
      const UncertainInput& in = scenario.sweep.inputs[i];
      bool overridden = false;
      for (const auto& [key, value] : grid_settings) {
        overridden = overridden || key == in.indexed_key || key == in.name;
      }
      if (!overridden) bindings_.push_back(bind(in, static_cast<int>(i), 0.0));
    }
    for (const auto& [key, value] : grid_settings) {
      UncertainInput probe;
      probe.indexed_key = key;
      for (const auto& in : scenario.sweep.inputs) {
        if (in.name == key) probe.indexed_key = in.indexed_key;
      }
      bind_target(probe);
      bindings_.push_back(bind(probe, -1, value));
    }
    build_mfu_tables(scenario, threads);
    power_sampled_.assign(candidates_.size(), 0);
    size_sampled_.assign(candidates_.size(), 0);
    for (const Binding& b : bindings_) {
      if (b.input < 0) continue;
      switch (b.target) {
        // With the step model, run length sets the model and so the MFU.
        case Target::duration_s:
          for (int c : b.cands) {
            if (mfu_tables_[static_cast<std::size_t>(c)] != nullptr) size_sampled_[static_cast<std::size_t>(c)] = 1;
          }
          break;
        // Inputs that change neither the cluster's size nor its FLOP/s.
        case Target::max_tokens:
        case Target::activation_memory_fraction:
        case Target::bytes_per_param: break;
        case Target::inventory_count:
          for (std::size_t c = 0; c < candidates_.size(); ++c) {
            const CandidateSpec& spec = candidates_[c];
            if (static_cast<int>(spec.actor) == b.actor &&
                std::find(spec.lines.begin(), spec.lines.end(), b.line) != spec.lines.end()) {
              size_sampled_[c] = 1;
            }
          }
          break;
        default:
          for (int c : b.cands) size_sampled_[static_cast<std::size_t>(c)] = 1;
      }
      switch (b.target) {
        case Target::site_power_w:
        case Target::site_pue:
        case Target::system_overhead:
        case Target::switch_w:
        case Target::nic_transceiver_w:
        case Target::switch_transceiver_w:
          for (int c : b.cands) power_sampled_[static_cast<std::size_t>(c)] = 1;
          break;
        default: break;
      }
    }
  }

  std::size_t candidates() const { return candidates_.size(); }
  std::size_t actors() const { return actor_cands_.size(); }
  const std::vector<std::string>& references() const { return references_; }
  const std::vector<Binding>& bindings() const { return bindings_; }
  const model::ClusterBatch& base() const { return base_; }
  const std::vector<CandidateSpec>& specs() const { return candidates_; }
  const std::vector<std::vector<int>>& actor_candidates() const { return actor_cands_; }
  const std::vector<double>& generic_tdp() const { return generic_tdp_; }
  const std::vector<double>& ref_per_goodput() const { return ref_per_goodput_; }
  const std::vector<std::vector<double>>& base_counts() const { return base_counts_; }

  // Writes the sampled (or grid-fixed) values `values` (config units, one per
  // scenario input) into the C candidate rows of `batch` starting at `row0`.
  // Only bound columns change: the rows must start as copies of base().
  void apply(model::ClusterBatch& batch, Eigen::Index row0, const std::vector<double>& values,
             std::vector<std::vector<double>>& counts) const {
    const auto C = static_cast<Eigen::Index>(candidates_.size());
    bool counts_changed = false;
    for (const Binding& b : bindings_) {
      const double v = (b.input >= 0 ? values[static_cast<std::size_t>(b.input)] : b.fixed) * b.scale;
      for (int c : b.cands) {
        const Eigen::Index i = row0 + c;
        auto& fabric = batch.fabric[static_cast<std::size_t>(i)];
        switch (b.target) {
          case Target::goodput: batch.goodput[i] = v; break;
          case Target::mfu:
          case Target::inventory_mfu: batch.mfu[i] = v; break;
          case Target::duration_s: batch.duration_s[i] = v; break;
          case Target::max_tokens: batch.max_tokens[i] = v; break;
          case Target::activation_memory_fraction: batch.activation_memory_fraction[i] = v; break;
          case Target::bytes_per_param: batch.bytes_per_param[i] = v; break;
          case Target::switch_w: fabric.switch_w = v; break;
          case Target::nic_transceiver_w: fabric.nic_transceiver_w = v; break;
          case Target::switch_transceiver_w: fabric.switch_transceiver_w = v; break;
          case Target::system_overhead: batch.system_it_power_w[i] = generic_tdp_[static_cast<std::size_t>(c)] * v; break;
          case Target::actor_budget_usd: batch.budget_usd[i] = v; break;
          case Target::site_power_w: batch.site_power_w[i] = v; break;
          case Target::site_pue: batch.pue[i] = v; break;
          case Target::inventory_price_usd: batch.system_price_usd[i] = v * batch.chips_per_system[i]; break;
          case Target::inventory_count: break;
        }
      }
      if (b.target == Target::inventory_count) {
        counts[static_cast<std::size_t>(b.actor)][static_cast<std::size_t>(b.line)] = v;
        counts_changed = true;
      }
    }
    if (counts_changed) {
      for (Eigen::Index c = 0; c < C; ++c) {
        const CandidateSpec& spec = candidates_[static_cast<std::size_t>(c)];
        double held = 0;
        for (int line : spec.lines) held += counts[spec.actor][static_cast<std::size_t>(line)];
        batch.chips_held[row0 + c] = held;
      }
    }
  }

  std::vector<double> median_values() const {
    return values_at(scenario_, std::vector<double>(scenario_.sweep.inputs.size(), 0.5));
  }

  // Step-model MFU of candidate c (null when its MFU is an input): the
  // fixed point tabulated over cluster size and compute, per chip and system.
  const training::MfuTable* mfu_table(std::size_t c) const { return mfu_tables_[c].get(); }
  // The table's largest MFU: bilinear values never exceed it.
  double mfu_max(std::size_t c) const { return mfu_max_[c]; }

  // True when a sampled input can change candidate c's size or FLOP/s.
  bool size_sampled(std::size_t c) const { return size_sampled_[c] != 0; }
  // True when a sampled input changes what candidate c's site can power.
  bool power_sampled(std::size_t c) const { return power_sampled_[c] != 0; }

 private:
  // One table per (chip, system): it depends on neither the site nor the
  // inventory. Nodes span one system to the fabric's largest cluster and the
  // compute those sizes give over a quarter to four times the run length;
  // the point estimate's sizes are nodes, so the table is exact there.
  void build_mfu_tables(const Scenario& scenario, [[maybe_unused]] int threads) {
    mfu_tables_.assign(candidates_.size(), nullptr);
    model::ClusterResults point;
    model::assemble_clusters(base_, point);
    std::vector<std::vector<std::size_t>> groups;
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      if (!uses_step_model(candidates_[c], scenario)) continue;
      bool placed = false;
      for (auto& g : groups) {
        const CandidateSpec& first = candidates_[g.front()];
        if (first.chip == candidates_[c].chip && first.system == candidates_[c].system) {
          g.push_back(c);
          placed = true;
        }
      }
      if (!placed) groups.push_back({c});
    }
    std::vector<std::shared_ptr<const training::MfuTable>> built(groups.size());
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(1, threads))
    for (std::int64_t g = 0; g < static_cast<std::int64_t>(groups.size()); ++g) {
      try {
        const auto& members = groups[static_cast<std::size_t>(g)];
        const CandidateSpec& first = candidates_[members.front()];
        const auto i0 = static_cast<Eigen::Index>(members.front());
        const double cps = base_.chips_per_system[i0];
        double chips_max = cps;
        std::vector<double> extra_chips, extra_c1;
        for (std::size_t c : members) {
          const auto i = static_cast<Eigen::Index>(c);
          chips_max = std::max(chips_max, model::network_limit_systems(base_, i) * cps);
          if (point.chips[i] > 0) {
            extra_chips.push_back(point.chips[i]);
            extra_c1.push_back(clustercap::compute_per_unit_mfu(*first.chip, scenario, point.chips[i]));
          }
        }
        auto table = std::make_shared<training::MfuTable>(
            clustercap::build_mfu_table(first, scenario, cps, chips_max,
                                        clustercap::compute_per_unit_mfu(*first.chip, scenario, cps) / 4,
                                        clustercap::compute_per_unit_mfu(*first.chip, scenario, chips_max) * 4,
                                        extra_chips, extra_c1)
                .table);
        built[static_cast<std::size_t>(g)] = table;
      } catch (...) {
#pragma omp critical(clustercap_mfu_tables)
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
    mfu_max_.assign(candidates_.size(), 0.0);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const training::MfuTable& t = *built[g];
      double top = 0;
      for (std::size_t i = 0; i < t.chips_nodes().size(); ++i) {
        for (std::size_t j = 0; j < t.c1_nodes().size(); ++j) top = std::max(top, t.node(i, j));
      }
      for (std::size_t c : groups[g]) {
        mfu_tables_[c] = built[g];
        mfu_max_[c] = top;
      }
    }
  }

  Binding bind(const UncertainInput& in, int index, double fixed) const {
    Binding b;
    b.target = in.target;
    b.scale = in.scale;
    b.input = index;
    b.fixed = fixed;
    b.actor = in.actor;
    b.line = in.inventory;
    for (std::size_t c = 0; c < candidates_.size(); ++c) {
      const CandidateSpec& spec = candidates_[c];
      const bool same_actor = static_cast<int>(spec.actor) == in.actor;
      bool touches = false;
      switch (in.target) {
        case Target::mfu: touches = spec.mfu_line < 0; break;
        case Target::inventory_mfu: touches = same_actor && spec.mfu_line == in.inventory; break;
        case Target::inventory_price_usd: touches = same_actor && spec.price_line == in.inventory; break;
        case Target::system_overhead: touches = generic_tdp_[c] > 0; break;
        case Target::actor_budget_usd: touches = same_actor; break;
        case Target::site_power_w:
        case Target::site_pue: touches = same_actor && spec.site_index == in.site; break;
        case Target::inventory_count: touches = false; break;  // via counts
        default: touches = true;
      }
      if (touches) b.cands.push_back(static_cast<int>(c));
    }
    return b;
  }

  const Scenario& scenario_;
  std::vector<CandidateSpec> candidates_;
  model::ClusterBatch base_;
  std::vector<std::string> references_;
  std::vector<double> ref_per_goodput_;
  std::vector<std::vector<int>> actor_cands_;
  std::vector<double> generic_tdp_;
  std::vector<std::vector<double>> base_counts_;
  std::vector<Binding> bindings_;
  std::vector<char> power_sampled_;
  std::vector<char> size_sampled_;
  std::vector<std::shared_ptr<const training::MfuTable>> mfu_tables_;
  std::vector<double> mfu_max_;
};

void copy_row(const model::ClusterBatch& from, Eigen::Index i, model::ClusterBatch& to, Eigen::Index j) {
#define CLUSTERCAP_COPY(name) to.name[j] = from.name[i];
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_COPY)
#undef CLUSTERCAP_COPY
  to.fabric[static_cast<std::size_t>(j)] = from.fabric[static_cast<std::size_t>(i)];
}

// One thread's evaluator. Per sample it finds each actor's largest cluster
// from the model's step-2/3 functions (limits whose inputs are never sampled
// are computed once), then runs the whole model -- the same
// assemble_clusters and compute_training_outcome as `estimate` -- on the
// block's winners as one structure-of-arrays batch.
class Kernel {
 public:
  Kernel(const Engine& engine, std::size_t block)
      : engine_(engine), counts_(engine.base_counts()) {
    const model::ClusterBatch& base = engine.base();
    const Eigen::Index C = base.size();
    sample_ = base;
    // Grid-fixed values hold for every sample; apply them before caching.
    engine.apply(sample_, 0, engine.median_values(), counts_);
    power_cache_.resize(static_cast<std::size_t>(C));
    network_cache_.resize(static_cast<std::size_t>(C));
    for (Eigen::Index c = 0; c < C; ++c) {
      power_cache_[static_cast<std::size_t>(c)] = model::power_limit_systems(sample_, c);
      network_cache_[static_cast<std::size_t>(c)] = model::network_limit_systems(sample_, c);
    }
    // Candidates no sampled input can resize keep one size for the whole
    // sweep: only the best of them (by the rule in add()) needs comparing.
    const std::size_t A = engine.actors();
    order_.resize(A);
    size_.resize(static_cast<std::size_t>(C));
    for (std::size_t a = 0; a < A; ++a) {
      int fixed_best = -1;
      for (int c : engine.actor_candidates()[a]) {
        const auto k = static_cast<std::size_t>(c);
        if (engine.size_sampled(k)) {
          order_[a].push_back(c);
          continue;
        }
        size_[k] = evaluate(c);
        if (fixed_best < 0 || better(size_[k], size_[static_cast<std::size_t>(fixed_best)])) fixed_best = c;
      }
      if (fixed_best >= 0) {
        order_[a].insert(std::lower_bound(order_[a].begin(), order_[a].end(), fixed_best), fixed_best);
      }
    }
    resize(block);
  }

  // Starts a block of n samples.
  void begin(std::size_t n) {
    if (n != rows_) resize(n);
  }

  // Evaluates sample s of the block at `values` (config units per input).
  void add(std::size_t s, const std::vector<double>& values) {
    engine_.apply(sample_, 0, values, counts_);
    const std::size_t A = engine_.actors();
    for (std::size_t a = 0; a < A; ++a) {
      int best = -1;
      for (int c : order_[a]) {
        const auto k = static_cast<std::size_t>(c);
        if (engine_.size_sampled(k)) {
          size_[k] = evaluate(c, best < 0 ? -1.0 : size_[static_cast<std::size_t>(best)].flops);
        }
        // Candidates in index order: the first of equals wins, as in `estimate`.
        if (best < 0 || better(size_[k], size_[static_cast<std::size_t>(best)])) best = c;
      }
      const auto row = static_cast<Eigen::Index>(s * A + a);
      winner_[static_cast<std::size_t>(row)] = best;
      if (best >= 0) copy_row(sample_, best, winners_, row);
    }
  }

  // Runs the whole model on the block's winners.
  void finish() {
    model::assemble_clusters(winners_, results_);
    model::compute_training_outcome(winners_, results_);
  }

  // Per-actor outputs of sample s: metrics in metric_names() order, binding.
  void outputs(std::size_t s, std::size_t actor, double* metrics, int* binding) const {
    const auto i = static_cast<Eigen::Index>(s * engine_.actors() + actor);
    const std::size_t R = engine_.references().size();
    if (winner_[static_cast<std::size_t>(i)] < 0) {
      std::fill(metrics, metrics + kBaseMetrics + R, 0.0);
      *binding = 0;
      return;
    }
    const model::ClusterResults& r = results_;
    metrics[0] = r.chips[i];
    metrics[1] = r.facility_power_w[i] / 1e6;
    metrics[2] = r.sustained_flops[i];
    metrics[3] = r.train_flop[i];
    metrics[4] = r.params[i];
    for (std::size_t k = 0; k < R; ++k) {
      const double ref = engine_.ref_per_goodput()[k] * winners_.goodput[i];
      metrics[kBaseMetrics + k] = ref > 0 ? r.sustained_flops[i] / ref : 0.0;
    }
    *binding = r.binding[i];
  }

 private:
  struct Size {
    double chips = 0, flops = 0;
  };
  // The same choice as `estimate`: most sustained FLOP/s, then most chips.
  static bool better(const Size& x, const Size& y) {
    return x.flops > y.flops || (x.flops == y.flops && x.chips > y.chips);
  }

  // Candidate c's cluster at the current sample. Only the size matters here
  // (the winner's binding constraint comes from the full model), so the power
  // search runs only when power binds below the other limits.
  // A step-model candidate whose FLOP/s at its table's highest MFU stay
  // below `beat` cannot win; its MFU is then not looked up (flops -1).
  Size evaluate(int c, double beat = -1.0) {
    const auto i = static_cast<Eigen::Index>(c);
    const auto k = static_cast<std::size_t>(c);
    double systems = std::min({model::held_limit_systems(sample_, i), network_cache_[k],
                               model::budget_limit_systems(sample_, i)});
    if (!engine_.power_sampled(k)) {
      systems = std::min(systems, power_cache_[k]);
    } else if (model::it_power_for_systems_w(sample_, i, systems) > model::it_budget_w(sample_, i)) {
      systems = std::min(systems, model::power_limit_systems(sample_, i));
    }
    const double chips = systems * sample_.chips_per_system[i];
    const double peak = sample_.peak_flops_per_chip[i];
    const double goodput = model::goodput_at(sample_, i, chips);
    if (const training::MfuTable* table = engine_.mfu_table(k)) {
      // (1 + 1e-12): interpolation may round a hair above the largest node.
      if (model::sustained_flops(chips, peak, engine_.mfu_max(k), goodput) * (1 + 1e-12) < beat) {
        return {chips, -1.0};
      }
      // Training FLOP per unit of MFU at this sample's run length and goodput,
      // in the order compute_per_unit_mfu (plan.hpp) multiplies them.
      sample_.mfu[i] = table->at(chips, chips * peak * goodput * sample_.duration_s[i]);
    }
    return {chips, model::sustained_flops(chips, peak, sample_.mfu[i], goodput)};
  }

  void resize(std::size_t n) {
    rows_ = n;
    const std::size_t A = engine_.actors();
    winners_.resize(static_cast<Eigen::Index>(n * A));
    // Rows of actors without a winner still go through the model: keep them valid.
    if (engine_.base().size() > 0) {
      for (std::size_t j = 0; j < n * A; ++j) copy_row(engine_.base(), 0, winners_, static_cast<Eigen::Index>(j));
    }
    winner_.assign(n * A, -1);
  }

  const Engine& engine_;
  model::ClusterBatch sample_;
  std::vector<std::vector<double>> counts_;
  std::vector<double> power_cache_, network_cache_;
  model::ClusterBatch winners_;
  model::ClusterResults results_;
  std::vector<int> winner_;
  std::vector<std::vector<int>> order_;  // per actor: sampled candidates and the best fixed one
  std::vector<Size> size_;
  std::size_t rows_ = 0;
};

// Gaussian copula: Cholesky factor of the Pearson matrix implied by the
// Spearman correlations (rho = 2 sin(pi rho_s / 6)).
struct Copula {
  std::vector<int> inputs;  // inputs taking part
  Eigen::MatrixXd lower;
};

Copula make_copula(const Scenario& scenario) {
  Copula copula;
  const auto& inputs = scenario.sweep.inputs;
  auto index_of = [&](const std::string& label) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].label() == label || inputs[i].indexed_key == label) return static_cast<int>(i);
    }
    return -1;
  };
  for (const auto& c : scenario.sweep.correlations) {
    for (int i : {index_of(c.a), index_of(c.b)}) {
      if (i >= 0 && std::find(copula.inputs.begin(), copula.inputs.end(), i) == copula.inputs.end()) {
        copula.inputs.push_back(i);
      }
    }
  }
  if (copula.inputs.empty()) return copula;
  const auto k = static_cast<Eigen::Index>(copula.inputs.size());
  Eigen::MatrixXd r = Eigen::MatrixXd::Identity(k, k);
  auto pos = [&](int input) {
    return static_cast<Eigen::Index>(std::find(copula.inputs.begin(), copula.inputs.end(), input) -
                                     copula.inputs.begin());
  };
  for (const auto& c : scenario.sweep.correlations) {
    const Eigen::Index a = pos(index_of(c.a)), b = pos(index_of(c.b));
    const double pearson = 2 * std::sin(3.14159265358979323846 * c.spearman / 6);
    r(a, b) = r(b, a) = pearson;
  }
  Eigen::LLT<Eigen::MatrixXd> llt(r);
  if (llt.info() != Eigen::Success) {
    throw InputErrors({{scenario.file, 0, 0, "sweep.correlation", "",
                        "the correlations are inconsistent (their matrix is not positive definite)"}});
  }
  copula.lower = llt.matrixL();
  return copula;
}

// Uniforms of one sample after the copula; `z` is scratch of the copula's size.
void draw(const Scenario& scenario, const Copula& copula, std::uint64_t seed, std::uint64_t sample,
          std::vector<double>& u, std::vector<double>& z) {
  const std::size_t n = scenario.sweep.inputs.size();
  const std::uint64_t key = sample_key(seed, sample);
  for (std::size_t i = 0; i < n; ++i) u[i] = uniform_at(key, i);
  const std::size_t k = copula.inputs.size();
  if (k == 0) return;
  for (std::size_t j = 0; j < k; ++j) z[j] = normal_quantile(u[static_cast<std::size_t>(copula.inputs[j])]);
  // y = L z with L lower-triangular.
  for (std::size_t j = 0; j < k; ++j) {
    double y = 0;
    for (std::size_t m = 0; m <= j; ++m) {
      y += copula.lower(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(m)) * z[m];
    }
    u[static_cast<std::size_t>(copula.inputs[j])] = std::min(std::max(normal_cdf(y), 1e-16), 1 - 1e-16);
  }
}

// Ranks (1..n, ties averaged) of a column.
Eigen::VectorXd ranks(const Eigen::VectorXd& x) {
  const auto n = x.size();
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return x[a] < x[b]; });
  Eigen::VectorXd r(n);
  for (Eigen::Index i = 0; i < n;) {
    Eigen::Index j = i;
    while (j + 1 < n && x[order[static_cast<std::size_t>(j + 1)]] == x[order[static_cast<std::size_t>(i)]]) ++j;
    const double avg = 0.5 * static_cast<double>(i + j) + 1.0;
    for (Eigen::Index k = i; k <= j; ++k) r[order[static_cast<std::size_t>(k)]] = avg;
    i = j + 1;
  }
  return r;
}

// Standardised rank-regression coefficients of y on the columns of X.
std::pair<std::vector<double>, double> srrc(const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  const auto n = x.rows();
  const auto k = x.cols();
  std::vector<double> coef(static_cast<std::size_t>(k), 0.0);
  if (n < k + 2) return {coef, 0.0};
  auto standardise = [](const Eigen::VectorXd& v) -> Eigen::VectorXd {
    const double mean = v.mean();
    const double sd = std::sqrt((v.array() - mean).square().sum() / static_cast<double>(v.size() - 1));
    if (!(sd > 0)) return Eigen::VectorXd::Zero(v.size());
    return (v.array() - mean) / sd;
  };
  Eigen::MatrixXd xr(n, k);
  for (Eigen::Index j = 0; j < k; ++j) xr.col(j) = standardise(ranks(x.col(j)));
  const Eigen::VectorXd yr = standardise(ranks(y));
  if (yr.isZero()) return {coef, 0.0};
  const Eigen::VectorXd beta = xr.colPivHouseholderQr().solve(yr);
  const Eigen::VectorXd fit = xr * beta;
  const double r2 = 1.0 - (yr - fit).squaredNorm() / yr.squaredNorm();
  for (Eigen::Index j = 0; j < k; ++j) coef[static_cast<std::size_t>(j)] = beta[j];
  return {coef, r2};
}

GridPoint run_point(const Scenario& scenario, const Catalog& catalog,
                    const std::vector<std::pair<std::string, double>>& settings, const SweepOptions& options,
                    std::uint64_t samples, bool keep, SweepResult& result, std::atomic<std::uint64_t>& done,
                    std::uint64_t total) {
  const Engine engine(scenario, catalog, settings, options.threads);
  const Copula copula = make_copula(scenario);
  const std::size_t A = engine.actors();
  const std::size_t R = engine.references().size();
  const std::size_t M = kBaseMetrics + R;
  const std::size_t I = scenario.sweep.inputs.size();
  const std::uint64_t block = std::max<std::uint64_t>(1, options.block);
  const std::uint64_t blocks = (samples + block - 1) / block;
  const std::uint64_t srrc_n = std::min(samples, options.srrc_samples);

  // Moments are merged in block order; blocks are processed a chunk at a
  // time so the per-block partials take fixed memory whatever the sample count.
  constexpr std::uint64_t kChunkBlocks = 1024;
  std::vector<Moments> block_moments(std::min(blocks, kChunkBlocks) * A * M);
  std::vector<Moments> totals(A * M);
  Eigen::MatrixXd srrc_x(static_cast<Eigen::Index>(srrc_n), static_cast<Eigen::Index>(I));
  Eigen::MatrixXd srrc_y(static_cast<Eigen::Index>(srrc_n), static_cast<Eigen::Index>(A));
  const std::uint64_t kept = keep ? std::min(samples, options.keep_rows) : 0;
  if (kept > 0) {
    result.rows.assign(kept, std::vector<double>(1 + I + A * (M + 1), 0.0));
  }

  const int threads = std::max(1, options.threads);
  std::vector<std::vector<QuantileSketch>> sketches(static_cast<std::size_t>(threads),
                                                    std::vector<QuantileSketch>(A * M));
  std::vector<std::vector<std::uint64_t>> bindings(static_cast<std::size_t>(threads),
                                                   std::vector<std::uint64_t>(A * 4, 0));
  std::vector<std::vector<std::uint64_t>> exceeds(static_cast<std::size_t>(threads),
                                                  std::vector<std::uint64_t>(A * R, 0));
  std::exception_ptr failure;
  std::mutex failure_mutex;

#pragma omp parallel num_threads(threads)
  {
    const auto t = static_cast<std::size_t>(thread_index());
    Kernel kernel(engine, block);
    std::vector<double> u(I), values(I), z(copula.inputs.size());
    std::vector<double> metrics(M);
    std::vector<double> block_values(A * M * block);  // [actor, metric][sample]
    for (std::uint64_t chunk = 0; chunk < blocks; chunk += kChunkBlocks) {
    const auto chunk_end = static_cast<std::int64_t>(std::min(blocks, chunk + kChunkBlocks));
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t b = static_cast<std::int64_t>(chunk); b < chunk_end; ++b) {
      if (options.cancel != nullptr && options.cancel->load()) continue;
      try {
        const std::uint64_t first = static_cast<std::uint64_t>(b) * block;
        const std::uint64_t n = std::min(block, samples - first);
        kernel.begin(n);
        for (std::uint64_t s = 0; s < n; ++s) {
          draw(scenario, copula, options.seed, first + s, u, z);
          for (std::size_t i = 0; i < I; ++i) values[i] = scenario.sweep.inputs[i].sample(u[i]);
          kernel.add(s, values);
          if (first + s < srrc_n) {
            for (std::size_t i = 0; i < I; ++i) {
              srrc_x(static_cast<Eigen::Index>(first + s), static_cast<Eigen::Index>(i)) = u[i];
            }
          }
          if (first + s < kept) {
            auto& row = result.rows[first + s];
            row[0] = static_cast<double>(first + s);
            for (std::size_t i = 0; i < I; ++i) row[1 + i] = values[i];
          }
        }
        kernel.finish();
        for (std::uint64_t s = 0; s < n; ++s) {
          for (std::size_t a = 0; a < A; ++a) {
            int binding = 0;
            kernel.outputs(s, a, metrics.data(), &binding);
            for (std::size_t m = 0; m < M; ++m) block_values[(a * M + m) * block + s] = metrics[m];
            ++bindings[t][a * 4 + static_cast<std::size_t>(binding)];
            for (std::size_t r = 0; r < R; ++r) {
              if (metrics[kBaseMetrics + r] >= 1.0) ++exceeds[t][a * R + r];
            }
            if (first + s < srrc_n) {
              srrc_y(static_cast<Eigen::Index>(first + s), static_cast<Eigen::Index>(a)) = metrics[kSustained];
            }
            if (first + s < kept) {
              auto& row = result.rows[first + s];
              const std::size_t base = 1 + I + a * (M + 1);
              for (std::size_t m = 0; m < M; ++m) row[base + m] = metrics[m];
              row[base + M] = binding;
            }
          }
        }
        for (std::size_t k = 0; k < A * M; ++k) {
          const double* x = &block_values[k * block];
          QuantileSketch& sketch = sketches[t][k];
          for (std::uint64_t s = 0; s < n; ++s) sketch.add(x[s]);
          block_moments[static_cast<std::size_t>(b - static_cast<std::int64_t>(chunk)) * A * M + k] =
              Moments::of(x, n);
        }
        const std::uint64_t now = done.fetch_add(n) + n;
        if (t == 0 && options.progress) options.progress(now, total);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
#pragma omp single
    {
      const std::uint64_t used = static_cast<std::uint64_t>(chunk_end) - chunk;
      for (std::uint64_t b = 0; b < used; ++b) {
        for (std::size_t k = 0; k < A * M; ++k) totals[k].merge(block_moments[b * A * M + k]);
      }
      std::fill(block_moments.begin(), block_moments.end(), Moments{});
    }
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (options.cancel != nullptr && options.cancel->load()) {
    result.interrupted = true;
    return {};
  }

  GridPoint point;
  point.settings = settings;
  const auto names = metric_names(engine.references());
  for (std::size_t a = 0; a < A; ++a) {
    ActorSweep as;
    as.name = scenario.actors[a].name;
    for (std::size_t m = 0; m < M; ++m) {
      const Moments& total_m = totals[a * M + m];
      QuantileSketch merged;
      for (const auto& per_thread : sketches) merged.merge(per_thread[a * M + m]);
      MetricSummary ms;
      ms.name = names[m];
      ms.mean = total_m.mean;
      ms.sd = total_m.n > 1 ? std::sqrt(std::max(0.0, total_m.m2 / (total_m.n - 1))) : 0.0;
      ms.min = merged.min();
      ms.max = merged.max();
      for (std::size_t q = 0; q < kQuantiles.size(); ++q) ms.quantiles[q] = merged.quantile(kQuantiles[q]);
      as.metrics.push_back(ms);
    }
    for (int k = 0; k < 4; ++k) {
      std::uint64_t count = 0;
      for (const auto& per_thread : bindings) count += per_thread[a * 4 + static_cast<std::size_t>(k)];
      as.binding_share[static_cast<std::size_t>(k)] = static_cast<double>(count) / static_cast<double>(samples);
    }
    for (std::size_t r = 0; r < R; ++r) {
      std::uint64_t count = 0;
      for (const auto& per_thread : exceeds) count += per_thread[a * R + r];
      as.p_exceeds.emplace_back(engine.references()[r], static_cast<double>(count) / static_cast<double>(samples));
    }
    if (I > 0 && srrc_n > I + 2) {
      const auto [coef, r2] = srrc(srrc_x, srrc_y.col(static_cast<Eigen::Index>(a)));
      for (std::size_t i = 0; i < I; ++i) as.srrc.push_back({scenario.sweep.inputs[i].label(), coef[i]});
      std::stable_sort(as.srrc.begin(), as.srrc.end(),
                       [](const RankCoefficient& x, const RankCoefficient& y) { return std::fabs(x.srrc) > std::fabs(y.srrc); });
      as.srrc_r2 = r2;
    }
    point.actors.push_back(std::move(as));
  }

  // Tornado: each input at its p10 and p90 with the others at their medians.
  if (I > 0) {
    Kernel kernel(engine, 2 * I);
    std::vector<double> u(I, 0.5);
    for (std::size_t i = 0; i < I; ++i) {
      for (int side = 0; side < 2; ++side) {
        u[i] = side == 0 ? 0.1 : 0.9;
        kernel.add(2 * i + static_cast<std::size_t>(side), values_at(scenario, u));
      }
      u[i] = 0.5;
    }
    kernel.finish();
    std::vector<double> metrics(M);
    for (std::size_t a = 0; a < A; ++a) {
      for (std::size_t i = 0; i < I; ++i) {
        TornadoBar bar;
        bar.input = scenario.sweep.inputs[i].label();
        bar.value_p10 = scenario.sweep.inputs[i].sample(0.1);
        bar.value_p90 = scenario.sweep.inputs[i].sample(0.9);
        int binding = 0;
        kernel.outputs(2 * i, a, metrics.data(), &binding);
        bar.output_p10 = metrics[kSustained];
        kernel.outputs(2 * i + 1, a, metrics.data(), &binding);
        bar.output_p90 = metrics[kSustained];
        bar.swing = std::fabs(bar.output_p90 - bar.output_p10);
        point.actors[a].tornado.push_back(bar);
      }
      std::stable_sort(point.actors[a].tornado.begin(), point.actors[a].tornado.end(),
                       [](const TornadoBar& x, const TornadoBar& y) { return x.swing > y.swing; });
    }
  }
  if (result.references.empty()) result.references = engine.references();
  return point;
}

const char* target_name(Target t) {
  switch (t) {
    case Target::goodput: return "goodput";
    case Target::mfu: return "mfu";
    case Target::duration_s: return "duration_s";
    case Target::max_tokens: return "max_tokens";
    case Target::activation_memory_fraction: return "activation_memory_fraction";
    case Target::bytes_per_param: return "bytes_per_param";
    case Target::switch_w: return "switch_w";
    case Target::nic_transceiver_w: return "nic_transceiver_w";
    case Target::switch_transceiver_w: return "switch_transceiver_w";
    case Target::system_overhead: return "system_overhead";
    case Target::actor_budget_usd: return "budget_usd";
    case Target::site_power_w: return "site_power_w";
    case Target::site_pue: return "pue";
    case Target::inventory_count: return "inventory_count";
    case Target::inventory_mfu: return "mfu";
    case Target::inventory_price_usd: return "price_usd";
  }
  return "";
}

}  // namespace

std::string sweep_plan_json(const Scenario& scenario, const Catalog& catalog, std::uint64_t seed) {
  using json = nlohmann::ordered_json;
  const Engine engine(scenario, catalog, {});
  const Copula copula = make_copula(scenario);
  const model::ClusterBatch& b = engine.base();
  json columns = json::object();
#define CLUSTERCAP_EXPORT(name) \
  columns[#name] = std::vector<double>(b.name.data(), b.name.data() + b.name.size());
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_EXPORT)
#undef CLUSTERCAP_EXPORT
  for (auto& [key, value] : columns.items()) {
    for (auto& v : value) {
      if (v.is_number() && std::isinf(v.get<double>())) v = 1e308;  // JSON has no infinity
    }
  }
  json fabric = json::array();
  for (const auto& f : b.fabric) {
    fabric.push_back({{"switch_radix", f.switch_radix}, {"max_tiers", f.max_tiers}, {"planes", f.planes},
                      {"nic_transceiver_w", f.nic_transceiver_w}, {"switch_transceiver_w", f.switch_transceiver_w},
                      {"switch_ports_per_transceiver", f.switch_ports_per_transceiver},
                      {"switch_w", f.switch_w}, {"copper_first_tier", f.copper_first_tier}});
  }
  json candidates = json::array();
  for (const auto& c : engine.specs()) {
    candidates.push_back({{"actor", c.actor}, {"chip", c.chip->id}, {"lines", c.lines}});
  }
  json inputs = json::array();
  for (const auto& in : scenario.sweep.inputs) {
    const Distribution& d = in.dist;
    inputs.push_back({{"label", in.label()}, {"dist", to_string(d.kind)}, {"a", d.a}, {"b", d.b},
                      {"lo", std::isinf(d.lo) ? -1e308 : d.lo}, {"hi", std::isinf(d.hi) ? 1e308 : d.hi},
                      {"values", d.values}, {"cumulative", d.cumulative}, {"table", d.table},
                      {"clamp_lo", in.lo}, {"clamp_hi", in.hi}});
  }
  json bindings = json::array();
  for (const auto& bd : engine.bindings()) {
    bindings.push_back({{"target", target_name(bd.target)}, {"scale", bd.scale}, {"input", bd.input},
                        {"candidates", bd.cands}, {"actor", bd.actor}, {"line", bd.line}});
  }
  // Step-model MFU: each candidate's table (null when its MFU is an input).
  json tables = json::array();
  for (std::size_t c = 0; c < engine.candidates(); ++c) {
    const training::MfuTable* t = engine.mfu_table(c);
    if (t == nullptr) {
      tables.push_back(nullptr);
      continue;
    }
    std::vector<double> grid;
    for (std::size_t i = 0; i < t->chips_nodes().size(); ++i) {
      for (std::size_t j = 0; j < t->c1_nodes().size(); ++j) grid.push_back(t->node(i, j));
    }
    tables.push_back({{"chips", t->chips_nodes()}, {"c1_flop", t->c1_nodes()}, {"mfu", grid}});
  }
  json lower = json::array();
  for (Eigen::Index i = 0; i < copula.lower.rows(); ++i) {
    std::vector<double> row(static_cast<std::size_t>(copula.lower.cols()));
    for (Eigen::Index j = 0; j < copula.lower.cols(); ++j) row[static_cast<std::size_t>(j)] = copula.lower(i, j);
    lower.push_back(row);
  }
  json doc = {{"seed", seed},
              {"columns", columns},
              {"fabric", fabric},
              {"candidates", candidates},
              {"actor_candidates", engine.actor_candidates()},
              {"actor_names", [&] {
                 std::vector<std::string> n;
                 for (const auto& a : scenario.actors) n.push_back(a.name);
                 return n;
               }()},
              {"base_counts", engine.base_counts()},
              {"generic_tdp_w", engine.generic_tdp()},
              {"inputs", inputs},
              {"bindings", bindings},
              {"copula_inputs", copula.inputs},
              {"mfu_tables", tables},
              {"copula_lower", lower},
              {"references", engine.references()},
              {"reference_flops_per_goodput", engine.ref_per_goodput()}};
  return doc.dump() + "\n";
}

std::vector<std::string> metric_names(const std::vector<std::string>& references) {
  std::vector<std::string> names = {"chips", "facility_power_mw", "sustained_flops", "train_flop", "params"};
  for (const auto& r : references) names.push_back("ratio_vs_" + r);
  return names;
}

SweepResult run_sweep(const Scenario& scenario, const Catalog& catalog, const SweepOptions& options) {
  SweepResult result;
  result.scenario_name = scenario.name;
  result.scenario_file = scenario.file;
  result.seed = options.seed;
  result.threads = std::max(1, options.threads);
  for (const auto& in : scenario.sweep.inputs) result.inputs.push_back(in.label());
  // Grid keys must name something a sweep can set.
  std::vector<InputError> errors;
  for (const auto& axis : scenario.sweep.grid) {
    UncertainInput probe;
    probe.indexed_key = axis.key;
    for (const auto& in : scenario.sweep.inputs) {
      if (in.name == axis.key) probe.indexed_key = in.indexed_key;
    }
    if (!bind_target(probe)) {
      errors.push_back({scenario.file, axis.line, 1, "sweep.grid." + axis.key, "[...]",
                        std::string("names no key a sweep can set; use an indexed key such as "
                                    "\"actor[0].site[0].power_mw\" or a distribution's name; keys: ") +
                            supported_keys()});
    }
  }
  if (!errors.empty()) throw InputErrors(errors);

  // Cartesian product of the grid axes (a single empty point without a grid).
  std::vector<std::vector<std::pair<std::string, double>>> points = {{}};
  for (const auto& axis : scenario.sweep.grid) {
    std::vector<std::vector<std::pair<std::string, double>>> next;
    for (const auto& p : points) {
      for (double v : axis.values) {
        auto q = p;
        q.emplace_back(axis.key, v);
        next.push_back(q);
      }
    }
    points = next;
  }
  const std::uint64_t per_point = scenario.sweep.inputs.empty() ? 1 : std::max<std::uint64_t>(1, options.samples);
  result.samples = per_point;
  const std::uint64_t total = per_point * points.size();
  std::atomic<std::uint64_t> done{0};
  result.row_columns.push_back("sample");
  for (const auto& in : scenario.sweep.inputs) result.row_columns.push_back(in.label());
  {
    std::vector<std::string> refs;
    for (const auto& id : scenario.reference_ids) refs.push_back(id);
    for (const auto& a : scenario.actors) {
      for (const auto& m : metric_names(refs)) result.row_columns.push_back(a.name + ":" + m);
      result.row_columns.push_back(a.name + ":binding_constraint");
    }
  }
  for (std::size_t p = 0; p < points.size(); ++p) {
    GridPoint point = run_point(scenario, catalog, points[p], options, per_point, p == 0, result, done, total);
    if (result.interrupted) return result;
    result.points.push_back(std::move(point));
  }
  return result;
}

}  // namespace clustercap::sweep
