#include "estimator/scenario/supply_loader.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "estimator/scenario/catalog_ids.hpp"
#include "estimator/scenario/inputs.hpp"
#include "estimator/supply/wafer.hpp"
#include "hardware/common/text_match.hpp"

namespace clustercap {
namespace {

using supply::SupplyItem;
using supply::SupplyKind;

const std::vector<std::string>& kind_names() {
  static const std::vector<std::string> names = {"production", "hbm_pool", "die_stockpile",
                                                 "import", "smuggling"};
  return names;
}

std::optional<SupplyKind> parse_kind(const std::string& text) {
  for (SupplyKind k : {SupplyKind::production, SupplyKind::hbm_pool, SupplyKind::die_stockpile,
                       SupplyKind::import, SupplyKind::smuggling}) {
    if (text == supply::to_string(k)) return k;
  }
  return std::nullopt;
}

void read_production(TableReader& r, SupplyItem& item, const Chip* chip) {
  item.wafers_per_month =
      r.number("wafers_per_month", input_range("supply[].wafers_per_month"), Presence::required)
          .value_or(0);
  const auto dies_per_package = r.integer("dies_per_package", Range::closed(1, 64));
  item.dies_per_package =
      dies_per_package ? static_cast<double>(*dies_per_package)
                       : static_cast<double>(chip && chip->compute_dies ? *chip->compute_dies : 1);
  if (auto area = r.number("die_area_mm2", Range::positive(5000))) {
    item.die_area_mm2 = *area;
  } else if (chip != nullptr && chip->die_area_mm2) {
    // The catalog's area covers every compute die in the package.
    item.die_area_mm2 = *chip->die_area_mm2 / item.dies_per_package;
  } else if (chip != nullptr) {
    r.error_missing("die_area_mm2", "required: the catalog has no die area for \"" + chip->id +
                                        "\", so dies per wafer cannot be computed");
  }
  item.dies_per_wafer = supply::dies_per_wafer(item.die_area_mm2);
  const auto given_yield = r.number("yield", input_range("supply[].yield"));
  const auto defects = r.number("defect_density_per_cm2", Range::non_negative(100));
  const auto model_name = r.string("yield_model");
  if (given_yield && defects) {
    r.error_at("defect_density_per_cm2", "give either yield or a defect density, not both");
  } else if (given_yield) {
    item.yield = *given_yield;
  } else if (defects) {
    const auto model = supply::parse_yield_model(model_name.value_or("poisson"));
    if (!model) {
      r.error_at("yield_model", "must be \"poisson\" or \"murphy\"");
    } else {
      item.yield = supply::die_yield(*model, item.die_area_mm2, *defects);
    }
  } else if (!r.has("yield") && !r.has("defect_density_per_cm2")) {
    r.error_missing("yield",
                    "required: a good-die fraction, or defect_density_per_cm2 with a "
                    "yield_model");
  }
  if (model_name && !defects) r.error_at("yield_model", "only used with defect_density_per_cm2");
  item.hbm_stacks_per_package =
      r.number("hbm_stacks_per_package", Range::closed(0, 64)).value_or(0);
  item.hbm_pool = r.string("hbm_pool").value_or("");
  if (item.hbm_stacks_per_package > 0 && item.hbm_pool.empty()) {
    r.error_missing("hbm_pool",
                    "required when hbm_stacks_per_package > 0: name an hbm_pool supply");
  } else if (!(item.hbm_stacks_per_package > 0) && !item.hbm_pool.empty()) {
    // Without stacks per package the pool would silently gate nothing.
    r.error_missing("hbm_stacks_per_package",
                    "required (> 0) when hbm_pool is named: the HBM stacks each "
                    "package takes from \"" +
                        item.hbm_pool + "\"");
  }
  item.die_stockpile = r.string("die_stockpile").value_or("");
  item.stockpile_draw_per_month =
      r.number("stockpile_draw_per_month", input_range("supply[].stockpile_draw_per_month"))
          .value_or(supply::kUnlimited);
  item.packages_per_month =
      r.number("packages_per_month", input_range("supply[].packages_per_month"))
          .value_or(supply::kUnlimited);
}

}  // namespace

std::optional<supply::Month> read_month(TableReader& reader, std::string_view key,
                                        Presence presence) {
  const auto text = reader.month(key, presence);
  if (!text) return std::nullopt;
  return supply::parse_month(*text);
}

void read_actor_supply_settings(TableReader& r, Actor& actor) {
  actor.supply.attrition_per_year =
      r.number("attrition_per_year", input_range("actor[].attrition_per_year")).value_or(0.0);
  actor.supply.budget_usd_per_year = r.number("budget_usd_per_year", Range::positive(1e15));
}

void read_site_expansions(TableReader& site_reader, const Site& site, Actor& actor) {
  // Two expansions of a site in one month: the later would silently win.
  std::map<supply::Month, std::pair<std::int64_t, std::int64_t>> month_at;  // -> line, column
  for (auto& r : site_reader.table_array("expansion")) {
    supply::SiteExpansion e;
    e.site = site.name;
    const auto from = read_month(r, "from", Presence::required);
    e.from = from.value_or(0);
    e.power_w =
        r.number("power_mw", input_range("actor[].site[].expansion[].power_mw"), Presence::required)
            .value_or(0) *
        1e6;
    r.report_unknown_keys();
    if (from) {
      const auto [first, fresh] = month_at.emplace(*from, std::make_pair(r.line(), r.column()));
      if (!fresh) {
        r.error_at("from", "a second expansion of this site in the same month; also defined at " +
                               file_position(r.file(), first->second.first, first->second.second));
      }
    }
    actor.supply.expansions.push_back(e);
  }
}

void read_timeline(TableReader& root, Scenario& scenario) {
  auto section = root.table("timeline");
  if (!section) return;
  const auto start = read_month(*section, "start", Presence::required);
  const auto end = read_month(*section, "end", Presence::required);
  if (start && end) {
    if (*end < *start) {
      section->error_at("end", "must not be before start (" + supply::month_text(*start) + ")");
    } else if (*end - *start > 12 * 50) {
      section->error_at("end", "the horizon must be at most 50 years");
    } else {
      scenario.timeline = supply::TimelineSettings{*start, *end};
    }
  }
  section->report_unknown_keys();
}

void read_supply(TableReader& root, Scenario& scenario, const Catalog& catalog) {
  std::map<std::string, std::string> names;  // actor + name -> where first defined
  std::vector<std::pair<TableReader, std::size_t>> readers;
  for (auto& r : root.table_array("supply")) {
    SupplyItem item;
    item.line = r.line();
    const auto kind_text = r.string("kind", Presence::required);
    const auto kind = kind_text ? parse_kind(*kind_text) : std::nullopt;
    if (!kind) {
      // Which keys belong here depends on the kind: check nothing else.
      if (kind_text) {
        r.error_at("kind", "must be one of production, hbm_pool, die_stockpile, import, smuggling" +
                               did_you_mean(*kind_text, kind_names()));
      }
      continue;
    }
    item.kind = *kind;
    item.actor = r.string("actor", Presence::required).value_or("");
    const Actor* actor = nullptr;
    for (const auto& a : scenario.actors) {
      if (a.name == item.actor) actor = &a;
    }
    if (!item.actor.empty() && actor == nullptr) {
      std::vector<std::string> actor_names;
      for (const auto& a : scenario.actors) actor_names.push_back(a.name);
      r.error_at("actor",
                 "is not an actor of this scenario" + did_you_mean(item.actor, actor_names));
    }
    const bool needs_chip = item.kind == SupplyKind::production ||
                            item.kind == SupplyKind::import || item.kind == SupplyKind::smuggling;
    const Chip* chip = nullptr;
    if (needs_chip) {
      item.chip_id = r.string("chip", Presence::required).value_or("");
      resolve_alias(r, "chip", item.chip_id, kChipIds, catalog, scenario.aliases_used);
      chip = catalog.find_chip(item.chip_id);
      if (!item.chip_id.empty() && chip == nullptr) {
        r.error_at("chip", "unknown chip id" +
                               did_you_mean(item.chip_id, id_candidates(catalog, kChipIds)));
      }
      item.system_id = r.string("system").value_or("");
      resolve_alias(r, "system", item.system_id, kSystemIds, catalog, scenario.aliases_used);
      if (!item.system_id.empty()) {
        const System* system = catalog.find_system(item.system_id);
        if (system == nullptr) {
          r.error_at("system",
                     "unknown system id" +
                         did_you_mean(item.system_id, id_candidates(catalog, kSystemIds)));
        } else if (system->chip_id != item.chip_id) {
          r.error_at("system", "holds \"" + system->chip_id + "\", not \"" + item.chip_id + "\"");
        }
      }
      item.site = r.string("site").value_or("");
      if (actor != nullptr) {
        if (!item.site.empty()) {
          std::vector<std::string> sites;
          for (const auto& s : actor->sites) sites.push_back(s.name);
          if (std::find(sites.begin(), sites.end(), item.site) == sites.end()) {
            r.error_at("site", "is not a site of actor \"" + actor->name + "\"" +
                                   did_you_mean(item.site, sites));
          }
        } else if (!actor->sites.empty()) {
          item.site = actor->sites.front().name;
        }
      }
      item.price_usd = r.number("price_usd", Range::positive(1e9));
      if (!item.price_usd && chip != nullptr) item.price_usd = chip->price_usd;
      if (actor != nullptr && actor->supply.budget_usd_per_year && !item.price_usd) {
        r.error_missing("price_usd",
                        "required: the actor has budget_usd_per_year and the catalog "
                        "has no price for \"" +
                            item.chip_id + "\"");
      }
    }
    item.name = r.string("name").value_or("");
    if (item.name.empty()) {
      if (!needs_chip) {
        r.error_missing("name", "required for an " + std::string(supply::to_string(item.kind)) +
                                    ": production lines refer to it by name");
      }
      item.name = std::string(supply::to_string(item.kind)) + " " + item.chip_id;
    }
    if (const auto [first, fresh] = names.emplace(item.actor + "\n" + item.name, r.location());
        !fresh) {
      r.error_at("name",
                 "duplicate supply name for this actor; give each line a distinct name (also "
                 "defined at " +
                     first->second + ")");
    }
    item.start = read_month(r, "start", Presence::required).value_or(0);
    item.end = read_month(r, "end", Presence::optional);
    if (item.end && *item.end < item.start) {
      r.error_at("end", "must not be before start (" + supply::month_text(item.start) + ")");
    }
    item.ramp_months =
        static_cast<int>(r.integer("ramp_months", Range::closed(0, 600)).value_or(0));
    switch (item.kind) {
      case SupplyKind::production:
        read_production(r, item, chip);
        break;
      case SupplyKind::hbm_pool:
        item.stockpile_stacks =
            r.number("stockpile_stacks", input_range("supply[].stockpile_stacks")).value_or(0);
        item.stacks_per_month =
            r.number("stacks_per_month", input_range("supply[].stacks_per_month")).value_or(0);
        break;
      case SupplyKind::die_stockpile:
        item.dies = r.number("dies", input_range("supply[].dies"), Presence::required).value_or(0);
        break;
      case SupplyKind::import:
        item.units_per_month =
            r.number("units_per_month", input_range("supply[].units_per_month"), Presence::required)
                .value_or(0);
        item.licensed = r.boolean("licensed").value_or(false);
        item.licensed_units_per_month =
            r.number("licensed_units_per_month", input_range("supply[].licensed_units_per_month"))
                .value_or(supply::kUnlimited);
        break;
      case SupplyKind::smuggling:
        item.units_per_month =
            r.number("units_per_year", input_range("supply[].units_per_year"), Presence::required)
                .value_or(0) /
            12.0;
        break;
    }
    r.report_unknown_keys();
    readers.emplace_back(r, scenario.supply.size());
    scenario.supply.push_back(std::move(item));
  }
  // Pools and stockpiles a line names must exist, belong to its actor and be of the right kind.
  for (auto& entry : readers) {
    TableReader& r = entry.first;
    const SupplyItem& item = scenario.supply[entry.second];
    auto check_ref = [&](const std::string& name, SupplyKind kind, const char* key) {
      if (name.empty()) return;
      const auto it =
          std::find_if(scenario.supply.begin(), scenario.supply.end(), [&](const SupplyItem& s) {
            return s.actor == item.actor && s.name == name && s.kind == kind;
          });
      if (it == scenario.supply.end()) {
        r.error_at(key, "names no " + std::string(supply::to_string(kind)) + " supply of actor \"" +
                            item.actor + "\"");
      }
    };
    check_ref(item.hbm_pool, SupplyKind::hbm_pool, "hbm_pool");
    check_ref(item.die_stockpile, SupplyKind::die_stockpile, "die_stockpile");
  }
  // A [timeline] that is there but invalid has its own errors already.
  if (!scenario.supply.empty() && !scenario.timeline && !root.has("timeline")) {
    root.error_missing("timeline", "a [timeline] with start and end is required with [[supply]]");
  }
  if (!scenario.supply.empty() && scenario.timeline) {
    const auto date = supply::parse_month(scenario.date);
    if (date && *date < scenario.timeline->start) {
      if (auto section = root.table("scenario")) {
        section->error_at("date", "is before the timeline's start (" +
                                      supply::month_text(scenario.timeline->start) +
                                      "); estimate runs the supply up to this date");
      }
    }
  }
}

}  // namespace clustercap
