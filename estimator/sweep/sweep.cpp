#include "estimator/sweep/sweep.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include "estimator/scenario/copula.hpp"
#include "estimator/scenario/sweep_loader.hpp"
#include "estimator/sweep/engine.hpp"
#include "estimator/sweep/kernel.hpp"
#include "estimator/sweep/multi_site.hpp"
#include "estimator/sweep/ranks.hpp"
#include "estimator/sweep/sketch.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/parallel.hpp"

namespace clustercap::sweep {
namespace {

static_assert(sizeof(Moments) == 3 * sizeof(double), "Moments move between ranks as doubles");

// Ranks (1..n, ties averaged) of a column.
Eigen::VectorXd ranks(const Eigen::VectorXd& x) {
  const auto n = x.size();
  // Values sorted with their indices beside them (no indirection in the
  // comparisons); ties all get their average rank, so their order within
  // the sort does not matter and an unstable sort gives the same ranks.
  std::vector<std::pair<double, Eigen::Index>> order(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = {x[i], i};
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Eigen::VectorXd r(n);
  for (Eigen::Index i = 0; i < n;) {
    Eigen::Index j = i;
    while (j + 1 < n &&
           order[static_cast<std::size_t>(j + 1)].first == order[static_cast<std::size_t>(i)].first)
      ++j;
    const double avg = 0.5 * static_cast<double>(i + j) + 1.0;
    for (Eigen::Index k = i; k <= j; ++k) r[order[static_cast<std::size_t>(k)].second] = avg;
    i = j + 1;
  }
  return r;
}

Eigen::VectorXd standardised(const Eigen::VectorXd& v) {
  const double mean = v.mean();
  const double sd =
      std::sqrt((v.array() - mean).square().sum() / static_cast<double>(v.size() - 1));
  if (!(sd > 0)) return Eigen::VectorXd::Zero(v.size());
  return (v.array() - mean) / sd;
}

// The inputs' standardised ranks and their QR decomposition: the same for
// every actor's regression, and for every grid point that draws the same
// input values (a grid axis leaves the other inputs' draws unchanged), so
// kept from one point to the next while the values are the same bit for bit.
struct RankDesign {
  Eigen::MatrixXd x;  // the values it was built from
  Eigen::MatrixXd xr;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr;
  RankDesign(const Eigen::MatrixXd& values, int threads)
      : x(values), xr(values.rows(), values.cols()) {
    parallel_for(values.cols(), threads, [&](std::int64_t j) {
      xr.col(static_cast<Eigen::Index>(j)) =
          standardised(ranks(values.col(static_cast<Eigen::Index>(j))));
    });
    qr.compute(xr);
  }
  bool built_from(const Eigen::MatrixXd& values) const {
    return values.rows() == x.rows() && values.cols() == x.cols() &&
           std::memcmp(values.data(), x.data(),
                       static_cast<std::size_t>(x.size()) * sizeof(double)) == 0;
  }
};

// Standardised rank-regression coefficients of y on the design's columns.
std::pair<std::vector<double>, double> srrc(const RankDesign& design, const Eigen::VectorXd& y) {
  const Eigen::MatrixXd& xr = design.xr;
  const auto n = xr.rows();
  const auto k = xr.cols();
  std::vector<double> coef(static_cast<std::size_t>(k), 0.0);
  if (n < k + 2) return {coef, 0.0};
  const Eigen::VectorXd yr = standardised(ranks(y));
  if (yr.isZero()) return {coef, 0.0};
  const Eigen::VectorXd beta = design.qr.solve(yr);
  const Eigen::VectorXd fit = xr * beta;
  const double r2 = 1.0 - (yr - fit).squaredNorm() / yr.squaredNorm();
  for (Eigen::Index j = 0; j < k; ++j) coef[static_cast<std::size_t>(j)] = beta[j];
  return {coef, r2};
}

// Blocks are processed, and their moments gathered onto rank 0, this many at
// a time (run_point).
constexpr std::uint64_t kChunkBlocks = 1024;

// The blocks of the chunk [begin, end) this rank takes: all of them in one
// process.
Share chunk_share(Ranks* ranks, std::uint64_t begin, std::uint64_t end) {
  if (ranks == nullptr) return {begin, end};
  const Share s = share_of(end - begin, ranks->rank(), ranks->size());
  return {begin + s.begin, begin + s.end};
}

// Rank 0 gets what every rank's blocks counted and kept (ranks.hpp): each
// thread's counts and sketches are folded into the first thread's, summed
// and merged over ranks (exact in any order); the kept samples' rows arrive
// at their sample index.
void gather_over_ranks(Ranks& ranks, std::uint64_t blocks, std::uint64_t block,
                       std::vector<std::vector<QuantileSketch>>& sketches,
                       std::vector<std::vector<std::uint64_t>>& bindings,
                       std::vector<std::vector<std::uint64_t>>& exceeds, Eigen::MatrixXd& srrc_x,
                       Eigen::MatrixXd& srrc_y, std::vector<std::vector<double>>& rows) {
  for (std::size_t t = 1; t < sketches.size(); ++t) {
    for (std::size_t k = 0; k < sketches[0].size(); ++k) {
      sketches[0][k].merge(sketches[t][k]);
      sketches[t][k] = QuantileSketch();
    }
    for (std::size_t i = 0; i < bindings[0].size(); ++i) bindings[0][i] += bindings[t][i];
    for (std::size_t i = 0; i < exceeds[0].size(); ++i) exceeds[0][i] += exceeds[t][i];
    std::fill(bindings[t].begin(), bindings[t].end(), 0);
    std::fill(exceeds[t].begin(), exceeds[t].end(), 0);
  }
  ranks.sum(bindings[0].data(), bindings[0].size());
  ranks.sum(exceeds[0].data(), exceeds[0].size());
  std::vector<std::uint64_t> words;
  for (const auto& sketch : sketches[0]) sketch.append_words(words);
  const auto all = ranks.gather_words(words);
  for (std::size_t r = 1; r < all.size(); ++r) {
    std::size_t at = 0;
    for (auto& sketch : sketches[0]) sketch.merge(QuantileSketch::from_words(all[r], at));
  }
  // Samples [0, limit) of `data` (`width` words each) onto rank 0, a chunk
  // at a time: in each chunk rank r holds its share of the chunk's blocks.
  const auto gather_samples = [&](double* data, std::uint64_t limit, std::size_t width) {
    for (std::uint64_t chunk = 0; chunk * block < limit; chunk += kChunkBlocks) {
      const std::uint64_t used = std::min(blocks, chunk + kChunkBlocks) - chunk;
      const std::uint64_t first = chunk * block;
      ranks.gather(data + first * width,
                   share_offsets(used, ranks.size(), block, 0,
                                 std::min(limit - first, used * block), width));
    }
  };
  const auto srrc_rows = static_cast<std::uint64_t>(srrc_x.rows());
  for (Eigen::Index j = 0; j < srrc_x.cols(); ++j)
    gather_samples(srrc_x.col(j).data(), srrc_rows, 1);
  for (Eigen::Index j = 0; j < srrc_y.cols(); ++j)
    gather_samples(srrc_y.col(j).data(), srrc_rows, 1);
  if (!rows.empty()) {
    const std::size_t width = rows[0].size();
    std::vector<double> flat(rows.size() * width);
    for (std::size_t i = 0; i < rows.size(); ++i)
      std::copy(rows[i].begin(), rows[i].end(),
                flat.begin() + static_cast<std::ptrdiff_t>(i * width));
    gather_samples(flat.data(), rows.size(), width);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::copy(flat.begin() + static_cast<std::ptrdiff_t>(i * width),
                flat.begin() + static_cast<std::ptrdiff_t>((i + 1) * width), rows[i].begin());
    }
  }
}

GridPoint run_point(const Scenario& scenario, const Catalog& catalog,
                    const std::vector<std::pair<std::string, double>>& settings,
                    const SweepOptions& options, std::uint64_t samples, bool keep,
                    SweepResult& result, std::atomic<std::uint64_t>& done, std::uint64_t total,
                    std::optional<RankDesign>& design) {
  // Built on every rank; one failing alone must not leave the others waiting.
  std::optional<Engine> built;
  agreed_step(options.ranks, [&] { built.emplace(scenario, catalog, settings, options.threads); });
  const Engine& engine = *built;
  // Actors with WAN links: each sample through `estimate` (multi_site.hpp).
  const MultiSiteSampler multi_site(scenario, catalog, settings);
  const Copula copula = make_copula(scenario);
  const std::size_t A = engine.actors();
  const std::size_t R = engine.references().size();
  const std::size_t M = kBaseMetrics + R;
  const std::size_t I = scenario.sweep.inputs.size();
  // Whole packs of eight samples per block.
  const std::uint64_t block = (std::max<std::uint64_t>(1, options.block) + model::kLanes - 1) /
                              model::kLanes * model::kLanes;
  const std::uint64_t blocks = (samples + block - 1) / block;
  const std::uint64_t srrc_n = std::min(samples, options.srrc_samples);
  const int ranks = options.ranks != nullptr ? options.ranks->size() : 1;
  // Ratios to a reference that is the same in every sample are summarised
  // from the sustained FLOP/s (one division each) instead of counted apart.
  std::vector<char> derived(A * M, 0);
  std::vector<double> divisor(A * M, 0.0);
  for (std::size_t a = 0; a < A; ++a) {
    const std::optional<double> goodput = engine.fixed_goodput(a);
    for (std::size_t r = 0; goodput && r < R; ++r) {
      derived[a * M + kBaseMetrics + r] = 1;
      divisor[a * M + kBaseMetrics + r] = engine.ref_per_goodput()[r] * *goodput;
    }
  }

  // Moments are merged in block order; blocks are processed a chunk at a
  // time so the per-block partials take fixed memory whatever the sample count.
  // Under MPI each chunk's blocks are shared out over the ranks (a share of
  // the whole run would leave every rank but one waiting at each chunk's
  // gather).
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
  std::vector<std::vector<std::uint64_t>> bindings(
      static_cast<std::size_t>(threads), std::vector<std::uint64_t>(A * model::kLimitCount, 0));
  std::vector<std::vector<std::uint64_t>> exceeds(static_cast<std::size_t>(threads),
                                                  std::vector<std::uint64_t>(A * R, 0));
  RegionFailure failure;

#pragma omp parallel num_threads(threads)
  {
    const auto t = static_cast<std::size_t>(thread_index());
    Kernel kernel(engine);
    std::vector<model::Pack> values(I);
    std::vector<double> block_values(A * M * block);  // [actor, metric][sample]
    std::vector<double> block_bindings(A * block);    // [actor][sample]
    for (std::uint64_t chunk = 0; chunk < blocks; chunk += kChunkBlocks) {
      const auto chunk_end = static_cast<std::int64_t>(std::min(blocks, chunk + kChunkBlocks));
      const Share mine = chunk_share(options.ranks, chunk, static_cast<std::uint64_t>(chunk_end));
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t b = static_cast<std::int64_t>(chunk); b < chunk_end; ++b) {
        if (options.cancel != nullptr && options.cancel->load()) continue;
        if (!mine.holds(static_cast<std::uint64_t>(b))) continue;
        failure.run([&] {
          const std::uint64_t first = static_cast<std::uint64_t>(b) * block;
          const std::uint64_t n = std::min(block, samples - first);
          // Eight samples at a time; lanes past the last sample are computed
          // and dropped, so every sample takes the same path at any count.
          for (std::uint64_t s = 0; s < n; s += model::kLanes) {
            kernel.draw(scenario, copula, options.seed, first + s, values);
            kernel.evaluate(values, block_values.data(), block_bindings.data(), block, s);
            if (multi_site.active()) {
              multi_site.evaluate(
                  values, static_cast<std::size_t>(std::min<std::uint64_t>(model::kLanes, n - s)),
                  block_values.data(), block_bindings.data(), block, s);
            }
            for (std::uint64_t l = 0; l < model::kLanes && s + l < n; ++l) {
              const std::uint64_t sample = first + s + l;
              const auto lane = static_cast<int>(l);
              if (sample < srrc_n) {
                for (std::size_t i = 0; i < I; ++i) {
                  srrc_x(static_cast<Eigen::Index>(sample), static_cast<Eigen::Index>(i)) =
                      values[i][lane];
                }
              }
              if (sample < kept) {
                auto& row = result.rows[sample];
                row[0] = static_cast<double>(sample);
                for (std::size_t i = 0; i < I; ++i) row[1 + i] = values[i][lane];
              }
            }
          }
          kernel.summarise(
              {block_values.data(), block_bindings.data(), block, n, derived.data(),
               bindings[t].data(), exceeds[t].data(), sketches[t].data(),
               &block_moments[static_cast<std::size_t>(b - static_cast<std::int64_t>(chunk)) * A *
                              M]});
          for (std::uint64_t s = 0; s < n && first + s < std::max(srrc_n, kept); ++s) {
            for (std::size_t a = 0; a < A; ++a) {
              if (first + s < srrc_n) {
                srrc_y(static_cast<Eigen::Index>(first + s), static_cast<Eigen::Index>(a)) =
                    block_values[(a * M + kSustained) * block + s];
              }
              if (first + s < kept) {
                auto& row = result.rows[first + s];
                const std::size_t base = 1 + I + a * (M + 1);
                for (std::size_t m = 0; m < M; ++m)
                  row[base + m] = block_values[(a * M + m) * block + s];
                row[base + M] = block_bindings[a * block + s];
              }
            }
          }
          const std::uint64_t now = done.fetch_add(n) + n;
          if (t == 0 && options.progress) options.progress(now, total);
        });
      }
#pragma omp single
      {
        const std::uint64_t used = static_cast<std::uint64_t>(chunk_end) - chunk;
        // Every rank's blocks onto rank 0, to merge in block order.
        if (options.ranks != nullptr) {
          options.ranks->gather(block_moments.empty() ? nullptr : &block_moments[0].n,
                                share_offsets(used, ranks, 1, 0, used, A * M * 3));
        }
        for (std::uint64_t b = 0; b < used; ++b) {
          for (std::size_t k = 0; k < A * M; ++k) totals[k].merge(block_moments[b * A * M + k]);
        }
        std::fill(block_moments.begin(), block_moments.end(), Moments{});
      }
    }
  }
  agreed_step(options.ranks, [&] { failure.rethrow(); });
  if (options.cancel != nullptr && options.cancel->load()) {
    result.interrupted = true;
    return {};
  }
  if (options.ranks != nullptr) {
    std::vector<std::vector<double>> none;
    gather_over_ranks(*options.ranks, blocks, block, sketches, bindings, exceeds, srrc_x, srrc_y,
                      kept > 0 ? result.rows : none);
  }

