#include "estimator/model/wan.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>

namespace clustercap::model {
namespace {

// The link between a and b with the most bandwidth, or -1.
int find_link(const std::vector<WanLink>& links, int a, int b) {
  int best = -1;
  for (std::size_t k = 0; k < links.size(); ++k) {
    const WanLink& l = links[k];
    if (!((l.a == a && l.b == b) || (l.a == b && l.b == a))) continue;
    if (best < 0 ||
        l.bandwidth_bits_per_s > links[static_cast<std::size_t>(best)].bandwidth_bits_per_s)
      best = static_cast<int>(k);
  }
  return best;
}

// The ring along `order`, or found = false when a neighbour pair is unlinked.
WanRing ring_along(const std::vector<int>& order, const std::vector<WanLink>& links) {
  WanRing ring;
  ring.order = order;
  ring.bandwidth_bits_per_s = std::numeric_limits<double>::infinity();
  double path_latency_s = 0;
  for (std::size_t k = 0; k + 1 < order.size(); ++k) {
    const int link = find_link(links, order[k], order[k + 1]);
    if (link < 0) return WanRing{};
    const WanLink& l = links[static_cast<std::size_t>(link)];
    ring.links.push_back(link);
    ring.bandwidth_bits_per_s = std::min(ring.bandwidth_bits_per_s, l.bandwidth_bits_per_s);
    ring.hop_latency_s = std::max(ring.hop_latency_s, l.latency_s);
    ring.availability *= l.availability;
    path_latency_s += l.latency_s;
  }
  // Two sites: the one link, both ways. More: close the ring by a link when
  // there is one, else back along the path.
  if (order.size() > 2) {
    const int closing = find_link(links, order.back(), order.front());
    if (closing >= 0) {
      const WanLink& l = links[static_cast<std::size_t>(closing)];
      ring.links.push_back(closing);
      ring.bandwidth_bits_per_s = std::min(ring.bandwidth_bits_per_s, l.bandwidth_bits_per_s);
      ring.hop_latency_s = std::max(ring.hop_latency_s, l.latency_s);
      ring.availability *= l.availability;
    } else {
      ring.hop_latency_s = std::max(ring.hop_latency_s, path_latency_s);
    }
  }
  ring.found = true;
  return ring;
}

bool better_ring(const WanRing& a, const WanRing& b) {
  if (!b.found) return a.found;
  if (!a.found) return false;
  if (a.bandwidth_bits_per_s != b.bandwidth_bits_per_s)
    return a.bandwidth_bits_per_s > b.bandwidth_bits_per_s;
  return a.hop_latency_s < b.hop_latency_s;
}

}  // namespace

WanRing ring_over(const std::vector<int>& sites, const std::vector<WanLink>& links) {
  WanRing best;
  if (sites.size() < 2 || sites.size() > 9) return best;
  std::vector<int> order = sites;
  std::sort(order.begin(), order.end());
  do {
    // Each ring is met 2n times (rotations, reversals): keep one start.
    if (order.front() != *std::min_element(sites.begin(), sites.end())) continue;
    const WanRing ring = ring_along(order, links);
    if (better_ring(ring, best)) best = ring;
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

double ring_allreduce_s(double bytes, int sites, double bandwidth_bits_per_s,
                        double hop_latency_s) {
  if (sites < 2) return 0.0;
  const double n = static_cast<double>(sites);
  return 2.0 * (n - 1.0) * (8.0 * bytes / (n * bandwidth_bits_per_s) + hop_latency_s);
}

WanStep wan_step(const WanStepInputs& in) {
  WanStep s;
  s.bytes_per_sync = in.params * kWanGradientBytesPerParam;
  const double every = static_cast<double>(std::max(1, in.sync_every_steps));
  s.bytes_per_step = s.bytes_per_sync / every;
  s.allreduce_s = ring_allreduce_s(s.bytes_per_sync, in.sites, in.ring.bandwidth_bits_per_s,
                                   in.ring.hop_latency_s);
  // Forward 2 N, backward 4 N FLOP per token (the 6 N D rule).
  s.compute_s =
      in.sustained_flops > 0 ? 6.0 * in.params * in.batch_tokens / in.sustained_flops : 0.0;
  const double backward_s = s.compute_s * 2.0 / 3.0;
  s.exposed_s = std::max(0.0, s.allreduce_s - backward_s) / every;
  const double time_share =
      s.compute_s + s.exposed_s > 0 ? s.compute_s / (s.compute_s + s.exposed_s) : 0.0;
  const double penalty = in.sync_every_steps > 1 ? in.sync_penalty : 0.0;
  s.efficiency = time_share * (1.0 - penalty) * in.ring.availability;
  return s;
}

}  // namespace clustercap::model
