#include "estimator/training/mfu_fixed_point.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

#include "estimator/model/cluster_batch.hpp"
#include "estimator/training/fitted_constants.hpp"
#include "estimator/training/mfu_lookup.hpp"
#include "estimator/training/search_cache.hpp"
#include "hardware/common/parallel.hpp"

namespace clustercap::training {
namespace {

// Shape of published dense models (Llama 3 paper, arXiv 2407.21783, Table 3;
// GPT-3, arXiv 2005.14165, Table 2.1): 8B 32 x 4,096, 70B 80 x 8,192, 405B
// 126 x 16,384, 175B 96 x 12,288, i.e. hidden / layers = 102-130. The rule
// hidden = 128 x layers returns 32 x 4,096 for 8B and 128 x 15,360 for 405B.
constexpr double kHiddenPerLayer = 128.0;
constexpr double kHeadDim = 128.0;  // all four models
// Heads a multiple of 8 so that TP 8 (one HGX board) divides them; every
// model above has 32-128 heads.
constexpr int kHeadsMultiple = 8;
// Llama 3 8B and 70B: SwiGLU FFN 14,336 / 4,096 = 28,672 / 8,192 = 3.5;
// 405B: 53,248 / 16,384 = 3.25; Llama 2 7B 11,008 / 4,096 = 2.69 (the 8/3
// of a SwiGLU matching a 4x MLP); GPT-3's ungated 4. Widths are multiples of
// 256 in all three Llama 3 models.
constexpr double kFfnPerHidden = 3.5;
constexpr double kMinFfnPerHidden = 8.0 / 3.0;
constexpr double kMaxFfnPerHidden = 4.0;
constexpr double kFfnGrain = 256.0;
constexpr int kKvHeads = 8;          // Llama 3 GQA, all sizes
constexpr double kVocab = 128256.0;  // Llama 3 tokenizer
constexpr double kSeqLen = 8192.0;   // Llama 3 pre-training context
// Global batch in tokens: 60M at 405B params, growing as params^0.36.
//  - 60M is the median of the fixed batch in Epoch's 2030 report
//    (docs/methodology.md R1, parameter table: 16M / 60M / 360M at the 10th / 50th / 90th pct),
//    GPT-4's reported ~60M and DeepSeek-V3's 63M (15,360 x 4,096). At the
//    compute-optimal budget of 405B params (120 N^2 = 2e25 FLOP) DeepSeek
//    LLM's fitted optimum 0.292 C^0.3271 (arXiv 2401.02954, section 3.1)
//    gives 55M, so two independent sources agree there.
//  - Llama 3 405B ended pre-training at 16M (2,048 x 8,192, arXiv
//    2407.21783 section 3.4.1), Epoch's 10th percentile: Meta chose a batch
//    below the optimum, and we do not anchor on it.
//  - The exponent 0.36 (0.31-0.41) is Epoch's, after Erdil & Schneider-Joseph
//    (docs/methodology.md R2): critical batch ~ 1 / reducible loss ~ params^0.36
//    (docs/methodology.md §1.1 and §2.6). DeepSeek's fit grows faster
//    (params^0.65 at 20 tokens per param); we keep the slower rule.
//  - Clamped to [2^20, 2^28] tokens: GPT-3's smallest models used 0.5-1M;
//    268M stays inside Epoch's 90th percentile of 360M.
constexpr double kAnchorParams = 405e9;
constexpr double kAnchorBatchTokens = 60e6;
constexpr double kBatchExponent = 0.36;
constexpr double kMinBatchTokens = 1048576.0;    // 2^20
constexpr double kMaxBatchTokens = 268435456.0;  // 2^28
// Compute-optimal sizing, as the outcome model sizes: C = 6 N D, D = 20 N.
using model::kTokensPerParam;
constexpr double kFlopPerParamSquared = model::kFlopPerParamToken * model::kTokensPerParam;
// Largest odd factor of the modelled chip count: with 15, m x 2^k comes in
// steps of at most 9/8, so the nearest is within 6.1%.
constexpr int kMaxOddFactor = 15;
// Keeps N > 0 whatever the search returns.
constexpr double kMinMfu = 1e-3;

double layer_params(double hidden, double ffn) {
  const double kv = kKvHeads * kHeadDim;
  // q and o: h^2 each; k and v: h x kv each; gated MLP: 3 h f.
  return 2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * ffn;
}

// Depth: the count of the form 2^a or 3 x 2^a (..., 64, 96, 128, 192, ...)
// nearest in log to hidden = 128 x layers at ~12.5 hidden^2 params per
// layer. Pipelines of 2-16 and more stages then split it evenly, with whole
// layers per interleaved chunk; the step model runs at the pace of the
// fullest stage, so a count like 136 would make MFU jump from one size to
// the next by 0.1. Designers pick depths that suit their pipelines (GPT-3
// 96, Llama 3 8B 32; Llama 3 405B's 126 needed its first and last stages
// trimmed by one layer each, paper section 3.3.2).
int pipeline_friendly_layers(double params) {
  const double target =
      std::cbrt(params / ((2 + 3 * kFfnPerHidden) * kHiddenPerLayer * kHiddenPerLayer));
  int best = 2;
  for (int base = 2; base <= (1 << 20); base *= 2) {
    for (int option : {base, 3 * base / 2}) {
      if (std::fabs(std::log(option / target)) < std::fabs(std::log(best / target))) best = option;
    }
  }
  return best;
}

}  // namespace

Workload compute_optimal_shape(double params, int batch_unit_sequences) {
  Workload w;
  const double unit = std::max(1, batch_unit_sequences);
  w.layers = pipeline_friendly_layers(params);
  const double layers = w.layers;
  // Hidden from params = layers (12.5 h^2 + 2 kv h) + 2 V h at FFN 3.5 h,
  // in whole groups of 8 heads; the FFN width (8/3-4 x hidden) takes up the
  // rest of the size.
  const double a = layers * (2 + 3 * kFfnPerHidden);
  const double b = layers * 2 * kKvHeads * kHeadDim + 2 * kVocab;
  const double hidden = (-b + std::sqrt(b * b + 4 * a * params)) / (2 * a);
  // Of the two head-group counts around it, the one whose FFN comes out
  // nearest 3.5 x hidden (at 4,096 a group is a quarter of the width, too
  // coarse to round blindly).
  auto ffn_for = [&](double h) {
    return ((params - 2 * kVocab * h) / layers - layer_params(h, 0.0)) / (3 * h);
  };
  const double groups = hidden / kHeadDim / kHeadsMultiple;
  int head_groups = std::max(1, static_cast<int>(std::floor(groups)));
  const int above = std::max(1, static_cast<int>(std::ceil(groups)));
  const double width_below = head_groups * kHeadsMultiple * kHeadDim,
               width_above = above * kHeadsMultiple * kHeadDim;
  if (std::fabs(ffn_for(width_above) / width_above - kFfnPerHidden) <
      std::fabs(ffn_for(width_below) / width_below - kFfnPerHidden)) {
    head_groups = above;
  }
  w.heads = head_groups * kHeadsMultiple;
  w.kv_heads = kKvHeads;
  w.hidden = w.heads * kHeadDim;
  w.gated_mlp = true;
  w.dropout = false;  // Llama 3 trains without dropout (no masks among the activations)
  const double ffn = ffn_for(w.hidden);
  w.ffn = kFfnGrain *
          std::round(std::clamp(ffn, kMinFfnPerHidden * w.hidden, kMaxFfnPerHidden * w.hidden) /
                     kFfnGrain);
  w.tied_embeddings = false;  // Llama 3 keeps input and output embeddings apart
  w.params = w.layers * layer_params(w.hidden, w.ffn) + 2 * kVocab * w.hidden;
  w.active_params = w.params;
  w.seq_len = kSeqLen;
  w.vocab = kVocab;
  w.tokens = kTokensPerParam * params;

  const double target_tokens =
      std::clamp(kAnchorBatchTokens * std::pow(params / kAnchorParams, kBatchExponent),
                 kMinBatchTokens, kMaxBatchTokens);
  // A power of two times the unit, nearest in log: layouts need DP x
  // microbatch to divide the batch, and other factors (2,304 = 9 x 256)
  // leave the search few layouts and make MFU jump between similar sizes.
  const double sequences =
      unit * std::exp2(std::max(0.0, std::round(std::log2(target_tokens / kSeqLen / unit))));
  w.global_batch_tokens = sequences * kSeqLen;
  w.name =
      "dense " + std::to_string(w.layers) + " x " + std::to_string(static_cast<long>(w.hidden));
  return w;
}

int modelled_chips(double chips) {
  if (!(chips >= 1)) return 0;
  const double capped = std::min(chips, 1.0737e9);  // stays within int
  double best = 1;
  for (int m = 1; m <= kMaxOddFactor; m += 2) {
    // m x 2^k on either side of `capped`.
    const double k = std::floor(std::log2(capped / m));
    for (double e : {k, k + 1}) {
      if (e < 0) continue;
      const double candidate = m * std::exp2(e);
      if (std::fabs(std::log(candidate / capped)) < std::fabs(std::log(best / capped)))
        best = candidate;
    }
  }
  return static_cast<int>(best);
}

MfuPrediction predicted_mfu(const Machine& machine, double chips, double c1_flop,
                            const FixedPointOptions& options) {
  MfuPrediction p;
  if (!(machine.peak_flops > 0)) {
    p.why_not = NoPrediction::no_peak;
    return p;
  }
  if (!(machine.hbm_bytes > 0) || !(machine.hbm_bytes_per_s > 0)) {
    p.why_not = NoPrediction::no_memory_figures;
    return p;
  }
  if (!(chips >= 1) || !(c1_flop > 0)) {
    p.why_not = NoPrediction::no_chips;
    return p;
  }
  Machine m = machine;
  m.chips = modelled_chips(chips);
  p.modelled_chips = m.chips;
  int odd = m.chips;
  while (odd % 2 == 0) odd /= 2;

  double mfu = std::clamp(options.initial_mfu, kMinMfu, 1.0);
  // A bracket [rising, falling]: the MFU given back is above the input at
  // `rising` and below it at `falling`, so a fixed point (or a step across
  // the diagonal) lies between. MFU stays inside (0, 1), which brackets it
  // from the start; `found_*` say whether an evaluation set each end.
  double rising = kMinMfu, falling = 1.0;
  bool found_rising = false, found_falling = false;
  double previous_mfu = 0, previous_residual = 0, width = falling - rising;
  // The evaluation at `rising` (a model that gives back more MFU than it was
  // sized for) and the MFU given back at `falling`: on a step, the plan.
  MfuPrediction at_rising;
  double falling_out = 0;
  for (int it = 1; it <= options.max_iterations; ++it) {
    const double params =
        std::min(std::sqrt(mfu * c1_flop / kFlopPerParamSquared), options.params_cap);
    const Workload w = compute_optimal_shape(params, odd);
    // Only the fastest layout matters here: branch and bound finds it with
    // a fraction of the evaluations, and the memo answers shapes already
    // searched (this node's earlier iterations, other nodes, grid points
    // and months with the same machine).
    SearchOptions search;
    search.keep = 1;
    search.bound = true;
    const SearchResult found = cached_search_layouts(w, m, search);
    p.iterations = it;
    if (found.best.empty()) {
      p = MfuPrediction{};
      p.modelled_chips = m.chips;
      p.iterations = it;
      p.params = params;
      p.shape = w;
      p.why_not =
          found.evaluated == 0 ? NoPrediction::no_layout_divides : NoPrediction::no_layout_fits;
      p.min_memory_bytes = found.min_memory_bytes;
      p.hbm_bytes = m.hbm_bytes;
      return p;
    }
    const double out = found.best.front().second.mfu;
    p.predicted = true;
    p.mfu = out;
    p.params = params;
    p.shape = w;
    p.layout = found.best.front().first;
    p.residual = std::fabs(out - mfu);
    // At the cap the model no longer depends on MFU: if the MFU it gives
    // keeps it there, that MFU is the fixed point.
    const bool capped =
        params >= options.params_cap && std::sqrt(out * c1_flop / kFlopPerParamSquared) >= params;
    if (capped) p.residual = 0;
    if (p.residual < options.tolerance) {
      p.converged = true;
      return p;
    }
    const double residual = out - mfu;
    if (residual > 0) {
      rising = mfu;
      found_rising = true;
      at_rising = p;
    } else {
      falling = mfu;
      found_falling = true;
      falling_out = out;
    }
    if (std::fabs(falling - rising) < options.tolerance) {
      // The map steps over the diagonal between two inputs closer than the
      // tolerance: no MFU reproduces itself. Of the two models either side
      // of the step, the smaller one (sized for `rising`, just under the
      // compute-optimal size) runs at the higher MFU and so delivers more
      // compute than the larger one: that is the plan. Its residual is the
      // step's height (the MFU the larger model would lose).
      if (found_rising && found_falling) {
        const int iterations = it;
        p = at_rising;
        p.iterations = iterations;
        p.residual = at_rising.mfu - falling_out;
      } else {
        p.mfu = 0.5 * (rising + falling);
      }
      p.converged = true;
      p.on_step = true;
      return p;
    }
    // Plain iteration first, then secant steps on out - mfu through the last
    // two inputs (two or three searches where plain iteration takes four or
    // more). A step must stay inside the bracket, and once both ends come
    // from evaluations, well inside it and halving it every step; otherwise
    // bisect, which a map that jumps across the diagonal needs.
    double next = out;
    if (it > 1 && residual != previous_residual) {
      next = mfu - residual * (mfu - previous_mfu) / (residual - previous_residual);
    }
    const double lo = std::min(rising, falling), hi = std::max(rising, falling);
    const bool both = found_rising && found_falling;
    const double margin = both ? 0.1 * (hi - lo) : 0.0;  // the secant stalls next to a step
    const bool inside = next > lo + margin && next < hi - margin;
    const bool slow = both && hi - lo > 0.5 * width;
    if (!inside || slow) next = 0.5 * (lo + hi);
    width = hi - lo;
    previous_mfu = mfu;
    previous_residual = residual;
    mfu = next;
  }
  return p;
}

MfuTable::MfuTable(std::vector<double> chips_nodes, std::vector<double> c1_nodes,
                   std::vector<double> mfu)
    : chips_(std::move(chips_nodes)), c1_(std::move(c1_nodes)), mfu_(std::move(mfu)) {
  auto increasing = [](const std::vector<double>& v) {
    if (v.empty() || !(v.front() > 0)) return false;
    for (std::size_t i = 1; i < v.size(); ++i) {
      if (!(v[i] > v[i - 1])) return false;
    }
    return true;
  };
  if (!increasing(chips_) || !increasing(c1_) || mfu_.size() != chips_.size() * c1_.size()) {
    throw std::invalid_argument(
        "MfuTable: nodes must be positive and increasing, one value per node");
  }
  for (double x : chips_) log_chips_.push_back(std::log(x));
  for (double x : c1_) log_c1_.push_back(std::log(x));
  const std::size_t n = c1_.size();
  const std::size_t rows = std::max<std::size_t>(1, chips_.size() - 1),
                    cols = std::max<std::size_t>(1, n - 1);
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t i1 = std::min(i + 1, chips_.size() - 1), j1 = std::min(j + 1, n - 1);
      cell_max_.push_back(
          std::max({mfu_[i * n + j], mfu_[i * n + j1], mfu_[i1 * n + j], mfu_[i1 * n + j1]}));
    }
  }
}

