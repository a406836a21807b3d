// Benchmark of per-candidate setup reused across grid points and months
// (issue 18, part 3): the memos of estimator/training/search_cache.hpp (the
// layout search and the MFU tables' lattice nodes) on and off in the same
// run.
//  - a 1,000-point [sweep.grid] on the default scenario: 10 site powers of
//    the dispersed actor's campus x 10 counts of its 910C x 10 run lengths
//    (none changes chip, system or fabric), 10^4 samples a point, 2 threads,
//    memos cleared first; the first point alone is timed too (every table's
//    lattice solved, as for a grid point that changes chip, system or
//    fabric). Without the memos the first UNCACHED_POINTS points (10 by
//    default) are timed and the per-point cost is scaled to 1,000 points;
//  - `timeline` on configs/china-2026-pooled.toml, memos on (cleared first)
//    and off.
// Both paths give byte-identical JSON (checked on the slice).
//
//   ./build/bench/clustercap_bench_grid [UNCACHED_POINTS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "estimator/report/sweep_report.hpp"
#include "estimator/report/timeline_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "estimator/timeline.hpp"
#include "estimator/training/search_cache.hpp"
#include "hardware/catalog_loader.hpp"

using namespace clustercap;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> levels(double lo, double hi, int n) {
  if (n == 1) return {hi};
  std::vector<double> v;
  for (int k = 0; k < n; ++k) v.push_back(lo + (hi - lo) * k / (n - 1));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const int uncached_points = std::clamp(argc > 1 ? std::atoi(argv[1]) : 10, 1, 1000);
  const Catalog catalog = load_catalog(builtin_catalog_sources());
  const Scenario base = load_default_scenario(catalog);

  // The first `points` points of the 10 x 10 x 10 grid (the last axis varies
  // fastest), or all of it.
  auto grid_scenario = [&](int points) {
    Scenario s = base;
    s.sweep.grid.clear();
    const int first = std::max(1, std::min(10, points / 100)),
              second = points >= 100 ? 10 : std::max(1, std::min(10, points / 10));
    const int third = points >= 10 ? 10 : points;
    s.sweep.grid.push_back({"actor[0].site[0].power_mw", levels(100, 1000, first)});
    s.sweep.grid.push_back({"actor[0].inventory[0].count", levels(30000, 300000, second)});
    s.sweep.grid.push_back({"training.duration_days", levels(60, 270, third)});
    return s;
  };
  auto sweep_json = [&](const Scenario& s, double* seconds) {
    sweep::SweepOptions options;
    options.samples = 10000;
    options.seed = 1;
    options.threads = 2;
    const auto start = std::chrono::steady_clock::now();
    const sweep::SweepResult result = sweep::run_sweep(s, catalog, options);
    *seconds = seconds_since(start);
    std::ostringstream out;
    report::write_sweep_json(result, out);
    return out.str();
  };

  // The slice both ways (memos cleared before each), then the first point
  // and the whole grid with them, each from cold.
  const Scenario slice = grid_scenario(uncached_points);
  double slice_off = 0, slice_on = 0, first_point = 0, grid_on = 0;
  training::set_search_cache_enabled(false);
  const std::string off_json = sweep_json(slice, &slice_off);
  training::set_search_cache_enabled(true);
  const std::string on_json = sweep_json(slice, &slice_on);
  training::set_search_cache_enabled(true);  // cleared
  sweep_json(grid_scenario(1), &first_point);
  training::set_search_cache_enabled(true);  // cleared: the grid starts cold
  sweep_json(grid_scenario(1000), &grid_on);
  const training::SearchCacheStats stats = training::search_cache_stats();
  const double points = uncached_points;
  const double grid_off = slice_off / points * 1000;
  std::printf(
      "grid, default scenario, 1,000 points (10 site powers x 10 910C counts x 10 run lengths) "
      "x 10^4 samples, 2 threads: %.3g s with the memos (%llu searches, %llu answered from the "
      "memo; %llu table nodes, %llu from the memo)\n",
      grid_on, static_cast<unsigned long long>(stats.misses + stats.hits),
      static_cast<unsigned long long>(stats.hits),
      static_cast<unsigned long long>(stats.node_misses + stats.node_hits),
      static_cast<unsigned long long>(stats.node_hits));
  std::printf("  the first point alone, cold (a new chip, system or fabric costs this): %.3g s\n",
              first_point);
  std::printf("  without the memos: %.3g s for %d points, %.3g s for 1,000 %s; speed-up %.1fx\n",
              slice_off, static_cast<int>(points), grid_off,
              points >= 1000 ? "(timed)" : "(scaled)", grid_off / grid_on);
  std::printf(
      "  %d-point output byte-identical with and without the memos: %s (%.3g s with them)\n",
      static_cast<int>(points), off_json == on_json ? "yes" : "NO", slice_on);

  const Scenario pooled = load_scenario_file("configs/china-2026-pooled.toml", catalog);
  double timeline_s[2] = {0, 0};
  std::string timeline_json[2];
  for (int cached = 0; cached < 2; ++cached) {
    training::set_search_cache_enabled(cached == 1);  // cleared
    const auto start = std::chrono::steady_clock::now();
    const TimelineResult result = run_timeline(pooled, catalog);
    timeline_s[cached] = seconds_since(start);
    std::ostringstream out;
    report::write_timeline_json(result, out);
    timeline_json[cached] = out.str();
  }
  std::printf(
      "timeline, configs/china-2026-pooled.toml: %.3g s with the memos, %.3g s without; "
      "speed-up %.1fx; output byte-identical: %s\n",
      timeline_s[1], timeline_s[0], timeline_s[0] / timeline_s[1],
      timeline_json[0] == timeline_json[1] ? "yes" : "NO");
  return off_json == on_json && timeline_json[0] == timeline_json[1] ? 0 : 1;
}
