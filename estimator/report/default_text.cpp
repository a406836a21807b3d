#include "estimator/report/default_text.hpp"

#include <utility>

#include "estimator/report/number_format.hpp"

namespace clustercap::report {
namespace {

// The catalog field a catalog default is taken from, by setting.
std::string catalog_field(const std::string& key) {
  return key == "network.planes" ? "scaleout_rails" : key;
}

std::string value_text(const DefaultedInput& d) {
  if (!d.name.empty()) {
    return d.name == "true" || d.name == "false" ? d.name : "\"" + d.name + "\"";
  }
  return machine_number(d.value);
}

}  // namespace

std::string default_source_text(const DefaultedInput& d) {
  switch (d.source) {
    case DefaultSource::catalog:
      return "from the catalog: " + d.catalog_id + " " + catalog_field(d.key) + "; not in the file";
    case DefaultSource::code:
      break;
  }
  return "default, not in the file";
}

std::string defaulted_setting_text(const DefaultedInput& d) {
  return d.key + " = " + value_text(d) + " (" + default_source_text(d) + ")";
}

std::string at_chips(double chips) { return "at " + grouped_integer(chips) + " chips"; }

std::string binding_default_warning(model::Constraint limit, const std::string& where,
                                    const std::vector<DefaultedInput>& defaults) {
  if (defaults.empty()) return "";
  std::string settings;
  // "[network] planes, switch_w and [power] system_overhead": keys by section,
  // sections in order of first appearance.
  std::vector<std::pair<std::string, std::string>> sections;
  for (const auto& d : defaults) {
    settings += (settings.empty() ? "" : ", ") + defaulted_setting_text(d);
    const auto dot = d.key.find('.');
    const std::string section = d.key.substr(0, dot);
    const std::string key = d.key.substr(dot + 1);
    bool found = false;
    for (auto& [name, keys] : sections) {
      if (name != section) continue;
      keys += ", " + key;
      found = true;
    }
    if (!found) sections.emplace_back(section, key);
  }
  std::string set;
  for (const auto& [name, keys] : sections) {
    set += (set.empty() ? "" : " and ") + ("[" + name + "] ") + keys;
  }
  return std::string(model::to_string(limit)) + " binds " + where + " with " + settings + "; set " +
         set;
}

std::vector<std::string> estimate_warnings(const ActorResult& a) {
  std::vector<std::string> warnings = a.warnings;
  if (!a.cluster.chip_id.empty() && !a.binding_defaults.empty()) {
    const auto k = static_cast<std::size_t>(a.cluster.binding);
    warnings.push_back(binding_default_warning(a.cluster.binding, at_chips(a.cluster.limits[k]),
                                               a.binding_defaults));
  }
  return warnings;
}

std::vector<std::string> timeline_warnings(const TimelineActor& a) {
  std::vector<std::string> warnings;
  for (const auto& b : a.binding_defaults) {
    warnings.push_back(binding_default_warning(
        b.limit, "from " + supply::month_text(b.month) + " " + at_chips(b.chips), b.defaults));
  }
  return warnings;
}

std::vector<std::string> sweep_warnings(const sweep::ActorSweep& a) {
  std::vector<std::string> warnings;
  for (const auto& b : a.binding_defaults) {
    warnings.push_back(binding_default_warning(
        b.limit, "in " + significant(b.share * 100, 3) + "% of samples", b.defaults));
  }
  return warnings;
}

std::string planes_note(const NetworkSummary& n) {
  if (!n.planes_default) return "";
  return ", " + std::to_string(n.planes) + (n.planes == 1 ? " plane (" : " planes (") +
         default_source_text(*n.planes_default) + ")";
}

}  // namespace clustercap::report
