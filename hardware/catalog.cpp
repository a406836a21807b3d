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

std::vector<std::string> Catalog::all_ids() const {
  std::vector<std::string> ids = chip_ids();
  for (auto& id : system_ids()) ids.push_back(std::move(id));
  for (auto& id : cluster_ids()) ids.push_back(std::move(id));
  return ids;
}

}  // namespace clustercap
