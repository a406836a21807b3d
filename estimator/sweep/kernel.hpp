// One thread's evaluator: eight samples at a time (model::Pack lanes).
//
// Per actor it sizes each candidate through the model's sizing path
// (model::sizing_t over the limits table, as assemble_t does) -- limits
// whose inputs are never sampled are computed once and passed in as known,
// pruning is the path's optional stop on the cheap limits' bound, candidates no input can resize
// are compared through the best of them, and a candidate that cannot beat the best one so far in
// any lane is skipped -- then runs the whole model (assemble_t, outcome_t: the equations `estimate`
// runs) on each lane's winner.
//
// Where the time goes (default scenario, one thread, ~165 ns a sample by
// perf): sizing and choosing among the 21 candidates and the winners'
// model ~23%, MFU cells, bounds and look-ups ~19%, power searches and
// fabric sizing ~19%, draws ~17%, block statistics ~7%, writing the sampled
// values into rows ~4%. Per pack of eight, 13.8 of the 21 candidates fall
// to the first bound; of the rest, 3.2 get a power search (the pooled
// actor's hub candidates -- 910C, H100 and B200 all contend there), 6.2 a
// cell bound and 3.8 a look-up. Taking divisions out (per-tier power
// constants cached, a division-free first bound) measured no gain, which
// points to the latency of short dependent chains (divide, round, compare,
// branch) rather than throughput. 5e7 samples/s on two threads would need
// ~40 ns a sample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "estimator/metrics.hpp"
#include "estimator/sweep/engine.hpp"

namespace clustercap::sweep {

struct Copula;         // estimator/scenario/copula.hpp
class QuantileSketch;  // estimator/sweep/sketch.hpp

// Running moments of one block's values, merged over blocks in block order
// (Chan et al.), so the result does not depend on the thread count.
struct Moments {
  double n = 0, mean = 0, m2 = 0;
  void merge(const Moments& o) {
    if (o.n == 0) return;
    const double total = n + o.n;
    const double d = o.mean - mean;
    mean += d * o.n / total;
    m2 += o.m2 + d * d * n * o.n / total;
    n = total;
  }
};

// One block of evaluated samples and where its statistics go (summarise()).
struct BlockStatistics {
  const double* metrics;          // evaluate()'s metrics, stride = the block's size
  const double* bindings;         // evaluate()'s binding constraints, likewise
  std::size_t stride;             // samples the block holds room for
  std::uint64_t n;                // samples in the block (the first n)
  const char* derived;            // per actor and metric: 1 = not summarised (a fixed ratio)
  std::uint64_t* binding_counts;  // += samples per actor and constraint it binds
  std::uint64_t* exceed_counts;   // += samples per actor and reference at ratio >= 1
  QuantileSketch* sketches;       // per actor and metric: += the block's values
  Moments* moments;               // per actor and metric: = the block's moments
};

// Metrics per actor, in metric_names() order: the swept entries of kMetrics
// (estimator/metrics.hpp), then one ratio per reference.
inline constexpr std::size_t kBaseMetrics = swept_metric_count();
inline constexpr std::size_t kSustained =
    swept_metric_index("sustained_flops");  // tornado, SRRC, ratios
static_assert(kSustained < kBaseMetrics, "the sweep summarises sustained FLOP/s");

// Which version of the kernel's evaluate() runs. A portable build (baseline
// x86-64) has three, picked when the Kernel is built: AVX-512 (x86-64-v4)
// or AVX2 where the CPU has it, else the baseline; all give the same bits
// (tested). A native build has one, for this machine.
enum class KernelChoice {
  best,      // the best version the CPU runs (the sweep's choice)
  avx2,      // AVX2 at most (tests compare the versions)
  baseline,  // the baseline even where the CPU has more
};
enum class KernelVersion { baseline, avx2, avx512 };
// The version a Kernel built with `choice` runs: "avx512", "avx2" or
// "baseline" in a portable build; "native avx512", "native avx2" or
// "baseline" in a build for one machine (whatever the choice).
const char* kernel_variant(KernelChoice choice = KernelChoice::best);

class Kernel {
 public:
  explicit Kernel(const Engine& engine, KernelChoice choice = KernelChoice::best);

  // Draws `scenario`'s inputs (the engine's) for the eight samples first ..
  // first + 7 into `values` (one pack per input): draw_values (copula.hpp)
  // in the version picked, the same bits in every version.
  void draw(const Scenario& scenario, const Copula& copula, std::uint64_t seed, std::uint64_t first,
            std::vector<model::Pack>& values);

