#include "hardware/catalog_loader.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>

#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"

namespace clustercap {

const std::vector<std::pair<std::string_view, std::string_view>>& embedded_catalog_files();

namespace {

constexpr double kTera = 1e12;
constexpr double kPeta = 1e15;
constexpr double kGiga = 1e9;

// Generous physical bounds, as kTflopsRange (catalog_loader.hpp).
const Range kPflops = Range::positive(1e9);
const Range kCapacityGb = Range::positive(1e5);
const Range kYear = Range::closed(1990, 2100);

std::optional<double> scaled(std::optional<double> value, double factor) {
  if (!value) return std::nullopt;
  return *value * factor;
}

std::string text_or_empty(TableReader& reader, std::string_view key,
                          Presence presence = Presence::optional) {
  return reader.string(key, presence).value_or("");
}

// scaleup_topology: "switched" or "mesh" (a torus is a case's
// scaleup_torus_dims); empty when unset.
std::string read_scaleup_topology(TableReader& reader) {
  std::string topology = text_or_empty(reader, "scaleup_topology");
  if (!topology.empty() && topology != "switched" && topology != "mesh") {
    reader.error_at("scaleup_topology", "must be \"switched\" or \"mesh\"");
  }
  return topology;
}

// Keys of an entry that describe it rather than give a figure.
bool is_figure_key(const std::string& key) {
  for (const char* meta :
       {"id", "name", "vendor", "status", "sources", "estimated", "figure_sources", "notes",
        "mfu_sources", "mfu_notes", "matmul_efficiency_sources", "matmul_efficiency_notes",
        "matmul_efficiency_fitted_on"}) {
    if (key == meta) return false;
  }
  return true;
}

// figure_sources = { bf16_tflops = [1], tdp_w = [0, 2] }: indices into `sources`.
void read_figure_sources(TableReader& reader, const std::vector<std::string>& present,
                         Provenance& provenance) {
  auto table = reader.table("figure_sources");
  if (!table) return;
  std::vector<std::string> figures;
  for (const auto& key : present) {
    if (is_figure_key(key)) figures.push_back(key);
  }
  for (const auto& key : table->keys()) {
    const auto indices = table->number_list(key);
    if (std::find(figures.begin(), figures.end(), key) == figures.end()) {
      table->error_at(key, "names a figure this entry does not set" + did_you_mean(key, figures));
      continue;
    }
    if (!indices) continue;
    if (indices->empty()) {
      table->error_at(key, "must list at least one source index");
      continue;
    }
    FigureSources mapped{key, {}};
    bool ok = true;
    for (double index : *indices) {
      if (index < 0 || std::floor(index) < index ||
          index >= static_cast<double>(provenance.sources.size())) {
        table->error_at(
            key, "source index " + format_number(index) + " is out of range: this entry lists " +
                     std::to_string(provenance.sources.size()) + " sources, numbered from 0");
        ok = false;
        break;
      }
      mapped.indices.push_back(static_cast<std::size_t>(index));
    }
    if (ok) provenance.figure_sources.push_back(std::move(mapped));
  }
}

Provenance read_provenance(TableReader& reader) {
  Provenance provenance;
  provenance.defined_in = reader.file();
  if (auto sources = reader.string_list("sources", Presence::required)) {
    if (sources->empty()) {
      reader.error_at("sources", "must list at least one source");
    }
    provenance.sources = std::move(*sources);
  }
  if (auto estimated = reader.string_list("estimated", Presence::required)) {
    provenance.estimated = std::move(*estimated);
  }
  provenance.notes = text_or_empty(reader, "notes");
  // A typo in `estimated` would silently present an estimate as a vendor figure.
  const std::vector<std::string> present = reader.keys();
  read_figure_sources(reader, present, provenance);
  for (const auto& key : provenance.estimated) {
    if (std::find(present.begin(), present.end(), key) == present.end()) {
      reader.error_at("estimated", "names \"" + key + "\", which this entry does not set" +
                                       did_you_mean(key, present));
    }
  }
  return provenance;
}

std::string read_id(TableReader& reader) {
  auto id = reader.string("id", Presence::required);
  if (!id) return "";
  bool valid = !id->empty();
  for (char c : *id) {
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!valid) {
    reader.error_at("id", "must be lowercase letters, digits and underscores");
    return "";
  }
  return *id;
}

Chip read_chip(TableReader& reader) {
  Chip chip;
  chip.id = read_id(reader);
  chip.name = text_or_empty(reader, "name", Presence::required);
  chip.vendor = text_or_empty(reader, "vendor");
  chip.year = reader.integer("year", kYear);
  chip.status = text_or_empty(reader, "status");
  chip.datacenter = reader.boolean("datacenter");
  chip.process_node = text_or_empty(reader, "process_node");
  chip.foundry = text_or_empty(reader, "foundry");
  chip.die_area_mm2 = reader.number("die_area_mm2", kDieAreaRange);
  chip.compute_dies = reader.integer("compute_dies", Range::closed(1, 64));
  for (Precision p : kAllPrecisions) {
    chip.dense_peak_flops[static_cast<std::size_t>(p)] =
        scaled(reader.number(catalog_key(p), kTflopsRange), kTera);
  }
  chip.fp64_tensor_flops = scaled(reader.number("fp64_tensor_tflops", kTflopsRange), kTera);
  chip.hbm_bytes = scaled(reader.number("hbm_gb", kCapacityGb), kGiga);
  chip.memory_type = text_or_empty(reader, "memory_type");
  chip.hbm_bandwidth_bytes_per_s =
      scaled(reader.number("hbm_bw_tbs", kChipHbmBandwidthRange), kTera);
  chip.scaleup_tech = text_or_empty(reader, "scaleup_tech");
  chip.scaleup_topology = read_scaleup_topology(reader);
  chip.scaleup_bidirectional_bytes_per_s =
      scaled(reader.number("scaleup_gbs_bidirectional", kBandwidthRange), kGiga);
  chip.scaleup_unidirectional_bytes_per_s =
      scaled(reader.number("scaleup_gbs_unidirectional", kBandwidthRange), kGiga);
  chip.scaleup_direction_unstated_bytes_per_s =
      scaled(reader.number("scaleup_gbs_direction_unstated", kBandwidthRange), kGiga);
  chip.scaleout_bits_per_s = scaled(reader.number("scaleout_gbps", kBandwidthRange), kGiga);
  chip.io_bidirectional_bytes_per_s =
      scaled(reader.number("io_gbs_bidirectional", kBandwidthRange), kGiga);
  chip.io_basis = text_or_empty(reader, "io_basis");
  if (chip.io_bidirectional_bytes_per_s && chip.io_basis.empty())
    reader.error_missing("io_basis",
                         "required with io_gbs_bidirectional: say what links it counts");
  chip.tdp_w = reader.number("tdp_w", Range::positive(1e5));
  chip.price_usd = reader.number("price_usd", Range::positive(1e9));
  chip.mfu_bf16 = reader.number("mfu_bf16", Range::unit_fraction());
  chip.mfu_fp8 = reader.number("mfu_fp8", Range::unit_fraction());
  chip.mfu_sources = reader.string_list("mfu_sources").value_or(std::vector<std::string>{});
  chip.mfu_notes = text_or_empty(reader, "mfu_notes");
  chip.matmul_efficiency = reader.number("matmul_efficiency", Range::unit_fraction());
  chip.matmul_efficiency_sources =
      reader.string_list("matmul_efficiency_sources").value_or(std::vector<std::string>{});
  chip.matmul_efficiency_notes = text_or_empty(reader, "matmul_efficiency_notes");
  chip.matmul_efficiency_fitted_on =
      reader.string_list("matmul_efficiency_fitted_on").value_or(std::vector<std::string>{});
  chip.default_system = text_or_empty(reader, "default_system");
  for (auto& variant_reader : reader.table_array("tpp_variants")) {
    TppVariant variant;
    variant.label = text_or_empty(variant_reader, "label", Presence::required);
    for (const auto& name : variant_reader.string_list("formats", Presence::required)
                                .value_or(std::vector<std::string>{})) {
      const auto precision = parse_precision(name);
      if (!precision || !chip.peak_flops(*precision)) {
        variant_reader.error_at("formats",
                                "names \"" + name + "\", which is not a rate of this chip");
      } else {
        variant.formats.push_back(*precision);
      }
    }
    variant_reader.report_unknown_keys();
    chip.tpp_variants.push_back(std::move(variant));
  }
  chip.provenance = read_provenance(reader);
  if ((chip.mfu_bf16 || chip.mfu_fp8) && chip.mfu_sources.empty()) {
    reader.error_missing("mfu_sources", "an MFU prior needs the runs it comes from");
  }
  if (chip.matmul_efficiency && chip.matmul_efficiency_sources.empty()) {
    reader.error_missing("matmul_efficiency_sources",
                         "a matmul efficiency needs the measurements it comes from");
  }
  return chip;
}

System read_system(TableReader& reader) {
  System system;
  system.id = read_id(reader);
  system.name = text_or_empty(reader, "name", Presence::required);
  system.vendor = text_or_empty(reader, "vendor");
  system.chip_id = text_or_empty(reader, "chip_id");
  system.chips = reader.integer("chips", Range::closed(1, 1e7));
  system.cpus = text_or_empty(reader, "cpus");
  system.year = reader.integer("year", kYear);
  system.status = text_or_empty(reader, "status");
  system.racks = reader.integer("racks", Range::closed(1, 1e6));
  system.racks_note = text_or_empty(reader, "racks_note");
  system.scaleup_domain_chips = reader.integer("scaleup_domain_chips", Range::closed(1, 1e7));
  system.bf16_dense_flops = scaled(reader.number("bf16_dense_pflops", kPflops), kPeta);
  system.fp8_dense_flops = scaled(reader.number("fp8_dense_pflops", kPflops), kPeta);
  system.fp4_dense_flops = scaled(reader.number("fp4_dense_pflops", kPflops), kPeta);
  system.hbm_bytes = scaled(reader.number("hbm_tb", Range::positive(1e7)), kTera);
  system.hbm_bandwidth_bytes_per_s = scaled(reader.number("hbm_bw_tbs", kBandwidthRange), kTera);
  system.scaleup_tech = text_or_empty(reader, "scaleup_tech");
  system.scaleup_topology = read_scaleup_topology(reader);
  system.scaleup_bidirectional_bytes_per_s_per_chip =
      scaled(reader.number("scaleup_gbs_bidirectional_per_chip", kBandwidthRange), kGiga);
  system.scaleup_unidirectional_bytes_per_s_per_chip =
      scaled(reader.number("scaleup_gbs_unidirectional_per_chip", kBandwidthRange), kGiga);
  system.scaleup_direction_unstated_bytes_per_s_per_chip =
      scaled(reader.number("scaleup_gbs_direction_unstated_per_chip", kBandwidthRange), kGiga);
  system.scaleup_aggregate_bidirectional_bytes_per_s =
      scaled(reader.number("scaleup_aggregate_tbs_bidirectional", kBandwidthRange), kTera);
  system.scaleup_aggregate_direction_unstated_bytes_per_s =
      scaled(reader.number("scaleup_aggregate_tbs_direction_unstated", kBandwidthRange), kTera);
  system.scaleout_bits_per_s_per_chip =
      scaled(reader.number("scaleout_gbps_per_chip", kBandwidthRange), kGiga);
  system.scaleout_rails = reader.integer("scaleout_rails", Range::closed(1, 64));
  system.optical_transceivers = reader.integer("optical_transceivers", Range::closed(0, 1e9));
  system.power_w = scaled(reader.number("power_kw", Range::positive(1e7)), 1e3);
  system.power_scope = text_or_empty(reader, "power_scope");
  const auto is_it = reader.boolean("power_is_system_it");
  const auto includes_scaleout = reader.boolean("power_includes_scaleout");
  system.price_usd = reader.number("price_usd", Range::positive(1e12));
  system.power_all_in_w = scaled(reader.number("power_all_in_kw", Range::positive(1e7)), 1e3);
  system.power_all_in_scope = text_or_empty(reader, "power_all_in_scope");
  system.provenance = read_provenance(reader);
  if (system.power_all_in_w && system.power_all_in_scope.empty()) {
    reader.error_missing("power_all_in_scope", "required with power_all_in_kw: say what it covers");
  }
  if (system.power_w) {
    if (!is_it) {
      reader.error_missing("power_is_system_it",
                           "required with power_kw: say whether it is the whole system's IT power");
    }
    if (!includes_scaleout) {
      reader.error_missing("power_includes_scaleout",
                           "required with power_kw: say whether it covers scale-out networking");
    }
    if (system.power_scope.empty()) {
      reader.error_missing("power_scope", "required with power_kw: say what the figure covers");
    }
  }
  system.power_is_system_it = is_it.value_or(false);
  system.power_includes_scaleout = includes_scaleout.value_or(false);
  return system;
}

ReferenceCluster read_cluster(TableReader& reader) {
  ReferenceCluster cluster;
  cluster.id = read_id(reader);
  cluster.name = text_or_empty(reader, "name", Presence::required);
  cluster.operator_name = text_or_empty(reader, "operator");
  cluster.country = text_or_empty(reader, "country");
  cluster.location = text_or_empty(reader, "location");
  cluster.status = text_or_empty(reader, "status");
  cluster.first_operational = text_or_empty(reader, "first_operational");
  cluster.chip_id = text_or_empty(reader, "chip_id");
  cluster.chip_count = reader.integer("chip_count", Range::closed(1, 1e9));
  cluster.chip_secondary_id = text_or_empty(reader, "chip_secondary_id");
  cluster.chip_secondary_count = reader.integer("chip_secondary_count", Range::closed(1, 1e9));
  cluster.total_chips = reader.integer("total_chips", Range::closed(1, 1e9));
  cluster.h100_equivalents = reader.integer("h100_equivalents", Range::closed(1, 1e10));
  cluster.single_site = reader.boolean("single_site");
  cluster.power_w = scaled(reader.number("power_mw", Range::positive(1e6)), 1e6);
  cluster.power_scope = text_or_empty(reader, "power_scope");
  cluster.provenance = read_provenance(reader);
  return cluster;
}

struct Located {
  std::string file;
  std::int64_t line;
  std::int64_t column;
};

template <typename Entry>
void check_unique(const std::vector<Entry>& entries, const std::vector<Located>& where,
                  std::set<std::string>& seen, Diagnostics& diagnostics, const char* kind) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].id.empty()) continue;
    if (!seen.insert(entries[i].id).second) {
      diagnostics.add({where[i].file, where[i].line, where[i].column, std::string(kind) + ".id",
                       "\"" + entries[i].id + "\"", "duplicate id: already defined"});
    }
  }
}

