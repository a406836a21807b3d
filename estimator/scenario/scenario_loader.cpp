#include "estimator/scenario/scenario_loader.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "estimator/model/wan.hpp"
#include "estimator/scenario/catalog_ids.hpp"
#include "estimator/scenario/inputs.hpp"
#include "estimator/scenario/set_override.hpp"
#include "estimator/scenario/supply_loader.hpp"
#include "estimator/scenario/sweep_loader.hpp"
#include "estimator/scenario/workload_loader.hpp"
#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"
#include "power/system_power.hpp"

namespace clustercap {

const std::vector<std::pair<std::string_view, std::string_view>>& embedded_config_files();

const char* to_string(SupplySource source) {
  switch (source) {
    case SupplySource::unspecified:
      return "unspecified";
    case SupplySource::imports:
      return "imports";
    case SupplySource::smuggled:
      return "smuggled";
    case SupplySource::domestic:
      return "domestic";
    case SupplySource::stockpile:
      return "stockpile";
  }
  return "unspecified";
}

const char* to_string(MfuModel model) {
  switch (model) {
    case MfuModel::step_model:
      return "step-model";
    case MfuModel::prior:
      return "prior";
  }
  return "step-model";
}

namespace {

using sweep::Target;

// Keys a sweep can vary are read with their input-table range (inputs.hpp).
const Range& range_of(Target target) { return input_spec(target).range; }

const std::vector<std::string>& source_names() {
  static const std::vector<std::string> names = {"imports", "smuggled", "domestic", "stockpile",
                                                 "unspecified"};
  return names;
}

std::optional<SupplySource> parse_source(const std::string& text) {
  for (SupplySource s : {SupplySource::imports, SupplySource::smuggled, SupplySource::domestic,
                         SupplySource::stockpile, SupplySource::unspecified}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "\"" : ", \"") + item + "\"";
  return text;
}

// Records each of `keys` that `section` (none: the section is absent) does
// not write as defaulted at its current value in `scenario`.
void note_defaults(Scenario& scenario, const std::optional<TableReader>& section,
                   const std::string& section_name,
                   const std::vector<std::pair<const char*, double>>& keys) {
  for (const auto& [key, value] : keys) {
    if (section && section->has(key)) continue;
    scenario.defaulted.push_back({section_name + "." + key, value, "", DefaultSource::code, ""});
  }
}

void read_scenario_section(TableReader& root, Scenario& scenario, const Catalog& catalog) {
  auto section = root.table("scenario", Presence::required);
  if (!section) return;
  scenario.name = section->string("name", Presence::required).value_or("");
  scenario.date = section->date("date").value_or("");
  scenario.description = section->string("description").value_or("");
  if (auto rule = section->string("export_rule")) {
    const export_control::RuleBook book = export_control::load_builtin_rule_book(catalog);
    if (const auto* vintage = book.find(*rule)) {
      scenario.export_rule = *vintage;
      for (const auto& v : book.vintages) {
        if (v.effective <= vintage->effective) scenario.export_rule_history.push_back(v);
      }
    } else {
      section->error_at("export_rule", "unknown rule vintage" + did_you_mean(*rule, book.ids()) +
                                           "; known: " + quoted_list(book.ids()));
    }
  }
  section->report_unknown_keys();
}

// `mfu_basis`: why the table's own `mfu` is used (a source, a measured run);
// reports print it with the MFU, so it means nothing without that mfu.
std::string read_mfu_basis(TableReader& reader, bool has_mfu) {
  const auto text = reader.string("mfu_basis");
  if (!text) return "";
  if (text->find_first_not_of(" \t") == std::string::npos) {
    reader.error_at("mfu_basis", "must say why this mfu is used (a source or a measured run)");
  } else if (!has_mfu) {
    reader.error_at("mfu_basis", "explains an mfu, but this table sets none; add mfu or remove it");
  }
  return *text;
}

void read_training(TableReader& root, Scenario& scenario) {
  auto section = root.table("training", Presence::required);
  if (!section) return;
  TrainingSettings& t = scenario.training;
  if (auto text = section->string("precision")) {
    auto precision = parse_precision(*text);
    if (precision && (*precision == Precision::fp64 || *precision == Precision::int8)) {
      section->error_at("precision",
                        "is not a training precision; use bf16, fp16, fp8, fp4, "
                        "tf32 or fp32");
    } else if (precision) {
      t.precision = *precision;
    } else {
      section->error_at("precision",
                        "must be one of \"bf16\", \"fp16\", \"fp8\", \"fp4\", "
                        "\"tf32\", \"fp32\"");
    }
  }
  if (auto days =
          section->number("duration_days", range_of(Target::duration_s), Presence::required)) {
    t.duration_s = *days * input_spec(Target::duration_s).scale_to_si;
  }
  t.goodput = section->number("goodput", range_of(Target::goodput)).value_or(t.goodput);
  t.mfu = section->number("mfu", range_of(Target::mfu));
  t.mfu_basis = read_mfu_basis(*section, t.mfu.has_value());
  if (auto text = section->string("mfu_model")) {
    const std::vector<std::string> names = {to_string(MfuModel::step_model),
                                            to_string(MfuModel::prior)};
    if (*text == names[0]) {
      t.mfu_model = MfuModel::step_model;
    } else if (*text == names[1]) {
      t.mfu_model = MfuModel::prior;
    } else {
      section->error_at("mfu_model",
                        "must be one of " + quoted_list(names) + did_you_mean(*text, names));
    }
  }
  t.bytes_per_param = section->number("bytes_per_param", range_of(Target::bytes_per_param))
                          .value_or(t.bytes_per_param);
  t.activation_memory_fraction =
      section->number("activation_memory_fraction", range_of(Target::activation_memory_fraction))
          .value_or(t.activation_memory_fraction);
  t.max_tokens = section->number("max_tokens", range_of(Target::max_tokens));
  const auto rate = section->number("interruptions_per_chip_day", Range::positive(1));
  const auto restart = section->number("restart_hours", Range::non_negative(1000));
  const auto interval = section->number("checkpoint_interval_hours", Range::non_negative(1000));
  if (rate || restart || interval) {
    if (!rate || !restart || !interval) {
      section->error_missing(
          !rate      ? "interruptions_per_chip_day"
          : !restart ? "restart_hours"
                     : "checkpoint_interval_hours",
          "the failure model needs interruptions_per_chip_day, restart_hours and "
          "checkpoint_interval_hours together");
    } else if (section->has("goodput")) {
      section->error_at("goodput", "give goodput or the failure model, not both");
    } else {
      t.failures = model::FailureModel{*rate, *restart, *interval};
    }
  }
  // Training across WAN-linked sites (scenario.hpp); unused without links.
  t.batch_tokens = section->number("batch_tokens", Range::positive(1e12));
  const auto every = section->integer("sync_every_steps", range_of(Target::sync_every_steps));
  t.sync_every_steps = static_cast<int>(every.value_or(1));
  // A distribution of sync_every_steps has samples above 1 whatever its median.
  const bool every_varies =
      std::any_of(scenario.sweep.inputs.begin(), scenario.sweep.inputs.end(),
                  [](const auto& in) { return in.indexed_key == "training.sync_every_steps"; });
  const auto penalty = section->number("sync_penalty", range_of(Target::sync_penalty));
  // A value already reported as invalid says nothing about the other key.
  const bool reported =
      (section->has("sync_every_steps") && !every) || (section->has("sync_penalty") && !penalty);
  if (!reported && (t.sync_every_steps > 1 || every_varies) && !penalty) {
    section->error_missing("sync_penalty",
                           std::string(every_varies ? "required when sync_every_steps varies"
                                                    : "required when sync_every_steps > 1") +
                               ": infrequent synchronisation costs efficiency (DiLoCo, arXiv "
                               "2311.08105); give the share lost and its source");
  } else if (!reported && penalty && t.sync_every_steps == 1 && !every_varies) {
    section->error_at("sync_penalty", "applies only with sync_every_steps > 1");
  }
  t.sync_penalty = penalty.value_or(0.0);
  t.sync_penalty_basis = section->string("sync_penalty_basis").value_or("");
  // goodput has no default beside the failure model, which replaces it.
  for (const auto& [key, name] :
       {std::pair<const char*, std::string>{"precision", std::string(to_string(t.precision))},
        {"mfu_model", to_string(t.mfu_model)}}) {
    if (!section->has(key))
      scenario.defaulted.push_back(
          {std::string("training.") + key, 0.0, name, DefaultSource::code, ""});
  }
  note_defaults(scenario, section, "training",
                {{"bytes_per_param", t.bytes_per_param},
                 {"activation_memory_fraction", t.activation_memory_fraction}});
  if (!t.failures) note_defaults(scenario, section, "training", {{"goodput", t.goodput}});
  section->report_unknown_keys();
}

void read_network(TableReader& root, Scenario& scenario) {
  auto section = root.table("network");
  model::FabricSpec& f = scenario.network;
  note_defaults(scenario, section, "network",
                {{"switch_radix", f.switch_radix},
                 {"max_tiers", f.max_tiers},
                 {"planes", f.planes},
                 {"port_gbps", f.port_gbps},
                 {"nic_transceiver_w", f.nic_transceiver_w},
                 {"switch_transceiver_w", f.switch_transceiver_w},
                 {"switch_ports_per_transceiver", f.switch_ports_per_transceiver},
                 {"switch_w", f.switch_w}});
  if (!(section && section->has("copper_first_tier"))) {
    scenario.defaulted.push_back({"network.copper_first_tier", f.copper_first_tier ? 1.0 : 0.0,
                                  f.copper_first_tier ? "true" : "false", DefaultSource::code, ""});
  }
  if (!section) return;
  if (auto radix = section->integer("switch_radix", Range::closed(4, 4096))) {
    if (*radix % 2 != 0) {
      section->error_at("switch_radix", "must be even (half the ports face down, half up)");
    } else {
      f.switch_radix = static_cast<double>(*radix);
    }
  }
  f.max_tiers =
      static_cast<int>(section->integer("max_tiers", Range::closed(1, 6)).value_or(f.max_tiers));
  f.planes = static_cast<int>(section->integer("planes", Range::closed(1, 64)).value_or(f.planes));
  f.port_gbps = section->number("port_gbps", Range::positive(1e5)).value_or(f.port_gbps);
  f.nic_transceiver_w = section->number("nic_transceiver_w", range_of(Target::nic_transceiver_w))
                            .value_or(f.nic_transceiver_w);
  f.switch_transceiver_w =
      section->number("switch_transceiver_w", range_of(Target::switch_transceiver_w))
          .value_or(f.switch_transceiver_w);
  f.switch_ports_per_transceiver =
      static_cast<int>(section->integer("switch_ports_per_transceiver", Range::closed(1, 16))
                           .value_or(f.switch_ports_per_transceiver));
  f.switch_w = section->number("switch_w", range_of(Target::switch_w)).value_or(f.switch_w);
  f.copper_first_tier = section->boolean("copper_first_tier").value_or(f.copper_first_tier);
  section->report_unknown_keys();
}

// [cost]: prices beyond the systems' (model/cost.hpp, docs/costs.md).
void read_cost(TableReader& root, Scenario& scenario) {
  auto section = root.table("cost");
  model::CostSpec& c = scenario.cost;
  const double years = input_spec(Target::cost_depreciation_years).scale_to_si;
  const double per_mw = input_spec(Target::cost_facility_usd_per_mw).scale_to_si;
  note_defaults(scenario, section, "cost",
                {{"switch_usd", c.switch_usd},
                 {"transceiver_usd", c.transceiver_usd},
                 {"facility_usd_per_mw", c.facility_usd_per_w / per_mw},
                 {"opex_fraction_per_year", c.opex_fraction_per_year},
                 {"depreciation_years", c.depreciation_s / years}});
  if (!section) return;
  c.switch_usd =
      section->number("switch_usd", range_of(Target::cost_switch_usd)).value_or(c.switch_usd);
  c.transceiver_usd = section->number("transceiver_usd", range_of(Target::cost_transceiver_usd))
                          .value_or(c.transceiver_usd);
  if (auto v = section->number("facility_usd_per_mw", range_of(Target::cost_facility_usd_per_mw)))
    c.facility_usd_per_w = *v * per_mw;
  c.opex_fraction_per_year =
      section->number("opex_fraction_per_year", range_of(Target::cost_opex_fraction_per_year))
          .value_or(c.opex_fraction_per_year);
  if (auto v = section->number("depreciation_years", range_of(Target::cost_depreciation_years)))
    c.depreciation_s = *v * years;
  section->report_unknown_keys();
}

void read_power(TableReader& root, Scenario& scenario) {
  auto section = root.table("power");
  power::GenericServer& g = scenario.generic_server;
  note_defaults(scenario, section, "power",
                {{"system_overhead", g.system_overhead}, {"chips_per_server", g.chips_per_server}});
  if (!section) return;
  g.system_overhead = section->number("system_overhead", range_of(Target::system_overhead))
                          .value_or(g.system_overhead);
  g.chips_per_server = static_cast<int>(
      section->integer("chips_per_server", Range::closed(1, 4096)).value_or(g.chips_per_server));
  section->report_unknown_keys();
}

Site read_site(TableReader& reader, Actor& actor) {
  Site site;
  site.name = reader.string("name", Presence::required).value_or("");
  if (auto mw = reader.number("power_mw", range_of(Target::site_power_w), Presence::required)) {
    site.power_w = *mw * input_spec(Target::site_power_w).scale_to_si;
  }
  site.pue =
      reader.number("pue", range_of(Target::site_pue), Presence::required).value_or(site.pue);
  if (auto price = reader.number("electricity_usd_per_mwh",
                                 range_of(Target::site_electricity_usd_per_mwh))) {
    site.electricity_usd_per_mwh = *price;
  } else {
    const double by_country = model::default_electricity_usd_per_mwh(actor.country.c_str());
    site.electricity_usd_per_mwh =
        by_country > 0 ? by_country : model::kDefaultElectricityUsdPerMwh;
    site.electricity_defaulted = true;
  }
  read_site_expansions(reader, site, actor);
  reader.report_unknown_keys();
  return site;
}

// [[actor.link]]: a WAN link between two of the actor's sites.
void read_links(TableReader& reader, Actor& actor) {
  std::vector<std::string> names;
  for (const auto& site : actor.sites) names.push_back(site.name);
  std::map<std::pair<int, int>, std::string> pairs;  // -> where first defined
  for (auto& lr : reader.table_array("link")) {
    SiteLink link;
    link.line = lr.position("sites").first;
    const auto sites = lr.string_list("sites", Presence::required);
    bool sites_ok = false;
    if (sites && sites->size() != 2) {
      lr.error_at("sites", "must name two sites");
    } else if (sites) {
      int index[2] = {-1, -1};
      for (int k = 0; k < 2; ++k) {
        const std::string& name = (*sites)[static_cast<std::size_t>(k)];
        for (std::size_t si = 0; si < names.size(); ++si)
          if (names[si] == name) index[k] = static_cast<int>(si);
        if (index[k] < 0)
          lr.error_at("sites",
                      "\"" + name + "\" is not a site of this actor" + did_you_mean(name, names));
      }
      if (index[0] >= 0 && index[1] >= 0 && index[0] == index[1]) {
        lr.error_at("sites", "links a site to itself; name two different sites");
      } else if (index[0] >= 0 && index[1] >= 0) {
        link.site_a = (*sites)[0];
        link.site_b = (*sites)[1];
        link.a = index[0];
        link.b = index[1];
        const auto [first, fresh] = pairs.emplace(std::minmax(link.a, link.b), lr.location());
        if (!fresh)
          lr.error_at("sites", "these sites are already linked at " + first->second +
                                   "; give one link per pair");
        sites_ok = fresh;
      }
    }
    if (auto tbps =
            lr.number("bandwidth_tbps", range_of(Target::link_bandwidth_tbps), Presence::required))
      link.bandwidth_bits_per_s = *tbps * input_spec(Target::link_bandwidth_tbps).scale_to_si;
    const auto km = lr.number("distance_km", range_of(Target::link_distance_km));
    const auto ms = lr.number("latency_ms", range_of(Target::link_latency_ms));
    if (km && ms) {
      lr.error_at("latency_ms", "give distance_km or latency_ms, not both");
    } else if (!km && !ms) {
      // An invalid value was reported where it is; only a missing one here.
      if (!lr.has("distance_km") && !lr.has("latency_ms"))
        lr.error_missing("distance_km", "a link needs distance_km or latency_ms");
    } else if (km) {
      link.distance_km = km;
      link.latency_s = *km / model::kFiberKmPerS;
    } else {
      link.latency_s = *ms / 1e3;
    }
    link.availability =
        lr.number("availability", range_of(Target::link_availability)).value_or(1.0);
    lr.report_unknown_keys();
    if (sites_ok) actor.links.push_back(link);
  }
}

// True when the model can use the line's chip (in its system) under the
// scenario's precision and MFU settings: see missing_for_estimate.
bool line_usable(const InventoryLine& line, const Scenario& scenario, const Catalog& catalog) {
  const Chip* chip = catalog.find_chip(line.chip_id);
  if (chip == nullptr) return false;
  const std::string& system_id = line.system_id.empty() ? chip->default_system : line.system_id;
  const System* system = system_id.empty() ? nullptr : catalog.find_system(system_id);
  return missing_for_estimate(*chip, system, scenario.training.precision,
                              mfu_supplied(line.mfu, scenario.training, *chip))
      .empty();
}

// Checks one inventory line against the catalog and settings. A chip the
// model cannot use is an error only when `report_unusable` (no line of the
// actor is usable); otherwise the estimate leaves the line out with a
// warning naming what is missing.
void check_inventory_line(TableReader& reader, const InventoryLine& line, const Actor& actor,
                          const Scenario& scenario, const Catalog& catalog, bool report_unusable) {
  const Chip* chip = catalog.find_chip(line.chip_id);
  if (chip == nullptr) {
    if (line.chip_id.empty()) return;  // already reported as missing/invalid
    // A system's id or alias where the chip belongs ("cm384").
    const IdLookup as_system = look_up_id(line.chip_id, catalog, kSystemIds);
    if (const System* system = catalog.find_system(
            as_system.result == IdLookup::Result::alias ? as_system.id : line.chip_id)) {
      reader.error_at("chip", system->chip_id.empty()
                                  ? "is a system, not a chip, and its chip is not in the catalog"
                                  : "is a system, not a chip; use chip = \"" + system->chip_id +
                                        "\" with system = \"" + system->id + "\"");
    } else {
      reader.error_at(
          "chip", "unknown chip id" + did_you_mean(line.chip_id, id_candidates(catalog, kChipIds)));
    }
    return;
  }
  const System* system = nullptr;
  if (!line.system_id.empty()) {
    system = catalog.find_system(line.system_id);
    if (system == nullptr) {
      reader.error_at(
          "system",
          "unknown system id" + did_you_mean(line.system_id, id_candidates(catalog, kSystemIds)));
      return;
    }
    if (system->chip_id != chip->id) {
      reader.error_at("system", "holds \"" + system->chip_id + "\", not \"" + chip->id + "\"");
      return;
    }
    if (!system->chips) {
      reader.error_at("system", "has no chip count in the catalog");
      return;
    }
  } else if (!chip->default_system.empty()) {
    system = catalog.find_system(chip->default_system);
  }
  // When no line of the actor is usable, each says why (a usable actor's
  // unusable lines are left to the estimate's warnings).
  if (report_unusable) {
    if (!power::has_power_basis(*chip, system)) {
      reader.error_at("chip", system == nullptr
                                  ? "has no tdp_w and no system in the catalog; add tdp_w with "
                                    "--hardware"
                                  : "has no tdp_w in the catalog and system \"" + system->id +
                                        "\" has no IT power_kw; add tdp_w with --hardware");
    }
    const Precision precision = scenario.training.precision;
    if (!chip->peak_flops(precision)) {
      reader.error_at("chip", "has no dense " + std::string(to_string(precision)) +
                                  " peak in the catalog; choose another [training] precision");
    } else if (!mfu_supplied(line.mfu, scenario.training, *chip) && !chip->mfu_prior(precision)) {
      // Under the step model the chip's HBM bandwidth would do instead.
      reader.error_at("chip",
                      "has no " + std::string(to_string(precision)) +
                          (scenario.training.mfu_model == MfuModel::step_model
                               ? " MFU prior and no hbm_bw_tbs (the step model's) in the "
                                 "catalog; set mfu here or in [training]"
                               : " MFU prior in the catalog; set mfu here or in [training]"));
    }
    if (!chip->hbm_bytes) {
      reader.error_at("chip", "has no hbm_gb in the catalog (needed by the memory-fit check)");
    }
  }
  if (actor.budget_usd && !line.price_usd && !(system != nullptr && system->price_usd) &&
      !chip->price_usd) {
    reader.error_missing("price_usd",
                         "required: the actor has budget_usd and the catalog has no "
                         "price for \"" +
                             chip->id + "\"");
  }
  if (!line.site.empty()) {
    std::vector<std::string> names;
    for (const auto& site : actor.sites) names.push_back(site.name);
    bool found = false;
    for (const auto& name : names) found = found || name == line.site;
    if (!found)
      reader.error_at("site", "is not a site of this actor" + did_you_mean(line.site, names));
  } else if (actor.sites.size() > 1 && !actor.centralize) {
    reader.error_missing("site",
                         "required when the actor has more than one site and "
                         "centralize = false");
  }
}

// Lines of one chip and system at one site (at any site when the actor
// centralises) pool into one cluster, which runs at the first line's mfu and
// buys at its price: a later line's differing mfu or price_usd, or a
// distribution on one, would be silently ignored.
void check_pooled_lines(std::vector<TableReader>& readers, const Actor& actor,
                        const Scenario& scenario, const Catalog& catalog) {
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> first_of;
  for (std::size_t i = 0; i < readers.size(); ++i) {
    const InventoryLine& line = actor.inventory[i];
    const Chip* chip = catalog.find_chip(line.chip_id);
    if (chip == nullptr) continue;  // reported
    std::string site = actor.centralize ? "" : line.site;
    if (site.empty() && !actor.centralize && !actor.sites.empty()) site = actor.sites.front().name;
    const auto key = std::make_tuple(
        chip->id, line.system_id.empty() ? chip->default_system : line.system_id, site);
    const auto [first, fresh] = first_of.emplace(key, i);
    if (fresh) continue;
    const InventoryLine& pooled = actor.inventory[first->second];
    const std::string where = readers[first->second].location();
    auto is_distribution = [&](const std::string& indexed) {
      return std::any_of(
          scenario.sweep.inputs.begin(), scenario.sweep.inputs.end(),
          [&](const sweep::UncertainInput& in) { return in.indexed_key == indexed; });
    };
    for (const char* key_name : {"mfu", "price_usd"}) {
      const bool is_mfu = std::string(key_name) == "mfu";
      const std::optional<double>& mine = is_mfu ? line.mfu : line.price_usd;
      const std::optional<double>& theirs = is_mfu ? pooled.mfu : pooled.price_usd;
      const bool sampled = is_distribution(readers[i].indexed_key(key_name)) ||
                           is_distribution(readers[first->second].indexed_key(key_name));
      if (mine == theirs && !(sampled && mine)) continue;
      const std::string rule = "pools with the line at " + where +
                               " (same chip, system and site: one cluster, "
                               "which takes that line's " +
                               key_name + "); give the lines one " + key_name +
                               " (not a distribution) or merge them";
      if (mine) {
        readers[i].error_at(key_name, rule);
      } else {
        readers[i].error_missing(key_name, rule);
      }
    }
  }
}

InventoryLine read_inventory_line(TableReader& reader) {
  InventoryLine line;
  line.line = reader.line();
  line.chip_id = reader.string("chip", Presence::required).value_or("");
  if (auto count = reader.integer("count", range_of(Target::inventory_count), Presence::required)) {
    line.count = static_cast<double>(*count);
  }
  line.system_id = reader.string("system").value_or("");
  if (auto text = reader.string("source")) {
    if (auto source = parse_source(*text)) {
      line.source = *source;
    } else {
      reader.error_at("source", "must be one of " + quoted_list(source_names()) +
                                    did_you_mean(*text, source_names()));
    }
  }
  line.site = reader.string("site").value_or("");
  line.price_usd = reader.number("price_usd", range_of(Target::inventory_price_usd));
  line.mfu = reader.number("mfu", range_of(Target::inventory_mfu));
  line.mfu_basis = read_mfu_basis(reader, line.mfu.has_value());
  reader.report_unknown_keys();
  return line;
}

// Sites without an electricity price use their country's (or the US
// figure): listed once per price among the defaults.
void note_electricity_defaults(Scenario& scenario, const Actor& actor) {
  const std::string key = "actor.site.electricity_usd_per_mwh";
  for (const Site& site : actor.sites) {
    if (!site.electricity_defaulted) continue;
    const bool listed = std::any_of(
        scenario.defaulted.begin(), scenario.defaulted.end(),
        [&](const auto& d) { return d.key == key && d.value == site.electricity_usd_per_mwh; });
    if (!listed)
      scenario.defaulted.push_back(
          {key, site.electricity_usd_per_mwh, "", DefaultSource::code, ""});
  }
}

void read_actors(TableReader& root, Scenario& scenario, const Catalog& catalog) {
  const std::vector<std::string> root_keys = root.keys();
  std::map<std::string, std::string> actor_names;  // -> where first defined
  for (auto& reader : root.table_array("actor", Presence::required)) {
    Actor actor;
    actor.name = reader.string("name", Presence::required).value_or("");
    if (!actor.name.empty()) {
      const auto [first, fresh] = actor_names.emplace(actor.name, reader.location());
      if (!fresh) reader.error_at("name", "duplicate actor name; also defined at " + first->second);
    }
    actor.centralize = reader.boolean("centralize").value_or(false);
    if (auto country = reader.string("country")) {
      const bool iso = country->size() == 2 &&
                       std::isupper(static_cast<unsigned char>((*country)[0])) &&
                       std::isupper(static_cast<unsigned char>((*country)[1]));
      if (iso) {
        actor.country = *country;
      } else {
        reader.error_at("country", "must be a two-letter ISO country code such as \"CN\"");
      }
    }
    actor.budget_usd = reader.number("budget_usd", range_of(Target::actor_budget_usd));
    read_actor_supply_settings(reader, actor);

    if (scenario.export_rule && actor.country.empty()) {
      reader.error_missing("country",
                           "required when [scenario] export_rule is set: the rule "
                           "applies by destination");
    }
    std::map<std::string, std::string> site_names;  // -> where first defined
    for (auto& site_reader : reader.table_array("site", Presence::required)) {
      actor.sites.push_back(read_site(site_reader, actor));
      const std::string& name = actor.sites.back().name;
      if (name.empty()) continue;
      const auto [first, fresh] = site_names.emplace(name, site_reader.location());
      if (!fresh) {
        site_reader.error_at("name",
                             "duplicate site name in this actor; also defined at " + first->second);
      }
    }
    read_links(reader, actor);
    // With [[supply]] an actor may start empty and be filled by its lines.
    const auto top_keys = root_keys;
    const bool has_supply = std::find(top_keys.begin(), top_keys.end(), "supply") != top_keys.end();
    auto inventory_readers =
        reader.table_array("inventory", has_supply ? Presence::optional : Presence::required);
    for (auto& line_reader : inventory_readers) {
      actor.inventory.push_back(read_inventory_line(line_reader));
      InventoryLine& line = actor.inventory.back();
      resolve_alias(line_reader, "chip", line.chip_id, kChipIds, catalog, scenario.aliases_used);
      resolve_alias(line_reader, "system", line.system_id, kSystemIds, catalog,
                    scenario.aliases_used);
    }
    // Lines the model cannot use are errors only when none of the actor's is usable.
    const bool any_usable = std::any_of(
        actor.inventory.begin(), actor.inventory.end(),
        [&](const InventoryLine& line) { return line_usable(line, scenario, catalog); });
    for (std::size_t i = 0; i < inventory_readers.size(); ++i) {
      check_inventory_line(inventory_readers[i], actor.inventory[i], actor, scenario, catalog,
                           !any_usable);
    }
    check_pooled_lines(inventory_readers, actor, scenario, catalog);
    reader.report_unknown_keys();
    note_electricity_defaults(scenario, actor);
    scenario.actors.push_back(std::move(actor));
  }
}

void check_reference(TableReader& reader, const std::string& id, const Scenario& scenario,
                     const Catalog& catalog) {
  const ReferenceCluster* cluster = catalog.find_cluster(id);
  if (cluster == nullptr) {
    reader.error_at("id", "unknown reference cluster id" +
                              did_you_mean(id, id_candidates(catalog, kClusterIds)));
    return;
  }
  if (cluster->chip_id.empty() || !cluster->chip_count) {
    reader.error_at("id",
                    "has no chip type and count in the catalog, so its FLOP/s cannot be "
                    "compared");
    return;
  }
  const Precision precision = scenario.training.precision;
  for (const std::string& chip_id : {cluster->chip_id, cluster->chip_secondary_id}) {
    if (chip_id.empty()) continue;
    const Chip* chip = catalog.find_chip(chip_id);
    if (chip == nullptr || !chip->peak_flops(precision) || !chip->mfu_prior(precision)) {
      reader.error_at("id", "its chip \"" + chip_id + "\" has no " +
                                std::string(to_string(precision)) +
                                " peak and MFU prior in the catalog");
    }
  }
}

void read_references(TableReader& root, Scenario& scenario, const Catalog& catalog) {
  std::map<std::string, std::string> seen;  // -> where first listed
  for (auto& reader : root.table_array("reference")) {
    auto id = reader.string("id", Presence::required);
    reader.report_unknown_keys();
    if (!id) continue;
    resolve_alias(reader, "id", *id, kClusterIds, catalog, scenario.aliases_used);
    if (id->empty()) continue;
    if (const auto [first, fresh] = seen.emplace(*id, reader.location()); !fresh) {
      reader.error_at("id", "duplicate reference; also listed at " + first->second);
      continue;
    }
    check_reference(reader, *id, scenario, catalog);
    scenario.reference_ids.push_back(*id);
  }
}

}  // namespace

Scenario load_scenario_text(const std::string& name, const std::string& text,
                            const Catalog& catalog, const std::vector<std::string>& sources,
                            const std::vector<std::string>& sets) {
  Diagnostics diagnostics;
  Scenario scenario;
  scenario.file = name;
  auto document = parse_toml(name, text, diagnostics);
  diagnostics.throw_if_any();
  // Each --set edits the parsed table; the values it brings are then read and
  // checked below exactly as the file's (set_override.hpp). A set that cannot
  // be applied is reported with the loader's errors.
  std::vector<SetOverride> overrides = parse_sets(sets, diagnostics);
  apply_sets(*document, overrides, diagnostics);
  TableReader root(*document, "", name, diagnostics);
  root.allow_distributions(distribution_handler(scenario));
  // The source preference first: sourced values pick their estimate as read.
  read_sources_section(root, scenario, sources);
  read_scenario_section(root, scenario, catalog);
  // Settings first: inventory checks depend on precision, MFU and budgets.
  read_training(root, scenario);
  read_network(root, scenario);
  read_power(root, scenario);
  read_cost(root, scenario);
  read_timeline(root, scenario);
  read_actors(root, scenario, catalog);
  read_supply(root, scenario, catalog);
  read_references(root, scenario, catalog);
  read_sweep_section(root, scenario);
  if (auto w = root.table("workload")) {
    scenario.workload = read_workload(*w, true);
    if (auto tp = w->integer("tp", Range::closed(1, 4096))) {
      scenario.workload_tp = static_cast<int>(*tp);
      // A forced TP must fit every scale-up domain the actors could use.
      for (const auto& actor : scenario.actors) {
        for (const auto& line : actor.inventory) {
          const Chip* chip = catalog.find_chip(line.chip_id);
          if (chip == nullptr) continue;
          const System* system =
              catalog.find_system(line.system_id.empty() ? chip->default_system : line.system_id);
          const std::int64_t domain = system && system->scaleup_domain_chips
                                          ? *system->scaleup_domain_chips
                                          : scenario.generic_server.chips_per_server;
          if (*tp > domain) {
            w->error_at("tp", "is larger than the scale-up domain of \"" + chip->id + "\" (" +
                                  std::to_string(domain) + " chips)");
          }
        }
      }
      if (scenario.workload->heads % *tp != 0) w->error_at("tp", "must divide heads");
    }
    if (auto pp = w->integer("pp", Range::closed(1, 4096))) {
      scenario.workload_pp = static_cast<int>(*pp);
      if (*pp > scenario.workload->layers) w->error_at("pp", "must not exceed layers");
    }
    w->report_unknown_keys();
  }
  root.report_unknown_keys();
  check_uncertain_inputs(scenario, catalog, diagnostics);
  for (auto& error : unknown_sources(scenario, sources.empty() ? name : "command line")) {
    diagnostics.add(std::move(error));
  }
  diagnostics.throw_if_any();
  return scenario;
}

Scenario load_scenario_file(const std::string& path, const Catalog& catalog,
                            const std::vector<std::string>& sources,
                            const std::vector<std::string>& sets) {
  Diagnostics diagnostics;
  auto text = read_text_file(path, diagnostics);
  diagnostics.throw_if_any();
  return load_scenario_text(path, *text, catalog, sources, sets);
}

std::string_view embedded_config(std::string_view name) {
  for (const auto& [embedded_name, content] : embedded_config_files()) {
    if (embedded_name == name) return content;
  }
  throw RuntimeFailure(std::string(name) + " was not embedded at build time");
}

const std::string& default_scenario_text() {
  static const std::string text(embedded_config("configs/default.toml"));
  return text;
}

Scenario load_default_scenario(const Catalog& catalog, const std::vector<std::string>& sources,
                               const std::vector<std::string>& sets) {
  return load_scenario_text("configs/default.toml", default_scenario_text(), catalog, sources,
                            sets);
}

}  // namespace clustercap