  GridPoint point;
  point.settings = settings;
  const auto names = metric_names(engine.references());
  for (std::size_t a = 0; a < A; ++a) {
    ActorSweep as;
    as.name = scenario.actors[a].name;
    for (std::size_t m = 0; m < M; ++m) {
      const std::size_t k = a * M + m;
      const std::size_t from = derived[k] != 0 ? a * M + kSustained : k;
      const Moments& total_m = totals[from];
      QuantileSketch merged;
      for (const auto& per_thread : sketches) merged.merge(per_thread[from]);
      MetricSummary ms;
      ms.name = names[m];
      ms.mean = total_m.mean;
      ms.sd = total_m.n > 1 ? std::sqrt(std::max(0.0, total_m.m2 / (total_m.n - 1))) : 0.0;
      ms.min = merged.min();
      ms.max = merged.max();
      for (std::size_t q = 0; q < kQuantiles.size(); ++q)
        ms.quantiles[q] = merged.quantile(kQuantiles[q]);
      if (derived[k] != 0) {
        // The kernel's ratio, sustained / reference, applied to each statistic.
        const double ref = divisor[k];
        auto scale = [ref](double& x) { x = ref > 0 ? x / ref : 0.0; };
        scale(ms.mean);
        scale(ms.sd);
        scale(ms.min);
        scale(ms.max);
        for (double& q : ms.quantiles) scale(q);
      }
      as.metrics.push_back(ms);
    }
    for (std::size_t k = 0; k < model::kLimitCount; ++k) {
      std::uint64_t count = 0;
      for (const auto& per_thread : bindings) count += per_thread[a * model::kLimitCount + k];
      as.binding_share[k] = static_cast<double>(count) / static_cast<double>(samples);
      if (count == 0) continue;
      // The settings the file left out that this limit depends on, for any
      // of the actor's candidates (each setting and value once).
      SweepBindingDefaults bd{static_cast<model::Constraint>(k), as.binding_share[k], {}};
      for (int c : engine.actor_candidates()[a]) {
        for (const auto& d :
             limit_defaults(engine.specs()[static_cast<std::size_t>(c)], scenario, bd.limit)) {
          const bool seen = std::any_of(bd.defaults.begin(), bd.defaults.end(), [&](const auto& e) {
            return e.key == d.key && e.catalog_id == d.catalog_id;
          });
          if (!seen) bd.defaults.push_back(d);
        }
      }
      if (!bd.defaults.empty()) as.binding_defaults.push_back(std::move(bd));
    }
    for (std::size_t r = 0; r < R; ++r) {
      std::uint64_t count = 0;
      for (const auto& per_thread : exceeds) count += per_thread[a * R + r];
      as.p_exceeds.emplace_back(engine.references()[r],
                                static_cast<double>(count) / static_cast<double>(samples));
    }
    if (I > 0 && srrc_n > I + 2) {
      if (!design || !design->built_from(srrc_x)) design.emplace(srrc_x, options.threads);
      const auto [coef, r2] = srrc(*design, srrc_y.col(static_cast<Eigen::Index>(a)));
      for (std::size_t i = 0; i < I; ++i)
        as.srrc.push_back({scenario.sweep.inputs[i].label(), coef[i]});
      std::stable_sort(as.srrc.begin(), as.srrc.end(),
                       [](const RankCoefficient& x, const RankCoefficient& y) {
                         return std::fabs(x.srrc) > std::fabs(y.srrc);
                       });
      as.srrc_r2 = r2;
    }
    point.actors.push_back(std::move(as));
  }

