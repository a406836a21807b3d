// Benchmark of `sweep` on the default scenario with its distributions: wall
// time at 1 and 2 threads on the same samples, the scaling between them, and
// peak memory. Writes the evaluation plan and the 2-thread result so
// bench/reference_numpy.py can time an independent NumPy implementation on
// the same samples and compare medians (bench/run.sh does all of it).
//
//   ./build/bench/clustercap_bench_sweep [SAMPLES] [OUT_DIR] [TIMING_SAMPLES]
// SAMPLES (2,000,000) are compared with NumPy; rates are timed on
// TIMING_SAMPLES (20,000,000) drawn the same way.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "estimator/report/sweep_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "hardware/catalog_loader.hpp"

using namespace clustercap;

int main(int argc, char** argv) {
  const std::uint64_t samples = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const std::string out_dir = argc > 2 ? argv[2] : ".";
  const std::uint64_t timing_samples =
      argc > 3 ? std::strtoull(argv[3], nullptr, 10) : std::max<std::uint64_t>(samples, 20000000);
  const Catalog catalog = load_catalog(builtin_catalog_sources());
  const Scenario scenario = load_default_scenario(catalog);

  double rate[3] = {0, 0, 0};
  std::string json[3];
  auto timed = [&](int threads, std::uint64_t n, std::string* text) {
    sweep::SweepOptions options;
    options.samples = n;
    options.seed = 1;
    options.threads = threads;
    const auto start = std::chrono::steady_clock::now();
    const sweep::SweepResult result = sweep::run_sweep(scenario, catalog, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (text != nullptr) {
      std::ostringstream out;
      report::write_sweep_json(result, out);
      *text = out.str();
    }
    return seconds;
  };
  for (int threads : {1, 2}) {
    // Setup (MFU tables, references, tornado, rank regression) does not grow
    // with the sample count: time it on one pack of samples and report the
    // per-sample rate without it, as a billion-sample sweep sees it. The
    // rate comes from a run long enough for setup and noise to matter little.
    const double setup = timed(threads, 8, nullptr);
    const double seconds = timed(threads, timing_samples, nullptr);
    const double kernel = std::max(seconds - setup, 1e-9);
    rate[threads] = static_cast<double>(timing_samples) / kernel;
    std::printf(
        "sweep, default scenario (%zu inputs), %llu samples, %d thread%s: %.3g s in all, of which "
        "setup %.3g s; %.3g samples/s after setup (%.3g end to end)\n",
        scenario.sweep.inputs.size(), static_cast<unsigned long long>(timing_samples), threads,
        threads == 1 ? "" : "s", seconds, setup, rate[threads],
        static_cast<double>(timing_samples) / seconds);
    // The samples NumPy evaluates too, for the determinism check and the medians.
    timed(threads, samples, &json[threads]);
  }
  std::printf("scaling 1 -> 2 threads: %.2fx\n", rate[2] / rate[1]);
  std::printf("1- and 2-thread results byte-identical: %s\n", json[1] == json[2] ? "yes" : "NO");
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);

  std::ofstream(out_dir + "/sweep.json") << json[2];
  std::ofstream(out_dir + "/plan.json") << sweep::sweep_plan_json(scenario, catalog, 1);
  std::ofstream(out_dir + "/rate-1-thread") << rate[1] << "\n";
  std::ofstream(out_dir + "/rate-2-threads") << rate[2] << "\n";
  return json[1] == json[2] ? 0 : 1;
}
