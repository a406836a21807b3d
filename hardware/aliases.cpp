#include "hardware/aliases.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace clustercap {
namespace {

struct Alias {
  std::string_view name;              // as typed, normalised (see normalised())
  std::vector<std::string_view> ids;  // every entry it may stand for, any kind
};

// The alias table: each short name and the catalog ids it stands for. Where a
// name covers a chip and its rack-scale system (gb200), the place it is typed
// decides (a scenario's chip = takes chips, system = takes systems); where it
// covers several entries of one kind (colossus, nvl72), it is ambiguous and
// the user must choose.
const std::vector<Alias>& aliases() {
  static const std::vector<Alias> table = {
      // NVIDIA chips: the model number alone means the SXM (HGX) part.
      {"a100", {"nvidia_a100_sxm_80gb"}},
      {"a800", {"nvidia_a800_sxm_80gb"}},
      {"h100", {"nvidia_h100_sxm"}},
      {"h800", {"nvidia_h800_sxm"}},
      {"h20", {"nvidia_h20"}},
      {"h20e", {"nvidia_h20e"}},
      {"h200", {"nvidia_h200_sxm"}},
      {"b200", {"nvidia_b200_hgx"}},
      {"b300", {"nvidia_b300_hgx"}},
      {"b30a", {"nvidia_b30a"}},
      {"l20", {"nvidia_l20"}},
      {"l40s", {"nvidia_l40s"}},
      // Grace-Blackwell: the GPU as a chip, the NVL rack as a system.
      {"gb200", {"nvidia_gb200_gpu", "nvidia_gb200_nvl72"}},
      {"gb300", {"nvidia_gb300_gpu", "nvidia_gb300_nvl72"}},
      {"nvl72", {"nvidia_gb200_nvl72", "nvidia_gb300_nvl72"}},
      {"nvl36", {"nvidia_gb200_nvl36"}},
      {"gb200nvl72", {"nvidia_gb200_nvl72"}},
      {"gb300nvl72", {"nvidia_gb300_nvl72"}},
      {"dgxh100", {"nvidia_hgx_dgx_h100"}},
      {"hgxh100", {"nvidia_hgx_dgx_h100"}},
      {"dgxb200", {"nvidia_dgx_b200"}},
      {"vr200", {"nvidia_vera_rubin_nvl144"}},
      // Huawei Ascend chips and systems.
      {"910a", {"huawei_ascend_910a"}},
      {"910b", {"huawei_ascend_910b"}},
      {"910c", {"huawei_ascend_910c"}},
      {"ascend910a", {"huawei_ascend_910a"}},
      {"ascend910b", {"huawei_ascend_910b"}},
      {"ascend910c", {"huawei_ascend_910c"}},
      {"950pr", {"huawei_ascend_950pr"}},
      {"950dt", {"huawei_ascend_950dt"}},
      {"cm384", {"huawei_cloudmatrix_384"}},
      {"cloudmatrix", {"huawei_cloudmatrix_384"}},
      {"cloudmatrix384", {"huawei_cloudmatrix_384"}},
      // AMD, Intel, Google, AWS, Chinese vendors: the product name alone.
      {"mi250", {"amd_mi250"}},
      {"mi250x", {"amd_mi250x"}},
      {"mi300x", {"amd_mi300x"}},
      {"mi308x", {"amd_mi308x"}},
      {"mi325x", {"amd_mi325x"}},
      {"mi350x", {"amd_mi350x"}},
      {"mi355x", {"amd_mi355x"}},
      {"mi455x", {"amd_mi455x"}},
      {"helios", {"amd_helios_mi455x"}},
      {"gaudi2", {"intel_gaudi2"}},
      {"gaudi3", {"intel_gaudi3"}},
      {"tpuv4", {"google_tpu_v4"}},
      {"tpuv5e", {"google_tpu_v5e"}},
      {"tpuv5p", {"google_tpu_v5p"}},
      {"tpuv6e", {"google_tpu_v6e"}},
      {"ironwood", {"google_tpu7x_ironwood"}},
      {"tpu7x", {"google_tpu7x_ironwood"}},
      {"trainium2", {"aws_trainium2"}},
      {"trn2", {"aws_trainium2"}},
      {"trainium3", {"aws_trainium3"}},
      {"trn3", {"aws_trainium3"}},
      {"mlu590", {"cambricon_mlu590"}},
      {"mlu690", {"cambricon_mlu690"}},
      {"p800", {"baidu_kunlun_p800"}},
      {"kunlunp800", {"baidu_kunlun_p800"}},
      // Reference clusters: a site's name covers each of its phases.
      {"colossus",
       {"xai_colossus_1_phase1", "xai_colossus_1_phase2", "xai_colossus_1_phase3",
        "xai_colossus_2"}},
      {"colossus1", {"xai_colossus_1_phase1", "xai_colossus_1_phase2", "xai_colossus_1_phase3"}},
      {"colossus2", {"xai_colossus_2"}},
      {"stargate", {"openai_stargate_abilene"}},
      {"prometheus", {"meta_prometheus"}},
      {"hyperion", {"meta_hyperion"}},
      {"rainier", {"anthropic_project_rainier"}},
      {"fairwater", {"msft_fairwater_wisconsin", "msft_fairwater_atlanta"}},
  };
  return table;
}

// Lower case without "-", "_" and blanks: "GB-200" and "gb_200" are "gb200".
std::string normalised(std::string_view word) {
  std::string text;
  for (char c : word) {
    if (c == '-' || c == '_' || c == ' ' || c == '\t') continue;
    text += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

bool accepted(const std::string& id, const Catalog& catalog, unsigned kinds) {
  return ((kinds & kChipIds) != 0U && catalog.find_chip(id) != nullptr) ||
         ((kinds & kSystemIds) != 0U && catalog.find_system(id) != nullptr) ||
         ((kinds & kClusterIds) != 0U && catalog.find_cluster(id) != nullptr);
}

}  // namespace

IdLookup look_up_id(const std::string& word, const Catalog& catalog, unsigned kinds) {
  IdLookup lookup;
  if (accepted(word, catalog, kinds)) {
    lookup.result = IdLookup::Result::exact;
    lookup.id = word;
    return lookup;
  }
  const std::string key = normalised(word);
  for (const Alias& alias : aliases()) {
    if (alias.name != key) continue;
    for (std::string_view id : alias.ids) {
      if (accepted(std::string(id), catalog, kinds)) lookup.candidates.emplace_back(id);
    }
  }
  if (lookup.candidates.size() == 1) {
    lookup.result = IdLookup::Result::alias;
    lookup.id = lookup.candidates.front();
    lookup.candidates.clear();
  } else if (lookup.candidates.size() > 1) {
    lookup.result = IdLookup::Result::ambiguous;
  }
  return lookup;
}

std::string ambiguous_rule(const std::vector<std::string>& candidates) {
  std::string list;
  for (const auto& candidate : candidates) {
    list += (list.empty() ? "\"" : ", \"") + candidate + "\"";
  }
  return "is ambiguous: it may mean " + list + "; write one of these ids";
}

std::string catalog_name(const std::string& id, const Catalog& catalog) {
  if (const Chip* chip = catalog.find_chip(id)) return chip->name;
  if (const System* system = catalog.find_system(id)) return system->name;
  if (const ReferenceCluster* cluster = catalog.find_cluster(id)) return cluster->name;
  return "";
}

std::vector<std::string> alias_target_ids() {
  std::vector<std::string> ids;
  for (const Alias& alias : aliases()) {
    for (std::string_view id : alias.ids) ids.emplace_back(id);
  }
  return ids;
}

std::vector<std::string> id_candidates(const Catalog& catalog, unsigned kinds) {
  std::vector<std::string> names;
  if ((kinds & kChipIds) != 0U) names = catalog.chip_ids();
  if ((kinds & kSystemIds) != 0U) {
    for (auto& id : catalog.system_ids()) names.push_back(std::move(id));
  }
  if ((kinds & kClusterIds) != 0U) {
    for (auto& id : catalog.cluster_ids()) names.push_back(std::move(id));
  }
  for (const Alias& alias : aliases()) {
    const bool fits = std::any_of(alias.ids.begin(), alias.ids.end(), [&](std::string_view id) {
      return accepted(std::string(id), catalog, kinds);
    });
    if (fits) names.emplace_back(alias.name);
  }
  return names;
}

}  // namespace clustercap
