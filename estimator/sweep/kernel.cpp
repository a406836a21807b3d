#include "estimator/sweep/kernel.hpp"

#include "estimator/sweep/kernel_body.hpp"

// Runtime dispatch in a portable build (CLUSTERCAP_NATIVE off, baseline
// x86-64): the per-sample path -- the draws (draw(): sampling.hpp's
// draw_values), evaluate(), with the MFU table's look-ups
// (training/mfu_lookup.hpp), and the block statistics (summarise()) -- is
// compiled three times from kernel_body.hpp: *_avx512() in kernel_avx512.cpp
// (-march=x86-64-v4), *_avx2() in kernel_avx2.cpp (-mavx2) and *_baseline()
// here; the Kernel picks one when it is built (__builtin_cpu_supports). Each
// file is compiled with its instruction set's macros, so lanes.hpp selects
// its AVX-512 or AVX2 forms there and Eigen its AVX2 ones (kernel_avx512.cpp),
// and its entry points are flattened, so those forms are not merged with
// another file's copy. What is not inlined (Engine::apply, libm,
// QuantileSketch's slow path) is called in its one baseline copy, so no AVX
// code is reachable except through those versions (ctest
// `baseline_code_has_no_avx` checks the binary, and that no version calls
// out of line with a pack by value or into a helper it should have inlined).
// The AVX code moves packs with aligned instructions: every pack it reads or
// writes in memory is on its own stack or in a struct aligned to 64 bytes
// (model::kPackStorageAlign: rows, known limits, winners, draws; the sampled
// values go to Engine::apply only, by reference). No version fuses a
// multiply and an add (-ffp-contract=off, CMakeLists.txt; the AVX files
// without -mfma, so Eigen uses none either), so every lane rounds the same in
// all three (tested). A native build has one version.
namespace clustercap::sweep {

namespace {

// The best version this CPU runs (CPUID, and the OS saving the registers).
KernelVersion best_version() {
#if CLUSTERCAP_KERNEL_VARIANTS
  __builtin_cpu_init();
  // What kernel_avx512.cpp is compiled for (-march=x86-64-v4).
  if (__builtin_cpu_supports("x86-64-v4")) {
    return KernelVersion::avx512;
  }
  if (__builtin_cpu_supports("avx2")) return KernelVersion::avx2;
#endif
  return KernelVersion::baseline;
}

KernelVersion pick(KernelChoice choice) {
  const KernelVersion best = best_version();
  switch (choice) {
    case KernelChoice::best:
      return best;
    case KernelChoice::avx2:
      return best == KernelVersion::baseline ? best : KernelVersion::avx2;
    case KernelChoice::baseline:
      break;
  }
  return KernelVersion::baseline;
}

}  // namespace

const char* kernel_variant(KernelChoice choice) {
#if CLUSTERCAP_KERNEL_VARIANTS
  switch (pick(choice)) {
    case KernelVersion::avx512:
      return "avx512";
    case KernelVersion::avx2:
      return "avx2";
    case KernelVersion::baseline:
      break;
  }
  return "baseline";
#else
  (void)choice;
#if defined(__AVX512F__)
  return "native avx512";
#elif defined(__AVX2__)
  return "native avx2";
#else
  return "baseline";
#endif
#endif
}

namespace {

RowT<Pack> broadcast(const RowT<double>& r) {
  RowT<Pack> p;
  model::for_each_field(p, r, [](Pack& to, double from) { to = splat<Pack>(from); });
  return p;
}

// True when a sampled input can change limit k of candidate c. The power
// and network limits are the ones the engine can prove fixed (no sampled
// input sets a fabric's radix, tiers or planes); any other limit, including
// one added to the table, is recomputed for every sample.
bool limit_sampled(const Engine& engine, std::size_t c, model::Constraint k) {
  if (!engine.size_sampled(c)) return false;
  switch (k) {
    case model::Constraint::power:
      return engine.power_sampled(c);
    case model::Constraint::network:
      return false;
    default:
      return true;
  }
}

}  // namespace

Kernel::Kernel(const Engine& engine, KernelChoice choice)
    : engine_(engine), version_(pick(choice)) {
  const std::size_t C = engine.candidates();
  // Grid-fixed values hold for every sample and are in these rows.
  std::vector<RowT<double>> rows = engine.median_rows();
  failures_.resize(C);
  fixed_.resize(C);
  fixed_limits_.resize(C);
  median_limits_.resize(C);
  limits_.resize(C);
  for (std::size_t c = 0; c < C; ++c) {
    const model::SizedT<double> median = model::sizing_t(rows[c]);
    for (std::size_t k = 0; k < model::kLimitCount; ++k) {
      median_limits_[c].systems[k] = splat<Pack>(median.limits[k]);
      median_limits_[c].have[k] = true;
      fixed_limits_[c].systems[k] = median_limits_[c].systems[k];
      fixed_limits_[c].have[k] = !limit_sampled(engine, c, static_cast<model::Constraint>(k));
      limits_[c].have[k] = true;
    }
    failures_[c] = rows[c].interruptions_per_chip_day > 0 ? 1 : 0;
  }
  // Candidates no sampled input can resize keep one size for the whole
  // sweep: only the best of them needs comparing. The rest go in the order
  // of their size at the medians, largest first, so that the likely winner
  // sets the bar the others must clear.
  order_.resize(engine.actors());
  std::vector<double> median_flops(C, 0.0);
  for (std::size_t a = 0; a < engine.actors(); ++a) {
    int fixed_best = -1;
    for (int c : engine.actor_candidates()[a]) {
      const auto k = static_cast<std::size_t>(c);
      const Size<double> s = size_of<double>(rows, k, -1.0, false);
      median_flops[k] = s.flops;
      if (engine.size_sampled(k)) {
        order_[a].push_back(c);
        continue;
      }
      fixed_[k] = s;
      if (fixed_best < 0) {
        fixed_best = c;
      } else if (const Size<double>& best = fixed_[static_cast<std::size_t>(fixed_best)];
                 model::preferred_t(s.flops, s.chips, best.flops, best.chips)) {
        fixed_best = c;
      }
    }
    if (fixed_best >= 0) order_[a].push_back(fixed_best);
    std::stable_sort(order_[a].begin(), order_[a].end(), [&](int x, int y) {
      return median_flops[static_cast<std::size_t>(x)] > median_flops[static_cast<std::size_t>(y)];
    });
  }
  winners_.assign(engine.actors(), Winner{splat<Pack>(-1.0), splat<Pack>(0.0)});
  for (const auto& r : rows) rows_.push_back(broadcast(r));
  for (const auto& actor : engine.median_counts()) {
    std::vector<Pack> packs;
    for (double v : actor) packs.push_back(splat<Pack>(v));
    counts_.push_back(packs);
  }
}

// The version picked: kernel_avx512.cpp, kernel_avx2.cpp or below.
#if CLUSTERCAP_KERNEL_VARIANTS
#define CLUSTERCAP_KERNEL_DISPATCH(NAME, ...)     \
  do {                                            \
    if (version_ == KernelVersion::avx512) {      \
      NAME##_avx512(__VA_ARGS__);                 \
    } else if (version_ == KernelVersion::avx2) { \
      NAME##_avx2(__VA_ARGS__);                   \
    } else {                                      \
      NAME##_baseline(__VA_ARGS__);               \
    }                                             \
  } while (false)
CLUSTERCAP_KERNEL_ENTRIES(baseline)
#else
#define CLUSTERCAP_KERNEL_DISPATCH(NAME, ...) NAME##_body(__VA_ARGS__)
#endif

void Kernel::evaluate(const std::vector<Pack>& values, double* metrics, double* bindings,
                      std::size_t stride, std::size_t offset) {
  CLUSTERCAP_KERNEL_DISPATCH(evaluate, values, metrics, bindings, stride, offset);
}

void Kernel::draw(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                  std::uint64_t first, std::vector<Pack>& values) {
  draws_.resize(scenario.sweep.inputs.size());
  draw_scratch_.resize(copula.inputs.size());
  CLUSTERCAP_KERNEL_DISPATCH(draw, scenario, copula, seed, first);
  values.resize(draws_.size());
  for (std::size_t i = 0; i < draws_.size(); ++i) values[i] = draws_[i].value;
}

void Kernel::summarise(const BlockStatistics& block) {
  CLUSTERCAP_KERNEL_DISPATCH(summarise, block);
}

int Kernel::winner(std::size_t actor, int lane) const {
  return static_cast<int>(winners_[actor].index[lane]);
}

double Kernel::winner_mfu(std::size_t actor, int lane) const { return winners_[actor].mfu[lane]; }

}  // namespace clustercap::sweep