void check_reference(const std::string& id, const std::vector<std::string>& known,
                     const Located& at, const std::string& key, Diagnostics& diagnostics) {
  if (id.empty()) return;
  for (const auto& k : known) {
    if (k == id) return;
  }
  diagnostics.add(
      {at.file, at.line, at.column, key, "\"" + id + "\"", "unknown id" + did_you_mean(id, known)});
}

}  // namespace

Catalog load_catalog(const std::vector<TextSource>& sources) {
  Diagnostics diagnostics;
  Catalog catalog;
  std::vector<Located> chip_at, system_at, cluster_at;

  for (const auto& source : sources) {
    auto document = parse_toml(source.name, source.text, diagnostics);
    if (!document) continue;
    TableReader root(*document, "", source.name, diagnostics);
    for (auto& reader : root.table_array("chip")) {
      catalog.chips.push_back(read_chip(reader));
      chip_at.push_back({source.name, reader.line(), reader.column()});
      reader.report_unknown_keys();
    }
    for (auto& reader : root.table_array("system")) {
      catalog.systems.push_back(read_system(reader));
      system_at.push_back({source.name, reader.line(), reader.column()});
      reader.report_unknown_keys();
    }
    for (auto& reader : root.table_array("cluster")) {
      catalog.clusters.push_back(read_cluster(reader));
      cluster_at.push_back({source.name, reader.line(), reader.column()});
      reader.report_unknown_keys();
    }
    root.report_unknown_keys();
  }

  std::set<std::string> seen;
  check_unique(catalog.chips, chip_at, seen, diagnostics, "chip");
  check_unique(catalog.systems, system_at, seen, diagnostics, "system");
  check_unique(catalog.clusters, cluster_at, seen, diagnostics, "cluster");

  const auto chip_ids = catalog.chip_ids();
  const auto system_ids = catalog.system_ids();
  for (std::size_t i = 0; i < catalog.chips.size(); ++i) {
    const Chip& chip = catalog.chips[i];
    check_reference(chip.default_system, system_ids, chip_at[i], "chip.default_system",
                    diagnostics);
    if (const System* system = catalog.find_system(chip.default_system)) {
      if (system->chip_id != chip.id) {
        diagnostics.add({chip_at[i].file, chip_at[i].line, chip_at[i].column, "chip.default_system",
                         "\"" + chip.default_system + "\"",
                         "that system holds \"" + system->chip_id + "\", not \"" + chip.id + "\""});
      }
      if (!system->power_w || !system->power_is_system_it) {
        diagnostics.add({chip_at[i].file, chip_at[i].line, chip_at[i].column, "chip.default_system",
                         "\"" + chip.default_system + "\"",
                         "a default system needs power_kw with power_is_system_it = true"});
      }
    }
  }
  for (std::size_t i = 0; i < catalog.systems.size(); ++i) {
    check_reference(catalog.systems[i].chip_id, chip_ids, system_at[i], "system.chip_id",
                    diagnostics);
  }
  for (std::size_t i = 0; i < catalog.clusters.size(); ++i) {
    check_reference(catalog.clusters[i].chip_id, chip_ids, cluster_at[i], "cluster.chip_id",
                    diagnostics);
    check_reference(catalog.clusters[i].chip_secondary_id, chip_ids, cluster_at[i],
                    "cluster.chip_secondary_id", diagnostics);
  }
  diagnostics.throw_if_any();
  return catalog;
}

std::vector<TextSource> builtin_catalog_sources() {
  std::vector<TextSource> sources;
  for (const auto& [name, text] : embedded_catalog_files()) {
    sources.push_back({std::string(name), std::string(text)});
  }
  return sources;
}

Catalog load_catalog_with_extra(const std::vector<std::string>& extra_paths) {
  std::vector<TextSource> sources = builtin_catalog_sources();
  Diagnostics diagnostics;
  for (const auto& path : extra_paths) {
    if (auto text = read_text_file(path, diagnostics)) sources.push_back({path, std::move(*text)});
  }
  diagnostics.throw_if_any();
  return load_catalog(sources);
}

}  // namespace clustercap