  // Tornado: each input at its p10 and p90 with the others at their medians.
  if (I > 0) {
    Kernel kernel(engine);
    const std::size_t runs = 2 * I;
    const std::size_t width = (runs + model::kLanes - 1) / model::kLanes * model::kLanes;
    std::vector<double> outputs(A * M * width), binding(A * width);
    std::vector<model::Pack> values(I);
    const std::vector<double> medians = engine.median_values();
    for (std::size_t s = 0; s < width; s += model::kLanes) {
      for (std::size_t i = 0; i < I; ++i) values[i] = model::splat<model::Pack>(medians[i]);
      for (std::size_t l = 0; l < model::kLanes && s + l < runs; ++l) {
        const std::size_t i = (s + l) / 2;
        values[i][static_cast<int>(l)] =
            scenario.sweep.inputs[i].sample((s + l) % 2 == 0 ? 0.1 : 0.9);
      }
      kernel.evaluate(values, outputs.data(), binding.data(), width, s);
      multi_site.evaluate(values, std::min<std::size_t>(model::kLanes, runs - s), outputs.data(),
                          binding.data(), width, s);
    }
    for (std::size_t a = 0; a < A; ++a) {
      for (std::size_t i = 0; i < I; ++i) {
        if (scenario.sweep.inputs[i].fixed()) continue;  // a point estimate has no p10-p90
        TornadoBar bar;
        bar.input = scenario.sweep.inputs[i].label();
        bar.value_p10 = scenario.sweep.inputs[i].sample(0.1);
        bar.value_p90 = scenario.sweep.inputs[i].sample(0.9);
        bar.output_p10 = outputs[(a * M + kSustained) * width + 2 * i];
        bar.output_p90 = outputs[(a * M + kSustained) * width + 2 * i + 1];
        bar.swing = std::fabs(bar.output_p90 - bar.output_p10);
        point.actors[a].tornado.push_back(bar);
      }
      std::stable_sort(point.actors[a].tornado.begin(), point.actors[a].tornado.end(),
                       [](const TornadoBar& x, const TornadoBar& y) { return x.swing > y.swing; });
    }
  }
  // The sample with every input at its median, through the same kernel:
  // which cluster the distribution is centred on, and its MFU's basis.
  {
    Kernel kernel(engine);
    std::vector<model::Pack> values(I);
    const std::vector<double> medians = engine.median_values();
    for (std::size_t i = 0; i < I; ++i) values[i] = model::splat<model::Pack>(medians[i]);
    constexpr auto width = static_cast<std::size_t>(model::kLanes);
    std::vector<double> outputs(A * M * width), binding(A * width);
    kernel.evaluate(values, outputs.data(), binding.data(), width, 0);
    const auto metric = [&](std::size_t a, const char* name) {
      return outputs[(a * M + swept_metric_index(name)) * width];
    };
    for (std::size_t a = 0; a < A; ++a) {
      const int winner = kernel.winner(a, 0);
      if (winner < 0) continue;
      const CandidateSpec& spec = engine.specs()[static_cast<std::size_t>(winner)];
      MedianCluster mc;
      mc.chip_id = spec.chip->id;
      mc.system_id = spec.system != nullptr ? spec.system->id : "";
      mc.system_label = system_label(spec.system, scenario.generic_server);
      mc.site = spec.site->name;
      mc.chips = metric(a, "chips");
      mc.binding = static_cast<model::Constraint>(binding[a * width]);
      mc.sustained_flops = metric(a, "sustained_flops");
      mc.train_flop = metric(a, "train_flop");
      mc.mfu = kernel.winner_mfu(a, 0);
      mc.mfu_basis = engine.median_mfu_basis(static_cast<std::size_t>(winner), mc.chips);
      point.actors[a].at_medians = std::move(mc);
    }
    multi_site.at_values(medians, point);
  }
  if (result.references.empty()) result.references = engine.references();
  return point;
}

}  // namespace

