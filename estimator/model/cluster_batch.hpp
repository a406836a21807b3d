// The capacity model over a batch of candidate clusters (docs/methodology.md §5, steps
// 2-6). One column per candidate: a chip type with its system packaging at one
// site, under one scenario's settings. `estimate` evaluates every candidate of
// every actor as one batch; the sweep engine evaluates millions of sampled
// scenarios the same way. Structure of arrays; pure; thread-safe; never throws
// on inputs that passed scenario validation; never produces NaN or inf except
// the documented +inf "no limit" markers.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <limits>
#include <vector>

#include "estimator/model/fat_tree.hpp"

namespace clustercap::model {

using Eigen::ArrayXd;
using Eigen::ArrayXi;
using Eigen::Index;

inline constexpr double kNoLimit = std::numeric_limits<double>::infinity();

// The limits table: every constraint that can cap the cluster, one entry
// each -- its output name (JSON `limits` key, CSV `limit_<name>` column,
// `binding_constraint` value, `binding_share` key), its equation in whole systems
// (a template over T = double or Pack in cluster_row.hpp), and its cost:
// `cheap` limits are computed first, so a caller may stop on their bound
// before the `costly` ones (the sweep kernel's pruning); and its label in
// the estimate table. Order is the
// tie-break order: when limits are equal the earlier one binds. Everything
// that counts, names, stores or sizes limits iterates this list; adding a
// constraint is one line here and its equation.
#define CLUSTERCAP_LIMITS(X)                    \
  X(chips, held_limit_t, cheap, "held")         \
  X(power, power_limit_t, costly, "power")      \
  X(network, network_limit_t, cheap, "network") \
  X(budget, budget_limit_t, cheap, "budget")    \
  X(wan, wan_limit_t, cheap, "WAN")

// What caps the cluster (an index into the limits table).
enum class Constraint : int {
#define CLUSTERCAP_LIMIT_ENUM(name, equation, cost, label) name,
  CLUSTERCAP_LIMITS(CLUSTERCAP_LIMIT_ENUM)
#undef CLUSTERCAP_LIMIT_ENUM
};
enum class LimitCost : int { cheap, costly };

// Output names and costs, in table order.
inline constexpr const char* kLimitNames[] = {
#define CLUSTERCAP_LIMIT_NAME(name, equation, cost, label) #name,
    CLUSTERCAP_LIMITS(CLUSTERCAP_LIMIT_NAME)
#undef CLUSTERCAP_LIMIT_NAME
};
inline constexpr std::size_t kLimitCount = sizeof kLimitNames / sizeof kLimitNames[0];
inline constexpr const char* kLimitLabels[kLimitCount] = {
#define CLUSTERCAP_LIMIT_LABEL(name, equation, cost, label) label,
    CLUSTERCAP_LIMITS(CLUSTERCAP_LIMIT_LABEL)
#undef CLUSTERCAP_LIMIT_LABEL
};
inline constexpr LimitCost kLimitCosts[kLimitCount] = {
#define CLUSTERCAP_LIMIT_COST(name, equation, cost, label) LimitCost::cost,
    CLUSTERCAP_LIMITS(CLUSTERCAP_LIMIT_COST)
#undef CLUSTERCAP_LIMIT_COST
};
// What caps the largest trainable model.
enum class ModelLimit : int { compute = 0, memory = 1, data = 2 };

const char* to_string(Constraint constraint);
const char* to_string(ModelLimit limit);

// Chinchilla rule as used by Epoch (docs/methodology.md §2.5, §E8):
// C = 6 N D and D = 20 N, so N = sqrt(C / 120).
inline constexpr double kTokensPerParam = 20.0;
inline constexpr double kFlopPerParamToken = 6.0;

// X-macro list of per-candidate inputs: name, unit and meaning in one place.
#define CLUSTERCAP_CLUSTER_INPUTS(X)                                                          \
  X(chips_held)                 /* chips the actor can put at this site                   */  \
  X(chips_per_system)           /* accelerators per system (8 HGX, 72 NVL72, 384 CM384)    */ \
  X(system_it_power_w)          /* IT power of one system, W                               */ \
  X(system_includes_scaleout)   /* 1 when system power already covers its fabric share  */    \
  X(endpoints_per_chip)         /* scale-out switch ports per chip                         */ \
  X(site_power_w)               /* facility power available at the site, W                 */ \
  X(pue)                        /* facility power / IT power, >= 1                         */ \
  X(budget_usd)                 /* capital for systems, network, facility; kNoLimit: none  */ \
  X(system_price_usd)           /* price of one system, USD (unused without a budget)      */ \
  X(switch_usd)                 /* price of one scale-out switch, USD (cost.hpp)           */ \
  X(transceiver_usd)            /* price of one optical module, USD                        */ \
  X(facility_usd_per_w)         /* facility capital per W of IT capacity, USD              */ \
  X(electricity_usd_per_mwh)    /* the site's electricity price                            */ \
  X(opex_fraction_per_year)     /* staff and maintenance per year / capex                  */ \
  X(depreciation_s)             /* life over which capex is written off, s                 */ \
  X(peak_flops_per_chip)        /* dense peak at the training precision, FLOP/s            */ \
  X(mfu)                        /* model-FLOPs utilisation, (0, 1]                         */ \
  X(goodput)                    /* productive fraction of wall time, (0, 1]                */ \
  X(duration_s)                 /* training run length, s                                  */ \
  X(hbm_bytes_per_chip)         /* accelerator memory, bytes                               */ \
  X(bytes_per_param)            /* training state per parameter (16: mixed-precision Adam) */ \
  X(activation_memory_fraction) /* share of HBM kept for activations, [0, 1)         */       \
  X(max_tokens)                 /* training data available; kNoLimit when none             */ \
  X(interruptions_per_chip_day) /* failure rate; 0: use goodput as given             */       \
  X(restart_hours)              /* lost per interruption besides rolled-back work          */ \
  X(checkpoint_interval_hours)  /* half of it is lost on average per interruption     */

struct ClusterBatch {
#define CLUSTERCAP_DECLARE(name) ArrayXd name;
  CLUSTERCAP_CLUSTER_INPUTS(CLUSTERCAP_DECLARE)
#undef CLUSTERCAP_DECLARE
  std::vector<FabricSpec> fabric;

