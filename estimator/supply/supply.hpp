// Supply over time (`[[supply]]` in scenario files): domestic production
// lines, HBM pools, die stockpiles, imports gated by export rules, smuggling,
// attrition and yearly budgets. Months are integers: year * 12 + (month - 1).
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "estimator/supply/wafer.hpp"

namespace clustercap::supply {

inline constexpr double kUnlimited = std::numeric_limits<double>::infinity();

using Month = int;
// "2025-03" or "2025-03-15" -> month index; nullopt when malformed.
std::optional<Month> parse_month(const std::string& text);
std::string month_text(Month month);  // "2025-03"

enum class SupplyKind { production, hbm_pool, die_stockpile, import, smuggling };
const char* to_string(SupplyKind kind);

struct SupplyItem {
  SupplyKind kind = SupplyKind::import;
  std::string name;   // unique label; pools and stockpiles are referred to by it
  std::string actor;  // actor name
  std::string chip_id;
  std::string system_id;  // empty: chip default
  std::string site;       // empty: the actor's first site
  Month start = 0;
  std::optional<Month> end;  // last active month, inclusive
  int ramp_months = 0;       // linear ramp to full rate over this many months

  // production
  double wafers_per_month = 0;
  double die_area_mm2 = 0;    // per die (derived from the chip when not given)
  double dies_per_wafer = 0;  // derived from die_area_mm2
  double yield = 1;           // good-die fraction (given, or from the defect model)
  double dies_per_package = 1;
  double hbm_stacks_per_package = 0;
  std::string hbm_pool;
  std::string die_stockpile;
  double stockpile_draw_per_month = kUnlimited;
  double packages_per_month = kUnlimited;

  // hbm_pool
  double stockpile_stacks = 0;
  double stacks_per_month = 0;

  // die_stockpile
  double dies = 0;

  // import, smuggling (smuggling is given per year and spread over months)
  double units_per_month = 0;
  bool licensed = false;
  double licensed_units_per_month = kUnlimited;

  std::optional<double> price_usd;  // per unit; needed when the actor has a yearly budget
  std::int64_t line = 0;

  bool active(Month m) const { return m >= start && (!end || m <= *end); }
  // Linear ramp: 1/ramp in the first month, full after `ramp_months`.
  double ramp(Month m) const;
};

struct TimelineSettings {
  Month start = 0;
  Month end = 0;  // inclusive
};

// A site's power may grow: from `from` on, the site supplies `power_w`.
struct SiteExpansion {
  std::string site;
  Month from = 0;
  double power_w = 0;
};

struct ActorSupply {
  double attrition_per_year = 0;              // share of the fleet failing or retired per year
  std::optional<double> budget_usd_per_year;  // caps purchases in each calendar year
  std::vector<SiteExpansion> expansions;
};

}  // namespace clustercap::supply
