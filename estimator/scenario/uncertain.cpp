#include "estimator/scenario/uncertain.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <tuple>

#include "estimator/scenario/inputs.hpp"
#include "estimator/scenario/sampling.hpp"

namespace clustercap::sweep {

namespace {

// "actor[1].site[0].power_mw" -> pattern "actor[].site[].power_mw" and the
// index after each array ("actor" 1, "site" 0); false when malformed.
bool split_indexed_key(const std::string& key, std::string& pattern, UncertainInput& in) {
  std::size_t i = 0;
  std::string segment;
  while (i <= key.size()) {
    if (i < key.size() && key[i] != '[') {
      pattern += key[i];
      if (key[i] == '.')
        segment.clear();
      else
        segment += key[i];
      ++i;
      continue;
    }
    if (i == key.size()) break;
    const std::size_t close = key.find(']', i);
    if (close == std::string::npos || close == i + 1) return false;
    long long index = 0;
    const char* first = key.data() + i + 1;
    const char* last = key.data() + close;
    const auto [ptr, ec] = std::from_chars(first, last, index);
    if (ptr != last || index < 0) return false;
    if (ec == std::errc::result_out_of_range) index = INT_MAX;  // reported as not existing
    const int value = index > INT_MAX ? INT_MAX : static_cast<int>(index);
    if (segment == "actor")
      in.actor = value;
    else if (segment == "site")
      in.site = value;
    else if (segment == "inventory")
      in.inventory = value;
    else if (segment == "supply")
      in.supply = value;
    else if (segment == "expansion")
      in.expansion = value;
    else if (segment == "link")
      in.link = value;
    else
      return false;
    pattern += "[]";
    i = close + 1;
  }
  return true;
}

}  // namespace

double UncertainInput::sample(double u) const { return sampling::finish(*this, dist.quantile(u)); }
model::Pack UncertainInput::sample(model::Pack u) const {
  return sampling::finish(*this, dist.quantile(u));
}
double UncertainInput::sample_at_normal(double z) const {
  return sampling::finish(*this, dist.at_normal(z));
}
model::Pack UncertainInput::sample_at_normal(model::Pack z) const {
  return sampling::finish(*this, dist.at_normal(z));
}

const std::string& supported_keys() {
  static const std::string text = [] {
    std::string list;
    for (const auto& spec : sweep_inputs()) list += (list.empty() ? "" : ", ") + spec.key();
    return list;
  }();
  return text;
}

bool bind_grid_key(const SweepSpec& spec, const std::string& key, UncertainInput& input) {
  input.indexed_key = key;
  for (const auto& in : spec.inputs) {
    if (in.name == key) input.indexed_key = in.indexed_key;
  }
  return bind_target(input);
}

bool bind_target(UncertainInput& in) {
  std::string pattern;
  UncertainInput parsed;
  if (!split_indexed_key(in.indexed_key, pattern, parsed)) return false;
  const InputSpec* spec = find_input(pattern);
  if (spec == nullptr) return false;
  in.target = spec->target;
  in.scale = spec->scale_to_si;
  in.whole = spec->whole;
  std::tie(in.lo, in.hi) = spec->clamp_bounds();
  in.actor = parsed.actor;
  in.site = parsed.site;
  in.inventory = parsed.inventory;
  in.supply = parsed.supply;
  in.expansion = parsed.expansion;
  in.link = parsed.link;
  return true;
}

std::vector<std::string> source_ids(const SweepSpec& spec) {
  std::vector<std::string> ids;
  for (const auto& input : spec.sourced) {
    for (const auto& e : input.estimates) {
      if (std::find(ids.begin(), ids.end(), e.by) == ids.end()) ids.push_back(e.by);
    }
  }
  return ids;
}

}  // namespace clustercap::sweep
