// Export-control metrics (TPP, PD) and rule classification, with the rules as
// data (hardware/rules/export_control.toml, embedded at build time).
//
// TPP = max over formats of dense TOPS x bit length (Technical Note to 3A090,
// 88 FR 73458); PD = TPP / applicable logic-die area. A rule vintage lists
// clauses (ECCN paragraphs), exclusions, licence exceptions, a licence
// review policy and chips named outside the thresholds. A clause matches when
// all its bounds hold; a paragraph when any clause matches; 3A090.a takes
// precedence over .b; a bound on an unknown metric is undecided, never false.
// Pure functions; a RuleBook is immutable after loading.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hardware/catalog.hpp"
#include "hardware/catalog_loader.hpp"

namespace clustercap::export_control {

enum class Metric { tpp, pd, io_bidir_gbs, total_dram_bw_gbs, mbd_gbs_per_mm2 };
enum class Comparison { ge, gt, le, lt };
enum class Truth { no, yes, unknown };

const char* to_string(Metric metric);
const char* symbol(Comparison comparison);  // ">=", ">", "<=", "<"

struct Bound {
  Metric metric = Metric::tpp;
  Comparison comparison = Comparison::ge;
  double threshold = 0;
};

struct Condition {
  std::vector<Bound> bounds;
  std::optional<bool> datacenter;  // exact match when set
};

struct Clause {
  std::string eccn;  // "3A090.a"
  std::string id;    // "3A090.a.2"
  bool applies_to_hbm = false;
  Condition condition;
};

struct Exclusion {
  std::string id;
  std::string effect;
  Condition condition;
};

struct LicenseException {
  std::string id;
  std::string eccn;
  std::string notes;
  Condition condition;
};

struct LicensePolicy {
  std::string id;
  std::vector<std::string> destinations;
  std::string policy;
  std::string otherwise;
  std::string notes;
  Condition condition;
};

// A licence requirement aimed at named chips whatever the thresholds say
// (the April 2025 "is-informed" letter on the H20): its chips are catalog
// ids, so a chip added to the catalog later needs only its id listed here.
struct NamedControl {
  std::string id;  // "is-informed letter"
  std::vector<std::string> chip_ids;
  std::string effective;  // YYYY-MM-DD
  std::string effect;
  std::vector<std::string> sources;
};

struct Vintage {
  std::string id;  // "2023-10"
  std::string name;
  std::string effective;
  std::string ended;  // empty while in force
  std::vector<std::string> destinations;
  std::string destination_groups;
  std::vector<std::string> sources;
  std::string notes;
  std::vector<Clause> clauses;
  std::vector<Exclusion> exclusions;
  std::vector<LicenseException> license_exceptions;
  std::vector<LicensePolicy> license_policies;
  std::vector<NamedControl> named;
  std::string defined_in;
};

struct RuleBook {
  std::vector<Vintage> vintages;
  const Vintage* find(const std::string& id) const;
  std::vector<std::string> ids() const;
};

// Throws InputErrors. `catalog` resolves named chip ids.
RuleBook load_rule_book(const std::vector<TextSource>& sources, const Catalog& catalog);
RuleBook load_builtin_rule_book(const Catalog& catalog);

// The inputs a rule reads, for one reading of a chip's rates.
struct ChipMetrics {
  std::string chip_id;
  std::string reading;  // "all catalogued rates" or a TppVariant label
  // Why TPP is read this way, with its source. Estimate's inventory flags
  // count a chip as controlled when any of its readings is.
  std::string reading_source;
  std::optional<double> tpp;
  std::string tpp_basis;  // "fp8 1979 TFLOPS x 8"
  std::optional<double> die_area_mm2;
  std::optional<double> pd;
  std::optional<double> io_bidir_gbs;
  // Set when the source does not say the direction: io_bidir_gbs is then the
  // figure read as bidirectional and this as one way (2x); a bound holds or
  // fails only when it does for both.
  std::optional<double> io_bidir_gbs_if_one_way;
  std::string io_basis;
  std::optional<double> total_dram_bw_gbs;
  std::optional<bool> datacenter;
  std::optional<double> mbd_gbs_per_mm2;

  std::optional<double> value(Metric metric) const;
};

// Default reading first (every catalogued rate at its format's bit length,
// TF32 at 32), then one per TppVariant, then, when the TF32 rate at 32 bits
// sets the default TPP above every other rate, a reading without it (TF32
// keeps 19 bits, so counting it at 32 is the trackers' convention, not a
// settled reading of the rule).
std::vector<ChipMetrics> chip_metrics(const Chip& chip);

inline constexpr const char* kTf32Reading =
    "TF32 not counted at 32 bits (a 19-bit format): the other dense rates";

struct BoundCheck {
  Bound bound;
  std::optional<double> value;
  Truth holds = Truth::unknown;
};

struct ConditionCheck {
  Truth holds = Truth::unknown;
  std::vector<BoundCheck> bounds;
  std::optional<bool> datacenter_required;
  std::optional<bool> datacenter_value;
};

struct ClauseCheck {
  const Clause* clause = nullptr;
  ConditionCheck check;
};

struct Verdict {
  std::string vintage_id;
  // "3A090.a", "3A090.b", "outside 3A090", "not controlled", "undecided", or
  // "licence required (ID, DATE)" when a named control of the vintage covers
  // a chip the thresholds leave out.
  std::string status;
  bool controlled = false;
  Truth controlled_truth = Truth::no;
  std::string matched_clause;        // clause that decided, if any
  std::string thresholds_status;     // what the thresholds alone say, before exclusions
  std::string exclusion;             // id + effect when an exclusion applied
  std::vector<ClauseCheck> clauses;  // IC clauses, in rule order
  std::vector<std::string> missing;  // metrics a decision still needs
  std::vector<std::string> license_exceptions;
  std::string license_policy;  // "" when the vintage has none or the item is not controlled
  std::vector<std::string> named_effects;
  // Sources of the named control that set the status, when one did.
  std::vector<std::string> named_sources;
  std::vector<std::string> hbm_clauses;  // 3A090.c-style clauses, not evaluated for ICs
};

Verdict classify(const ChipMetrics& metrics, const Vintage& vintage);

struct Headroom {
  Metric metric = Metric::tpp;
  double value = 0;
  double threshold = 0;
  std::string clause;   // clause or policy id the threshold belongs to
  double margin = 0;    // value - threshold
  double relative = 0;  // value / threshold - 1
};

// For each metric the chip has, every threshold in the vintage, nearest first.
std::vector<Headroom> headroom(const ChipMetrics& metrics, const Vintage& vintage);

}  // namespace clustercap::export_control