  ClusterBatch() = default;
  explicit ClusterBatch(Index size) { resize(size); }
  void resize(Index size);
  Index size() const { return chips_held.size(); }
};

struct ClusterResults {
  // Each limit of the table (limit[k] for Constraint k) in chips, rounded
  // down to whole systems; kNoLimit when the limit does not apply (budget
  // without one).
  std::array<ArrayXd, kLimitCount> limit;
  ArrayXi binding;  // Constraint
  ArrayXd systems, chips;
  ArrayXd it_power_w;        // systems plus fabric (unless the systems include it)
  ArrayXd network_power_w;   // fabric power, reported even when included in systems
  ArrayXd facility_power_w;  // PUE * IT
  ArrayXd network_tiers, network_switches, network_transceivers;
  ArrayXd goodput;  // as given, or from the failure model at this cluster size
  ArrayXd peak_flops, sustained_flops, train_flop;
  ArrayXd params_compute_optimal;  // sqrt(C / 120)
  ArrayXd params_memory_limit;     // largest model whose training state fits in HBM
  ArrayXd params, tokens;
  ArrayXd model_train_flop;  // 6 N D of the reported model, <= train_flop
  ArrayXi limited_by;        // ModelLimit

  void resize(Index size);
};

// Step 2 for candidate i: the deepest allowed fabric's limit, in whole
// systems (the sweep's MFU tables span up to it).
double network_limit_systems(const ClusterBatch& in, Index i);
// Step 3: the smallest limit binds; ties go to the earlier constraint.
Constraint binding_constraint(const double (&limits_systems)[kLimitCount]);

// Steps 2-4: limits, binding constraint, whole systems, power and fabric.
void assemble_clusters(const ClusterBatch& in, ClusterResults& out);
// Steps 5-6: sustained FLOP/s, training compute, largest compute-optimal model.
// Needs out.chips from assemble_clusters.
void compute_training_outcome(const ClusterBatch& in, ClusterResults& out);
// Both steps.
ClusterResults evaluate_clusters(const ClusterBatch& in);

}  // namespace clustercap::model
