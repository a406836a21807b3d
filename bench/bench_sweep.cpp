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
  // Returns the wall time of the whole sweep and, in `sampling_rate`, its
  // samples per second in the sampling loop alone: from the first progress
  // report (thread 0's first block done, after setup) to the last, so that
  // neither setup (MFU tables, references) nor the tornado and rank
  // regression after it count, however long they take on a loaded machine.
  auto timed = [&](int threads, std::uint64_t n, std::string* text, double* sampling_rate) {
    sweep::SweepOptions options;
    options.samples = n;
    options.seed = 1;
    options.threads = threads;
    using Clock = std::chrono::steady_clock;
    Clock::time_point first_at{}, last_at{};
    std::uint64_t first_done = 0, last_done = 0;
    options.progress = [&](std::uint64_t done, std::uint64_t) {
      const Clock::time_point now = Clock::now();
      if (first_done == 0) {
        first_at = now;
        first_done = done;
      }
      if (done > last_done) {  // the report after the tornado repeats the count
        last_at = now;
        last_done = done;
      }
    };
    const auto start = Clock::now();
    const sweep::SweepResult result = sweep::run_sweep(scenario, catalog, options);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (sampling_rate != nullptr) {
      const double loop = std::chrono::duration<double>(last_at - first_at).count();
      *sampling_rate = static_cast<double>(last_done - first_done) / std::max(loop, 1e-9);
    }
    if (text != nullptr) {
      std::ostringstream out;
      report::write_sweep_json(result, out);
      *text = out.str();
    }
    return seconds;
  };
  for (int threads : {1, 2}) {
    const double seconds = timed(threads, timing_samples, nullptr, &rate[threads]);
    std::printf(
        "sweep, default scenario (%zu inputs), %llu samples, %d thread%s: %.3g s in all; %.3g "
        "samples/s in the sampling loop (%.3g end to end)\n",
        scenario.sweep.inputs.size(), static_cast<unsigned long long>(timing_samples), threads,
        threads == 1 ? "" : "s", seconds, rate[threads],
        static_cast<double>(timing_samples) / seconds);
    // The samples NumPy evaluates too, for the determinism check and the medians.
    timed(threads, samples, &json[threads], nullptr);
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
