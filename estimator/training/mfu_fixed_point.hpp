// MFU predicted for the largest compute-optimal model a cluster can train
// (issue 6). Model size depends on MFU (N = sqrt(MFU C1 / 120), C1 = chips x
// peak x goodput x duration) and MFU on model size (the step-time model's
// best layout for a dense transformer of N parameters), so the MFU is the
// fixed point of  mfu -> N -> shape -> best layout -> mfu.
//
// `MfuTable` tabulates that fixed point for one chip / scale-up domain /
// scale-out bandwidth over a grid of chip counts and C1, so a sweep can look
// MFU up per sample instead of running the layout search (docs/methodology.md §E14: compute
// expensive steps once per configuration, never in the per-sample loop).
//
// Pure; every function here is thread-safe (no shared mutable state).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "estimator/model/lanes.hpp"
#include "estimator/training/search.hpp"
#include "estimator/training/step_model.hpp"

namespace clustercap::training {

// A dense decoder-only transformer of about `params` parameters in the shape
// of published dense models (Llama 3 8B / 70B / 405B, GPT-3 175B): head
// dimension 128, heads a multiple of 8, gated MLP with FFN 8/3-4 x hidden
// (3.5 nominal; it absorbs rounding so the shape has ~params), 8 KV heads,
// vocabulary 128,256, 8,192-token sequences, and a global batch of 60M
// tokens at 405B growing as params^0.36 (sources in the .cpp), clamped to
// [2^20, 2^28] tokens and rounded to a power of two times `batch_unit_sequences` (the
// odd factor of the chip count the search runs on, so data-parallel
// replicas can divide it). Depth: the 2^a or 3 x 2^a layers nearest to
// hidden = 128 x layers, so pipelines divide it evenly. `tokens` is the
// compute-optimal 20 x params. Needs params > 0.
Workload compute_optimal_shape(double params, int batch_unit_sequences = 1);

// The chip count the layout search runs on for a cluster of `chips`: the
// nearest (in log) m x 2^k with m odd and <= 15, within 6.1% of `chips`.
// Layouts need TP x PP x DP = chips exactly and DP to divide the batch; a
// count like 1,365 CloudMatrix 384 (2^7 x 4,095 chips) has no such layout
// for any realistic batch, while a real run would pick its batch to suit.
// MFU changes little over 6%, so the MFU found there stands for the cluster.
// 0 below one chip.
int modelled_chips(double chips);

struct FixedPointOptions {
  double initial_mfu = 0.4;  // starting guess, (0, 1]; the catalog prior is a good one
  // Largest model the caller allows (memory and data caps of the outcome
  // model, cluster_batch.hpp); N = min(sqrt(mfu C1 / 120), params_cap).
  double params_cap = std::numeric_limits<double>::infinity();
  double tolerance = 1e-4;  // |mfu_out - mfu_in| at convergence
  int max_iterations = 20;
};

// Why the fixed point gave no MFU (reporters put it in words).
enum class NoPrediction {
  none,               // it predicted one
  no_peak,            // the chip has no dense peak at this precision
  no_memory_figures,  // the chip has no HBM capacity or bandwidth in the catalog
  no_chips,           // the cluster has no chips
  no_layout_divides,  // no parallel layout of the model divides modelled_chips
  no_layout_fits,     // layouts exist but none fits: min_memory_bytes > hbm_bytes
};

struct MfuPrediction {
  bool predicted = false;  // false: use the fallback MFU, for `why_not`
  double mfu = 0;          // step-model MFU of the last model evaluated
  double params = 0;       // that model's target size (its shape is within ~1%)
  Workload shape;          // the dense shape evaluated last
  Layout layout;           // its fastest fitting layout
  int modelled_chips = 0;  // chip count the search ran on (modelled_chips(chips))
  int iterations = 0;      // layout searches run
  // Settled within max_iterations: |mfu_out - mfu_in| < tolerance, or the
  // bracket around the crossing narrowed below it.
  bool converged = false;
  // |mfu_out - mfu_in| of the last evaluation; on a step, the step's height
  // (the smaller model's MFU minus the larger one's).
  double residual = 0;
  bool on_step = false;  // converged by closing the bracket around such a step
  NoPrediction why_not = NoPrediction::none;
  // no_layout_fits: the least memory any layout of the model needs per chip,
  // and what the chip has, bytes.
  double min_memory_bytes = 0;
  double hbm_bytes = 0;
  // Chips may idle (predicted_mfu_idling): the cluster's chips, the chips
  // the layout trains on (<= chips), and the step-model MFU of the layout on
  // those. Then `mfu` is per chip of the cluster, layout_mfu x chips_used /
  // chips, so chips x mfu is the sustained rate. predicted_mfu alone leaves
  // chips_used 0 (all chips).
  double chips = 0;
  double chips_used = 0;
  double layout_mfu = 0;
  // When chips idle: what the fixed point gives on all of them (its MFU, or
  // not predicted), the plan the idling beat.
  bool all_chips_predicted = false;
  double all_chips_mfu = 0;
  bool idles() const { return chips_used > 0 && chips_used < chips; }
};

// The fixed point for one cluster. `machine` carries the chip and fabric
// (its `chips` is ignored: the search runs on modelled_chips(chips)).
// `c1_flop` = chips x peak x goodput x duration_s: training FLOP per unit of
// MFU. Plain iteration, then secant steps on mfu_out - mfu_in, kept inside
// a bracket around the fixed point (an input whose MFU came out higher and
// one lower; (0, 1) at the start) and bisecting when a step would leave it
// or stops halving it: the shape is discrete, so the map can jump across
// the diagonal instead of crossing it, and plain or damped iteration would
// cycle around the jump. The bracket then closes on the jump (`on_step`),
// and the prediction is the smaller model's, just below the jump: sized for
// slightly less compute than it gets, it runs at the higher MFU of the two
// sides, so it is the plan that delivers the most compute.
// Not predicted when the chip lacks peak FLOP/s, HBM or HBM bandwidth, or
// when no layout of the model fits in memory.
MfuPrediction predicted_mfu(const Machine& machine, double chips, double c1_flop,
                            const FixedPointOptions& options = {});

// Chips may idle: a cluster of `chips` sustains the best of n x MFU(n) over
// the n <= chips it could train on (a planner whose layout runs badly on
// all of them, e.g. a shape whose heads rule out the tensor-parallel width
// the count needs, trains on a subset instead), so its sustained FLOP/s
// never falls as it gains chips. n runs over `chips` itself and the
// lattice points 2^(j / kIdleLatticePerDoubling) (whole chips, rounded down)
// from just below it down to chips / 2 (idle_rungs): a fixed lattice, so a
// larger cluster tries every count a smaller one tried above its own half,
// and its rate falls below a smaller cluster's only where the smaller
// one's own count beats every lattice point below it (within one step,
// 2^(1/16) = 4.4%). Each n gets its share of the compute (C1 x n / chips:
// the idle chips' time is lost, goodput kept at the cluster's) and of the
// memory cap (params_cap_per_chip x n; options.params_cap, the data cap, as
// given). Largest first; the rest are skipped once even n x the chip's
// matmul ceiling cannot beat the best found; a smaller n must gain more
// than kIdleMinGain to win. The result is the winner's prediction, with
// chips, chips_used and layout_mfu set and `mfu` per chip of the cluster;
// when none predicts, the full count's. `memo`: solve each through the node
// memo (search_cache.hpp), the same values either way.
constexpr int kIdleLatticePerDoubling = 16;
constexpr double kIdleMinGain = 1e-6;  // relative
// The counts predicted_mfu_idling tries for a cluster of `chips`, largest
// first: chips, then the lattice points in [chips / 2, chips). Empty below
// one chip.
std::vector<double> idle_rungs(double chips);
MfuPrediction predicted_mfu_idling(const Machine& machine, double chips, double c1_flop,
                                   double params_cap_per_chip, const FixedPointOptions& options,
                                   bool memo = true);

// Predicted MFU over a grid of log(chips) x log(C1), bilinear in log space.
// Outside the grid `at` clamps to the nearest edge. Where the fixed point
// gave no prediction the builder stored its fallback MFU. Exact on nodes.
//
// Interpolation error, measured against the exact fixed point (tests/
// training/test_mfu_fixed_point.cpp has the H100 case): the node lattice
// (below) over 1,024-262,144 chips and the C1 of 60-270-day runs at goodput
// 0.9, probed at 3 x 3 points inside every cell a run can reach (94-95
// points): mean |error| 0.008-0.014 MFU and worst 0.036-0.069 for H100 and
// B200 in HGX, GB200 NVL72 and 910C in CloudMatrix 384; H20 mean 0.025,
// worst 0.21. The worst points sit where the exact MFU itself steps (a new
// head group, depth or batch size), which no interpolation can follow.
// A table's first build on a machine solves 5-7 nodes per chip row (the
// band of C1 per chip runs reach), 2-4 fixed-point searches each; later
// tables on the same machine take their lattice nodes from the node memo
// (search_cache.hpp) and solve only their exact points.
class MfuTable {
 public:
  MfuTable() = default;
  // Nodes strictly increasing and > 0; mfu row-major, mfu[i * c1.size() + j]
  // at (chips[i], c1[j]). Throws std::invalid_argument otherwise.
  MfuTable(std::vector<double> chips_nodes, std::vector<double> c1_nodes, std::vector<double> mfu);