  // Evaluates eight samples whose inputs are `values` (config units, one
  // pack per scenario input). Lane l's metric m of actor a goes to
  // metrics[(a * M + m) * stride + offset + l] and its binding constraint to
  // bindings[a * stride + offset + l], for M = kBaseMetrics + references.
  void evaluate(const std::vector<model::Pack>& values, double* metrics, double* bindings,
                std::size_t stride, std::size_t offset);
  // Adds one block's statistics (counts, sketches, moments) to `block`'s
  // outputs, in the version picked; the same counts and bits in every version.
  void summarise(const BlockStatistics& block);
  // After evaluate(): the candidate that won lane `lane` for `actor` (-1
  // when the actor has none) and the MFU it ran at.
  int winner(std::size_t actor, int lane) const;
  double winner_mfu(std::size_t actor, int lane) const;

 private:
  template <class T>
  struct Size {
    T chips, flops;  // flops -1 in every lane: cannot win (not evaluated in full)
  };
  // Sizes candidate c through the model's sizing path (model::sizing_t, as
  // assemble_t does), with pruning against `beat` as its optional bound.
  template <class T>
  Size<T> size_of(std::vector<model::RowT<T>>& rows, std::size_t c, T beat, bool prune);
  // evaluate() in the version picked (kernel.cpp: runtime dispatch; the
  // bodies in kernel_body.hpp).
  void evaluate_body(const std::vector<model::Pack>& values, double* metrics, double* bindings,
                     std::size_t stride, std::size_t offset);
  void evaluate_avx512(const std::vector<model::Pack>& values, double* metrics, double* bindings,
                       std::size_t stride, std::size_t offset);
  void evaluate_avx2(const std::vector<model::Pack>& values, double* metrics, double* bindings,
                     std::size_t stride, std::size_t offset);
  void evaluate_baseline(const std::vector<model::Pack>& values, double* metrics, double* bindings,
                         std::size_t stride, std::size_t offset);
  // summarise() in the version picked.
  void summarise_body(const BlockStatistics& block);
  void summarise_avx512(const BlockStatistics& block);
  void summarise_avx2(const BlockStatistics& block);
  void summarise_baseline(const BlockStatistics& block);
  // draw() in the version picked, into draws_ and draw_scratch_.
  void draw_body(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                 std::uint64_t first);
  void draw_avx512(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                   std::uint64_t first);
  void draw_avx2(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                 std::uint64_t first);
  void draw_baseline(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                     std::uint64_t first);
  // The winners' rows (lanes of the candidates in `winner`: one candidate's
  // row, or `blend`) and, in `limits`, all their limits.
  const model::RowT<model::Pack>& gather_winners(std::size_t actor, model::Pack winner,
                                                 model::RowT<model::Pack>& blend,
                                                 model::KnownLimitsT<model::Pack>& limits);

  const Engine& engine_;
  KernelVersion version_;                       // which evaluate_*() evaluate() runs
  std::vector<model::RowT<model::Pack>> rows_;  // per candidate, at the current samples
  model::RowT<model::Pack> blend_;              // winners' rows when they differ by lane
  std::vector<std::vector<model::Pack>> counts_;
  // Per candidate: its limits no sampled input changes (at the medians),
  // every limit at the medians, and the limits found while sizing the
  // current samples.
  std::vector<model::KnownLimitsT<model::Pack>> fixed_limits_, median_limits_, limits_;
  std::vector<char> failures_;           // goodput depends on the cluster size
  std::vector<Size<double>> fixed_;      // candidates no sampled input resizes
  std::vector<std::vector<int>> order_;  // per actor: sampled candidates and the best fixed one
  // Per actor, of the last evaluate(); aligned as every pack evaluate()
  // writes in memory must be (model::kPackStorageAlign).
  struct alignas(model::kPackStorageAlign<model::Pack>) Winner {
    model::Pack index, mfu;
  };
  std::vector<Winner> winners_;
  // draw()'s values (per input) and copula deviates, aligned likewise:
  // std::vector<model::Pack> is only 16-byte aligned in a baseline build.
  struct alignas(model::kPackStorageAlign<model::Pack>) Draw {
    model::Pack value;
  };
  std::vector<Draw> draws_, draw_scratch_;
};

}  // namespace clustercap::sweep