double MfuTable::at(double chips, double c1_flop) const { return at(cell(chips, c1_flop)); }
model::Pack MfuTable::at(model::Pack chips, model::Pack c1_flop) const {
  return at(cell(chips, c1_flop));
}

template MfuTable::Cell<double> MfuTable::cell<double>(double, double) const;
template MfuTable::Cell<model::Pack> MfuTable::cell<model::Pack>(model::Pack, model::Pack) const;
template double MfuTable::bound<double>(const Cell<double>&) const;
template model::Pack MfuTable::bound<model::Pack>(const Cell<model::Pack>&) const;
template double MfuTable::bound<double>(double, double) const;
template model::Pack MfuTable::bound<model::Pack>(model::Pack, model::Pack) const;
template double MfuTable::at<double>(const Cell<double>&) const;
template model::Pack MfuTable::at<model::Pack>(const Cell<model::Pack>&) const;

std::vector<double> lattice_nodes(double lo, double hi, double base, int per_power) {
  std::vector<double> nodes;
  if (!(lo > 0) || !(hi >= lo) || !std::isfinite(hi)) return nodes;
  // Each node from its index alone, so every table holds the same values.
  auto node = [&](long k) { return std::pow(base, static_cast<double>(k) / per_power); };
  const double steps = per_power / std::log(base);
  auto first = static_cast<long>(std::floor(std::log(lo) * steps));
  auto last = static_cast<long>(std::ceil(std::log(hi) * steps));
  // The logarithms may round across a node (log(8) / log(2) < 3).
  while (node(first + 1) <= lo) ++first;
  while (node(first) > lo) --first;
  while (node(last - 1) >= hi) --last;
  while (node(last) < hi) ++last;
  last = std::max(last, first + 1);
  for (long k = first; k <= last; ++k) nodes.push_back(node(k));
  return nodes;
}

