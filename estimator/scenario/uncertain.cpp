#include "estimator/scenario/uncertain.hpp"

#include <algorithm>
#include <cmath>
#include <regex>

namespace clustercap::sweep {

namespace {

template <class T>
T finish_sample(const UncertainInput& in, T x) {
  x = model::vmin(model::vmax(x, model::splat<T>(in.lo)), model::splat<T>(in.hi));
  // Chips come whole, as `estimate` reads a count's median.
  return in.target == Target::inventory_count ? model::vround(x) : x;
}

}  // namespace

double UncertainInput::sample(double u) const { return finish_sample(*this, dist.quantile(u)); }
model::Pack UncertainInput::sample(model::Pack u) const { return finish_sample(*this, dist.quantile(u)); }
double UncertainInput::sample_at_normal(double z) const { return finish_sample(*this, dist.at_normal(z)); }
model::Pack UncertainInput::sample_at_normal(model::Pack z) const { return finish_sample(*this, dist.at_normal(z)); }

const char* supported_keys() {
  return "training.goodput, training.mfu, training.duration_days, training.max_tokens, "
         "training.activation_memory_fraction, training.bytes_per_param, network.switch_w, "
         "network.nic_transceiver_w, network.switch_transceiver_w, power.system_overhead, "
         "actor.budget_usd, actor.site.power_mw, actor.site.pue, actor.inventory.count, "
         "actor.inventory.mfu, actor.inventory.price_usd";
}

bool bind_target(UncertainInput& in) {
  struct Fixed {
    const char* key;
    Target target;
    double scale;
  };
  static const Fixed fixed[] = {
      {"training.goodput", Target::goodput, 1},
      {"training.mfu", Target::mfu, 1},
      {"training.duration_days", Target::duration_s, 86400},
      {"training.max_tokens", Target::max_tokens, 1},
      {"training.activation_memory_fraction", Target::activation_memory_fraction, 1},
      {"training.bytes_per_param", Target::bytes_per_param, 1},
      {"network.switch_w", Target::switch_w, 1},
      {"network.nic_transceiver_w", Target::nic_transceiver_w, 1},
      {"network.switch_transceiver_w", Target::switch_transceiver_w, 1},
      {"power.system_overhead", Target::system_overhead, 1},
  };
  for (const auto& f : fixed) {
    if (in.indexed_key == f.key) {
      in.target = f.target;
      in.scale = f.scale;
      return true;
    }
  }
  static const std::regex actor_key(R"(actor\[(\d+)\]\.budget_usd)");
  static const std::regex site_key(R"(actor\[(\d+)\]\.site\[(\d+)\]\.(power_mw|pue))");
  static const std::regex line_key(R"(actor\[(\d+)\]\.inventory\[(\d+)\]\.(count|mfu|price_usd))");
  std::smatch m;
  if (std::regex_match(in.indexed_key, m, actor_key)) {
    in.target = Target::actor_budget_usd;
    in.actor = std::stoi(m[1]);
    return true;
  }
  if (std::regex_match(in.indexed_key, m, site_key)) {
    in.actor = std::stoi(m[1]);
    in.site = std::stoi(m[2]);
    in.target = m[3] == "pue" ? Target::site_pue : Target::site_power_w;
    in.scale = m[3] == "pue" ? 1 : 1e6;
    return true;
  }
  if (std::regex_match(in.indexed_key, m, line_key)) {
    in.actor = std::stoi(m[1]);
    in.inventory = std::stoi(m[2]);
    in.target = m[3] == "count" ? Target::inventory_count
                : m[3] == "mfu" ? Target::inventory_mfu
                                : Target::inventory_price_usd;
    return true;
  }
  return false;
}

}  // namespace clustercap::sweep
