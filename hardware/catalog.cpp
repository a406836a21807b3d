#include "hardware/catalog.hpp"

#include <algorithm>

namespace clustercap {
namespace {

template <typename Entry>
const Entry* find_by_id(const std::vector<Entry>& entries, const std::string& id) {
  const auto it = std::find_if(entries.begin(), entries.end(),
                               [&](const Entry& entry) { return entry.id == id; });
  return it == entries.end() ? nullptr : &*it;
}

template <typename Entry>
std::vector<std::string> ids_of(const std::vector<Entry>& entries) {
  std::vector<std::string> ids;
  ids.reserve(entries.size());
  for (const auto& entry : entries) ids.push_back(entry.id);
  return ids;
}

}  // namespace

bool Provenance::is_estimated(const std::string& key) const {
  return std::find(estimated.begin(), estimated.end(), key) != estimated.end();
}

std::vector<std::string> Provenance::sources_for(const std::string& key) const {
  for (const auto& f : figure_sources) {
    if (f.key != key) continue;
    std::vector<std::string> out;
    for (std::size_t i : f.indices) {
      if (i < sources.size()) out.push_back(sources[i]);
    }
    return out;
  }
  return sources;
}

std::optional<double> Chip::mfu_prior(Precision precision) const {
  switch (precision) {
    case Precision::bf16:
    case Precision::fp16:
      return mfu_bf16;
    case Precision::fp8:
      return mfu_fp8;
    default:
      return std::nullopt;
  }
}

bool has_system_it_power(const System& system) {
  return system.power_w && system.power_is_system_it && system.chips;
}

std::vector<MissingFigure> missing_for_estimate(const Chip& chip, const System* system,
                                                Precision precision, bool mfu_given) {
  std::vector<MissingFigure> missing;
  const std::string p(to_string(precision));
  if (!chip.peak_flops(precision)) {
    missing.push_back({"dense " + p + " peak", catalog_key(precision)});
  }
  if (!chip.tdp_w && !(system != nullptr && has_system_it_power(*system))) {
    missing.push_back({"power figure", "tdp_w"});
  }
  if (!chip.hbm_bytes) missing.push_back({"memory size", "hbm_gb"});
  if (!mfu_given && chip.peak_flops(precision) && !chip.mfu_prior(precision)) {
    missing.push_back({p + " MFU prior", "mfu"});
  }
  return missing;
}

ChipUsability chip_usability(const Chip& chip, const Catalog& catalog) {
  ChipUsability usability;
  const System* system =
      chip.default_system.empty() ? nullptr : catalog.find_system(chip.default_system);
  for (const Precision precision : kAllPrecisions) {
    // fp64 and int8 are not training precisions (the scenario loader's rule).
    if (precision == Precision::fp64 || precision == Precision::int8) continue;
    if (missing_for_estimate(chip, system, precision, false).empty()) {
      usability.with_prior.push_back(precision);
    } else if (missing_for_estimate(chip, system, precision, true).empty()) {
      usability.with_user_mfu.push_back(precision);
    }
  }
  return usability;
}

const Chip* Catalog::find_chip(const std::string& id) const { return find_by_id(chips, id); }
const System* Catalog::find_system(const std::string& id) const { return find_by_id(systems, id); }
const ReferenceCluster* Catalog::find_cluster(const std::string& id) const {
  return find_by_id(clusters, id);
}
std::vector<std::string> Catalog::chip_ids() const { return ids_of(chips); }
std::vector<std::string> Catalog::system_ids() const { return ids_of(systems); }
std::vector<std::string> Catalog::cluster_ids() const { return ids_of(clusters); }

std::string figure_unit(const std::string& key) {
  auto ends = [&](const char* suffix) {
    const std::string s(suffix);
    return key.size() >= s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0;
  };
  auto has = [&](const char* part) { return key.find(part) != std::string::npos; };
  if (ends("_tflops")) return "TFLOPS";
  if (ends("_tops")) return "TOPS";
  if (ends("_pflops")) return "PFLOPS";
  if (has("_tbs")) return "TB/s";
  if (has("_gbs")) return "GB/s";
  if (has("_gbps")) return "Gb/s";
  if (ends("_gb")) return "GB";
  if (ends("_tb")) return "TB";
  if (ends("_mm2")) return "mm2";
  if (ends("_kw")) return "kW";
  if (ends("_mw")) return "MW";
  if (ends("_w")) return "W";
  if (ends("_usd")) return "USD";
  if (key.rfind("mfu_", 0) == 0 && key != "mfu_notes") return "fraction";
  if (key == "matmul_efficiency") return "fraction";
  if (key == "year") return "year";
  for (const char* count : {"compute_dies", "chips", "racks", "scaleup_domain_chips",
                            "scaleout_rails", "optical_transceivers", "chip_count",
                            "chip_secondary_count", "total_chips", "h100_equivalents"}) {
    if (key == count) return "count";
  }
  return "";
}

std::vector<CitedFigure> model_figures(const Catalog& catalog, const std::string& chip_id,
                                       const std::string& system_id, Precision precision) {
  std::vector<CitedFigure> out;
  auto add = [&](const std::string& id, const Provenance& p, const std::string& key,
                 const std::optional<double>& value, double scale) {
    if (!value) return;
    out.push_back(
        {id, key, *value / scale, figure_unit(key), p.is_estimated(key), p.sources_for(key)});
  };
  if (const Chip* c = catalog.find_chip(chip_id)) {
    add(c->id, c->provenance, catalog_key(precision), c->peak_flops(precision), 1e12);
    add(c->id, c->provenance, "hbm_gb", c->hbm_bytes, 1e9);
    add(c->id, c->provenance, "tdp_w", c->tdp_w, 1.0);
    add(c->id, c->provenance, "price_usd", c->price_usd, 1.0);
  }
  if (const System* s = catalog.find_system(system_id)) {
    add(s->id, s->provenance, "chips",
        s->chips ? std::optional<double>(static_cast<double>(*s->chips)) : std::nullopt, 1.0);
    add(s->id, s->provenance, "power_kw", s->power_w, 1e3);
    add(s->id, s->provenance, "price_usd", s->price_usd, 1.0);
  }
  return out;
}

std::vector<std::string> Catalog::all_ids() const {
  std::vector<std::string> ids = chip_ids();
  for (auto& id : system_ids()) ids.push_back(std::move(id));
  for (auto& id : cluster_ids()) ids.push_back(std::move(id));
  return ids;
}

}  // namespace clustercap