  double at(double chips, double c1_flop) const;
  model::Pack at(model::Pack chips, model::Pack c1_flop) const;  // eight look-ups
  // An upper bound on at(chips, c1_flop) without logarithms: the largest of
  // the four nodes around the cell (chips, c1_flop) falls in.
  template <class T>
  T bound(T chips, T c1_flop) const;

  // The same in two steps, for a caller that bounds before it looks up:
  // find the cell once, then bound or interpolate in it.
  template <class T>
  struct Cell {
    T chips, c1;    // the values
    T row, column;  // cell indices (whole numbers)
  };
  template <class T>
  Cell<T> cell(T chips, T c1_flop) const;
  template <class T>
  T bound(const Cell<T>& cell) const;
  template <class T>
  T at(const Cell<T>& cell) const;  // T = double or Pack
  bool empty() const { return mfu_.empty(); }
  const std::vector<double>& chips_nodes() const { return chips_; }
  const std::vector<double>& c1_nodes() const { return c1_; }
  double node(std::size_t chips_index, std::size_t c1_index) const {
    return mfu_[chips_index * c1_.size() + c1_index];
  }

 private:
  std::vector<double> chips_, c1_;          // nodes
  std::vector<double> log_chips_, log_c1_;  // their logs
  std::vector<double> mfu_;
  std::vector<double> cell_max_;  // per cell (i, j): max of its four corner nodes
};

// Table nodes sit on a fixed lattice: chips at 2^(k / kChipsNodesPerDoubling)
// and C1 at 10^(k / kC1NodesPerDecade) FLOP, k whole. Every table on the
// same machine then shares its nodes with every other (a sweep's grid
// points, a timeline's months), and the node memo (search_cache.hpp)
// solves each once per process.
constexpr int kChipsNodesPerDoubling = 1;
constexpr int kC1NodesPerDecade = 2;

struct MfuTableSpec {
  Machine machine;  // chip and fabric; chips ignored
  // The range the table must cover: the lattice nodes from the last at or
  // below each minimum to the first at or above each maximum.
  double chips_min = 8, chips_max = 1e6;
  double c1_min_flop = 1e22, c1_max_flop = 1e28;
  // Points where the table must be exact (e.g. the point estimate's chips
  // and C1): (exact_chips[k], exact_c1_flop[k]), one C1 per chip count.
  // Each joins the nodes with its fixed point, solved exactly as the point
  // estimate solves it; the rest of its row and column is solved as lattice
  // nodes are where runs reach (else the lattice's interpolated value), so
  // away from those lines the table is the lattice's. Points outside the
  // range widen it; non-positive or non-finite ones are left out.
  std::vector<double> exact_chips, exact_c1_flop;
  // Caps of the outcome model: memory per chip (params per chip) and data.
  double params_cap_per_chip = std::numeric_limits<double>::infinity();
  double params_cap = std::numeric_limits<double>::infinity();
  double fallback_mfu = 0.4;  // stored where the fixed point gives no prediction
  // The point estimate's fixed-point options (params_cap is set per node
  // from the caps above): exact points are solved with them. Lattice nodes
  // start from the same initial_mfu and stop at node_tolerance.
  FixedPointOptions fixed_point;
  double node_tolerance = 1e-3;
  int threads = 1;  // nodes solved in parallel (OpenMP); same table for any count
};

struct MfuTableBuild {
  MfuTable table;
  int fallback_nodes = 0;        // solved nodes holding fallback_mfu
  int unconverged_nodes = 0;     // predicted but not converged
  std::uint64_t iterations = 0;  // fixed-point iterations over all solved nodes (memo or not)
};

// Solves the fixed point at every lattice node over the spec's range (from
// the node memo when it was solved before) and at each exact point, then
// lets chips idle: each node (x, y) holds the best over idle_rungs(x) of
// (n / x) x MFU(n, y n / x) read from the solved table (rungs below the
// first chip node left out), and each exact point predicted_mfu_idling's
// value, so node x MFU never falls below that of a smaller rung.
// Thread-safe. Throws std::invalid_argument when the exact lists differ in
// length.
MfuTableBuild build_mfu_table(const MfuTableSpec& spec);

// The lattice nodes base^(k / per_power) from the last at or below lo to
// the first at or above hi (at least two), each computed from k alone.
// Empty unless 0 < lo <= hi < inf.
std::vector<double> lattice_nodes(double lo, double hi, double base, int per_power);

}  // namespace clustercap::training
