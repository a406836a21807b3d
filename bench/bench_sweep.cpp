// Benchmark of `sweep` on the default scenario with its distributions: wall
// time at 1 and 2 threads on the same samples, the scaling between them, and
// peak memory. Writes the evaluation plan and the 2-thread result so
// bench/reference_numpy.py can time an independent NumPy implementation on
// the same samples and compare medians (bench/run.sh does all of it).
//
//   ./build/bench/clustercap_bench_sweep [SAMPLES] [OUT_DIR]
#include <sys/resource.h>

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
  const Catalog catalog = load_catalog(builtin_catalog_sources());
  const Scenario scenario = load_default_scenario(catalog);

  double rate[3] = {0, 0, 0};
  std::string json[3];
  for (int threads : {1, 2}) {
    sweep::SweepOptions options;
    options.samples = samples;
    options.seed = 1;
    options.threads = threads;
    const auto start = std::chrono::steady_clock::now();
    const sweep::SweepResult result = sweep::run_sweep(scenario, catalog, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rate[threads] = static_cast<double>(samples) / seconds;
    std::ostringstream text;
    report::write_sweep_json(result, text);
    json[threads] = text.str();
    std::printf("sweep, default scenario (%zu inputs), %llu samples, %d thread%s: %.3g s = %.3g samples/s\n",
                scenario.sweep.inputs.size(), static_cast<unsigned long long>(samples), threads,
                threads == 1 ? "" : "s", seconds, rate[threads]);
  }
  std::printf("scaling 1 -> 2 threads: %.2fx\n", rate[2] / rate[1]);
  std::printf("1- and 2-thread results byte-identical: %s\n", json[1] == json[2] ? "yes" : "NO");
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MB\n", static_cast<double>(usage.ru_maxrss) / 1024.0);

  std::ofstream(out_dir + "/sweep.json") << json[2];
  std::ofstream(out_dir + "/plan.json") << sweep::sweep_plan_json(scenario, catalog, 1);
  std::ofstream(out_dir + "/rate-2-threads") << rate[2] << "\n";
  return json[1] == json[2] ? 0 : 1;
}