namespace {

// The fixed point at one node, from the node memo when it was solved before.
MfuPrediction solved_node(const Machine& machine, double chips, double c1_flop,
                          const FixedPointOptions& options) {
  std::string key = node_key(machine, chips, c1_flop, options);
  if (std::optional<MfuPrediction> found = find_node(key)) return *found;
  MfuPrediction p = predicted_mfu(machine, chips, c1_flop, options);
  store_node(std::move(key), p);
  return p;
}

}  // namespace

std::vector<double> idle_rungs(double chips) {
  std::vector<double> rungs;
  if (!(chips >= 1) || !std::isfinite(chips)) return rungs;
  rungs.push_back(chips);
  // Each lattice point from its index alone, so every cluster sees the same.
  const auto point = [](long j) {
    return std::exp2(static_cast<double>(j) / kIdleLatticePerDoubling);
  };
  auto j = static_cast<long>(std::floor(std::log2(chips) * kIdleLatticePerDoubling));
  while (point(j) >= chips) --j;
  while (point(j + 1) < chips) ++j;
  for (; point(j) >= chips / 2 && point(j) >= 1; --j) {
    const double n = std::floor(point(j));
    if (n < rungs.back()) rungs.push_back(n);
  }
  return rungs;
}

namespace {

// The table with chips allowed to idle (build_mfu_table's last step): each
// node the best of (n / x) x raw(n, y n / x) over the ladder's rungs n that
// the table covers; `exact` nodes keep their given values.
std::vector<double> idled_values(const MfuTable& raw, const std::vector<char>& exact) {
  const std::vector<double>& chips = raw.chips_nodes();
  const std::vector<double>& c1 = raw.c1_nodes();
  std::vector<double> values(chips.size() * c1.size());
  for (std::size_t i = 0; i < chips.size(); ++i) {
    for (std::size_t j = 0; j < c1.size(); ++j) {
      const std::size_t k = i * c1.size() + j;
      double best = raw.node(i, j);
      if (exact.empty() || !exact[k]) {
        const std::vector<double> rungs = idle_rungs(chips[i]);
        for (std::size_t r = 1; r < rungs.size(); ++r) {
          const double n = rungs[r];
          if (n < chips.front()) break;
          const double share = n / chips[i];
          const double mfu = share * raw.at(n, c1[j] * share);
          if (mfu > best * (1 + kIdleMinGain)) best = mfu;
        }
      }
      values[k] = best;
    }
  }
  return values;
}

// `nodes` with `extra` merged in, sorted, each value once.
std::vector<double> merged(std::vector<double> nodes, const std::vector<double>& extra) {
  nodes.insert(nodes.end(), extra.begin(), extra.end());
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

}  // namespace

MfuPrediction predicted_mfu_idling(const Machine& machine, double chips, double c1_flop,
                                   double params_cap_per_chip, const FixedPointOptions& options,
                                   bool memo) {
  // No rung can beat n x the chip's GEMM ceiling: MFU counts model FLOPs,
  // which the step model runs at most at that share of the peak.
  const double ceiling = std::min(
      1.0, machine.matmul_ceiling > 0 ? machine.matmul_ceiling : calibrated::kMatmulCeiling);
  MfuPrediction all, best;
  double best_flops = 0;  // n x MFU of `best`, chip-peaks
  const std::vector<double> rungs = idle_rungs(chips);
  for (std::size_t k = 0; k < rungs.size(); ++k) {
    const double n = rungs[k];
    if (best.predicted && n * ceiling <= best_flops) break;
    FixedPointOptions rung = options;
    rung.params_cap = std::min(options.params_cap, params_cap_per_chip * n);
    const double c1 = k == 0 ? c1_flop : c1_flop * (n / chips);
    MfuPrediction p =
        memo ? solved_node(machine, n, c1, rung) : predicted_mfu(machine, n, c1, rung);
    if (k == 0) all = p;
    if (!p.predicted || !(n * p.mfu > best_flops * (1 + kIdleMinGain))) continue;
    best_flops = n * p.mfu;
    best = std::move(p);
    best.chips_used = n;
  }
  if (!best.predicted) {
    all.chips = all.chips_used = chips;
    return all;
  }
  best.chips = chips;
  best.layout_mfu = best.mfu;
  best.mfu = best_flops / chips;
  best.all_chips_predicted = all.predicted;
  best.all_chips_mfu = all.predicted ? all.mfu : 0.0;
  return best;
}

MfuTableBuild build_mfu_table(const MfuTableSpec& spec) {
  if (spec.exact_chips.size() != spec.exact_c1_flop.size()) {
    throw std::invalid_argument("MfuTableSpec: one exact C1 per exact chip count");
  }
  // The exact points that can be solved (positive and finite), and the
  // lattice's range widened to hold them.
  std::vector<double> exact_chips, exact_c1;
  double chips_lo = spec.chips_min, chips_hi = spec.chips_max;
  double c1_lo = spec.c1_min_flop, c1_hi = spec.c1_max_flop;
  for (std::size_t k = 0; k < spec.exact_chips.size(); ++k) {
    const double x = spec.exact_chips[k], y = spec.exact_c1_flop[k];
    if (!(x > 0) || !(y > 0) || !std::isfinite(x) || !std::isfinite(y)) continue;
    exact_chips.push_back(x);
    exact_c1.push_back(y);
    chips_lo = std::min(chips_lo, x);
    chips_hi = std::max(chips_hi, x);
    c1_lo = std::min(c1_lo, y);
    c1_hi = std::max(c1_hi, y);
  }
  const std::vector<double> lattice_chips =
      lattice_nodes(chips_lo, chips_hi, 2.0, kChipsNodesPerDoubling);
  const std::vector<double> lattice_c1 = lattice_nodes(c1_lo, c1_hi, 10.0, kC1NodesPerDecade);
  const std::size_t rows = lattice_chips.size(), cols = lattice_c1.size();
  const std::size_t exact_count = exact_chips.size();

  // Runs reach the C1 per chip of the range's corners, c1_min / chips_min
  // to c1_max / chips_max (the sweep's range is one run length's compute
  // from one system to the largest cluster, a quarter to four times it), not
  // the whole rectangle: only nodes within one C1 step of that band are
  // solved, and a row's nodes beyond it repeat its nearest solved node.
  const double step = std::pow(10.0, 1.0 / kC1NodesPerDecade);
  const double band_lo = spec.c1_min_flop / spec.chips_min / step,
               band_hi = spec.c1_max_flop / spec.chips_max * step;
  const bool banded = band_lo > 0 && band_hi > band_lo && std::isfinite(band_hi);
  std::vector<std::size_t> first_in_band(rows, 0), last_in_band(rows, cols - 1);
  for (std::size_t i = 0; banded && i < rows; ++i) {
    std::size_t lo = cols, hi = 0;
    for (std::size_t j = 0; j < cols; ++j) {
      const double per_chip = lattice_c1[j] / lattice_chips[i];
      if (per_chip < band_lo || per_chip > band_hi) continue;
      lo = std::min(lo, j);
      hi = std::max(hi, j);
    }
    if (lo > hi) continue;  // no node in the band: the row is solved whole
    first_in_band[i] = lo;
    last_in_band[i] = hi;
  }
  auto solved_here = [&](std::size_t k) {
    const std::size_t i = k / cols, j = k % cols;
    return j >= first_in_band[i] && j <= last_in_band[i];
  };

  // Lattice nodes, then exact points: each a pure function of the machine,
  // its coordinates and its options, so any order and thread count gives
  // the same values, and the memo may answer any of them.
  const std::size_t lattice_count = rows * cols;
  std::vector<MfuPrediction> solved(lattice_count + exact_count);
  parallel_for(static_cast<std::int64_t>(solved.size()), spec.threads, [&](std::int64_t n) {
    const auto k = static_cast<std::size_t>(n);
    if (k < lattice_count && !solved_here(k)) return;
    FixedPointOptions options = spec.fixed_point;
    double chips = 0, c1 = 0;
    if (k < lattice_count) {
      chips = lattice_chips[k / cols];
      c1 = lattice_c1[k % cols];
      // A lattice node starts from the options' guess (the chip's prior),
      // never from a neighbour's MFU, and stops at node_tolerance: the
      // interpolation error between nodes is ten times larger.
      options.tolerance = std::max(options.tolerance, spec.node_tolerance);
    } else {
      // An exact point is solved as the point estimate is: the map can step
      // over the diagonal, where it settles depends on the start and the
      // tolerance, and only the same procedure reproduces the estimate.
      chips = exact_chips[k - lattice_count];
      c1 = exact_c1[k - lattice_count];
    }
    if (k >= lattice_count) {
      options.params_cap = spec.params_cap;
      solved[k] = predicted_mfu_idling(spec.machine, chips, c1, spec.params_cap_per_chip, options);
      return;
    }
    options.params_cap = std::min(spec.params_cap, spec.params_cap_per_chip * chips);
    solved[k] = solved_node(spec.machine, chips, c1, options);
  });

  MfuTableBuild build;
  std::vector<double> lattice_values(lattice_count, spec.fallback_mfu);
  auto count = [&](const MfuPrediction& p) {
    build.iterations += static_cast<std::uint64_t>(p.iterations);
    if (!p.predicted) {
      ++build.fallback_nodes;
    } else if (!p.converged) {
      ++build.unconverged_nodes;
    }
  };
  for (std::size_t k = 0; k < lattice_count; ++k) {
    if (!solved_here(k)) continue;
    count(solved[k]);
    if (solved[k].predicted) lattice_values[k] = solved[k].mfu;
  }
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      const std::size_t nearest = std::clamp(j, first_in_band[i], last_in_band[i]);
      lattice_values[i * cols + j] = lattice_values[i * cols + nearest];
    }
  }
  if (exact_count == 0) {
    const MfuTable raw(lattice_chips, lattice_c1, std::move(lattice_values));
    build.table = MfuTable(lattice_chips, lattice_c1, idled_values(raw, {}));
    return build;
  }
  // The exact points join as nodes, and so does the rest of their rows and
  // columns: solved as lattice nodes are (from the prior, to
  // node_tolerance, memoised) within the band, the lattice's interpolated
  // value beyond it. Along the point estimate's chips and C1 the table then
  // follows the fixed point's steps as closely as along a lattice line (a
  // run-length tornado moves along the C1 line through the medians).
  const MfuTable lattice(lattice_chips, lattice_c1, std::move(lattice_values));
  const std::vector<double> chips = merged(lattice_chips, exact_chips);
  const std::vector<double> c1 = merged(lattice_c1, exact_c1);
  const std::size_t n = c1.size();
  auto index_of = [](const std::vector<double>& nodes, double x) {
    return static_cast<std::size_t>(std::lower_bound(nodes.begin(), nodes.end(), x) -
                                    nodes.begin());
  };
  std::vector<char> exact_node(chips.size() * n, 0);
  for (std::size_t k = 0; k < exact_count; ++k) {
    exact_node[index_of(chips, exact_chips[k]) * n + index_of(c1, exact_c1[k])] = 1;
  }
  std::vector<double> values(chips.size() * n);
  std::vector<std::size_t> line_nodes;  // nodes of the exact rows and columns to solve
  for (std::size_t i = 0; i < chips.size(); ++i) {
    const bool lattice_row =
        std::binary_search(lattice_chips.begin(), lattice_chips.end(), chips[i]);
    for (std::size_t j = 0; j < n; ++j) {
      values[i * n + j] = lattice.at(chips[i], c1[j]);
      const double per_chip = c1[j] / chips[i];
      const bool in_band = !banded || (per_chip >= band_lo && per_chip <= band_hi);
      const bool lattice_node =
          lattice_row && std::binary_search(lattice_c1.begin(), lattice_c1.end(), c1[j]);
      if (!lattice_node && !exact_node[i * n + j] && in_band) line_nodes.push_back(i * n + j);
    }
  }
  std::vector<MfuPrediction> line(line_nodes.size());
  parallel_for(static_cast<std::int64_t>(line.size()), spec.threads, [&](std::int64_t m) {
    const std::size_t k = line_nodes[static_cast<std::size_t>(m)];
    const double x = chips[k / n], y = c1[k % n];
    FixedPointOptions options = spec.fixed_point;
    options.tolerance = std::max(options.tolerance, spec.node_tolerance);
    options.params_cap = std::min(spec.params_cap, spec.params_cap_per_chip * x);
    line[static_cast<std::size_t>(m)] = solved_node(spec.machine, x, y, options);
  });
  for (std::size_t m = 0; m < line.size(); ++m) {
    count(line[m]);
    values[line_nodes[m]] = line[m].predicted ? line[m].mfu : spec.fallback_mfu;
  }
  for (std::size_t k = 0; k < exact_count; ++k) {
    const MfuPrediction& p = solved[lattice_count + k];
    count(p);
    values[index_of(chips, exact_chips[k]) * n + index_of(c1, exact_c1[k])] =
        p.predicted ? p.mfu : spec.fallback_mfu;
  }
  const MfuTable raw(chips, c1, std::move(values));
  build.table = MfuTable(chips, c1, idled_values(raw, exact_node));
  return build;
}

}  // namespace clustercap::training
