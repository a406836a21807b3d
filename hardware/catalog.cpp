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
