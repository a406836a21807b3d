// Training across sites linked by a wide-area network (issue 17): synchronous
// hierarchical data parallelism. Each site runs full layouts on its own
// chips; once per synchronisation the sites all-reduce the gradient over
// their WAN links as a ring. Pure functions, no I/O, thread-safe.
//
// The ring: the sites in an order in which each neighbour pair is linked
// (a cycle), or a path whose closing hop runs back along the path (full
// duplex: the back direction of each link carries it, so no link carries
// two streams one way). The slowest link sets the bandwidth; each of the
// ring's 2(n-1) steps waits for its longest hop (the closing hop of a path
// is the whole path).
#pragma once

#include <vector>

namespace clustercap::model {

// Speed of light in fibre, km/s (Epoch, "Can AI scaling continue through
// 2030?", Appendix C: 2e5 km/s; docs/methodology.md §1.1).
inline constexpr double kFiberKmPerS = 2e5;
// Bytes of gradient per parameter on the WAN: bf16 gradients, as in
// mixed-precision Adam's 16 bytes per parameter (2 weights, 2 gradients,
// 12 optimizer state; docs/methodology.md R17).
inline constexpr double kWanGradientBytesPerParam = 2.0;

// One undirected WAN link between sites `a` and `b` (indices into the
// actor's sites).
struct WanLink {
  int a = 0, b = 0;
  double bandwidth_bits_per_s = 0;  // each direction, > 0
  double latency_s = 0;             // one way, >= 0
  double availability = 1.0;        // share of time the link is up, (0, 1]
};

struct WanRing {
  bool found = false;               // the sites can be put in a ring over the links
  std::vector<int> order;           // sites in ring order
  std::vector<int> links;           // indices of the links the ring uses
  double bandwidth_bits_per_s = 0;  // the slowest link's
  double hop_latency_s = 0;         // the longest logical hop's
  double availability = 1.0;        // every link used must be up: the product
};

// The ring over `sites` (two or more, distinct) that uses `links`: a cycle
// when one exists, else a path (see above); among several, the one with the
// widest slowest link, then the shortest longest hop. found = false when no
// path visits every site once. Brute force over orders: for the few sites an
// actor has (at most 9).
WanRing ring_over(const std::vector<int>& sites, const std::vector<WanLink>& links);

// Time of one ring all-reduce of `bytes` over `sites` sites, s: 2(n-1)
// steps, each sending bytes/n over every hop at the slowest link's
// bandwidth and waiting for the longest hop: 2(n-1) (8 bytes / (n F) + t_hop).
// For large n this tends to Epoch's bandwidth term 2 x bits / F (Appendix C).
double ring_allreduce_s(double bytes, int sites, double bandwidth_bits_per_s, double hop_latency_s);

// What the WAN costs one training step.
struct WanStep {
  double bytes_per_sync = 0;  // gradient bytes all-reduced per synchronisation
  double bytes_per_step = 0;  // the same per step (divided by sync_every_steps)
  double allreduce_s = 0;     // one synchronisation
  double compute_s = 0;       // one step's compute inside the sites, before the WAN
  double exposed_s = 0;       // WAN time per step not hidden behind backward passes
  // Sustained FLOP/s with the WAN over without it: compute_s / (compute_s +
  // exposed_s) x (1 - sync_penalty) x link availability.
  double efficiency = 1.0;
};

struct WanStepInputs {
  double params = 0;           // model trained, parameters
  double batch_tokens = 0;     // tokens per optimizer step (all sites)
  double sustained_flops = 0;  // all sites together, before the WAN
  int sites = 2;
  WanRing ring;
  int sync_every_steps = 1;  // inner steps per WAN synchronisation (DiLoCo H)
  double sync_penalty = 0;   // share of the compute's value lost to infrequent sync
};

// One step: compute 6 N B / S; the all-reduce of the gradient (N x 2 bytes)
// runs behind the backward pass (2/3 of the compute), as the step model's
// bucketed DP overlap does inside a site; what sticks out is exposed. With
// sync_every_steps = H only one step in H synchronises (its exposed time is
// spread over H steps) and the sourced penalty applies.
WanStep wan_step(const WanStepInputs& in);

}  // namespace clustercap::model