std::vector<std::string> metric_names(const std::vector<std::string>& references) {
  std::vector<std::string> names;
  for (const Metric& m : kMetrics) {
    if (m.swept) names.emplace_back(m.name);
  }
  for (const auto& r : references) names.push_back("ratio_vs_" + r);
  return names;
}

std::vector<OptionProblem> SweepOptions::problems() const {
  std::vector<OptionProblem> found;
  auto check = [&](const char* option, std::uint64_t value, std::uint64_t lo, std::uint64_t hi) {
    if (value >= lo && value <= hi) return;
    found.push_back({option, std::to_string(value),
                     "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]"});
  };
  check("samples", samples, 1, kMaxSamples);
  if (threads < 1 || threads > kMaxThreads) {
    found.push_back({"threads", std::to_string(threads),
                     "must be in [1, " + std::to_string(kMaxThreads) + "]"});
  }
  check("block", block, 1, kMaxBlock);
  check("keep_rows", keep_rows, 0, kMaxKeptRows);
  check("srrc_samples", srrc_samples, 0, kMaxSrrcSamples);
  check("max_points", max_points, 1, std::numeric_limits<std::uint64_t>::max());
  return found;
}

std::uint64_t grid_point_count(const Scenario& scenario) {
  std::uint64_t count = 1;
  for (const auto& axis : scenario.sweep.grid) {
    const std::uint64_t n = axis.values.size();
    if (n != 0 && count > std::numeric_limits<std::uint64_t>::max() / n) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    count *= n;
  }
  return count;
}

SweepResult run_sweep(const Scenario& scenario, const Catalog& catalog,
                      const SweepOptions& options) {
  if (const auto problems = options.problems(); !problems.empty()) {
    std::vector<InputError> errors;
    for (const auto& p : problems)
      errors.push_back({"sweep options", 0, 0, p.option, p.value, p.rule});
    throw InputErrors(errors);
  }
  // A grid costs a full sweep per point: refuse a runaway one before
  // building it (10^6 points ran ~18 h holding 1 GB).
  if (const std::uint64_t count = grid_point_count(scenario); count > options.max_points) {
    const std::string n = count == std::numeric_limits<std::uint64_t>::max()
                              ? "more than 2^64-1"
                              : std::to_string(count);
    throw InputErrors(
        {{scenario.file, scenario.sweep.grid_line, scenario.sweep.grid_column, "sweep.grid", "",
          "has " + n + " points, more than the cap of " + std::to_string(options.max_points) +
              "; use fewer values or raise the cap with --max-points " +
              (count == std::numeric_limits<std::uint64_t>::max() ? std::string("N") : n) +
              " (SweepOptions::max_points)"}});
  }
  SweepResult result;
  result.scenario_name = scenario.name;
  result.scenario_file = scenario.file;
  result.seed = options.seed;
  result.threads = std::max(1, options.threads);
  for (const auto& in : scenario.sweep.inputs) {
    result.inputs.push_back(in.label());
    if (in.fixed()) ++result.fixed_inputs;
  }
  // The loader's checks of distributions, correlations and grid axes, so a
  // scenario built in code (not loaded) is held to the same rules.
  {
    Scenario checked = scenario;
    Diagnostics diagnostics;
    check_uncertain_inputs(checked, catalog, diagnostics);
    diagnostics.throw_if_any();
  }

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
  const std::uint64_t per_point =
      scenario.sweep.inputs.empty() ? 1 : std::max<std::uint64_t>(1, options.samples);
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
  std::optional<RankDesign> design;  // the last point's, reused while its inputs' values repeat
  for (std::size_t p = 0; p < points.size(); ++p) {
    GridPoint point = run_point(scenario, catalog, points[p], options, per_point, p == 0, result,
                                done, total, design);
    if (result.interrupted) return result;
    result.points.push_back(std::move(point));
    if (options.progress) options.progress(done.load(), total);
  }
  return result;
}

}  // namespace clustercap::sweep
