#include "estimator/cli/app.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include <unistd.h>

#include <boost/program_options.hpp>

#include "estimator/cli/output.hpp"
#include "estimator/estimate.hpp"
#include "estimator/report/classify_report.hpp"
#include "estimator/report/compare_report.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/hardware_report.hpp"
#include "estimator/report/sweep_report.hpp"
#include "estimator/report/timeline_report.hpp"
#include "estimator/sweep/sweep.hpp"
#include "estimator/report/validate_report.hpp"
#include "estimator/report/version.hpp"
#include "estimator/validate.hpp"
#include "estimator/timeline.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"
#include "hardware/compare.hpp"
#include "hardware/export_control.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"

namespace po = boost::program_options;

namespace clustercap::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitInput = 2;

// Usage errors (bad flags, missing arguments): exit 2 with a hint.
class UsageError : public std::runtime_error {
 public:
  UsageError(const std::string& message, std::string command)
      : std::runtime_error(message), command_(std::move(command)) {}
  const std::string& command() const { return command_; }

 private:
  std::string command_;
};

const char* kTopUsage =
    "clustercap: how large a training cluster can an actor assemble, and what can it train?\n"
    "\n"
    "usage: clustercap COMMAND [ARGS] [--help]\n"
    "\n"
    "commands:\n"
    "  estimate [SCENARIO.toml]    largest trainable cluster per actor (default scenario if none)\n"
    "  timeline SCENARIO.toml      inventory and largest cluster month by month from [[supply]]\n"
    "  sweep SCENARIO.toml         Monte Carlo and grids over the scenario's distributions\n"
    "  validate [CASES.toml]       step-time model vs published training runs\n"
    "  compare ID ID...            chips or systems side by side, with ratios\n"
    "  classify ID... [--rule R]   export-control TPP, PD and verdict per rule vintage\n"
    "  hardware list               chips, systems and reference clusters in the catalog\n"
    "  hardware show ID            one catalog entry with its sources\n"
    "\n"
    "options:\n"
    "  --help       this text\n"
    "  --version    print the version\n"
    "\n"
    "exit codes: 0 success, 1 runtime failure, 2 bad input or usage\n"
    "example: clustercap estimate configs/default.toml --format json\n";

struct CommonOptions {
  std::string format = "table";
  std::string output;
  std::vector<std::string> hardware_files;
};

void add_common(po::options_description& desc, CommonOptions& common, bool with_csv) {
  desc.add_options()("help,h", "show this help")(
      "format,f", po::value<std::string>(&common.format)->default_value("table"),
      with_csv ? "output format: table, json or csv" : "output format: table or json")(
      "output,o", po::value<std::string>(&common.output),
      "write to FILE (atomically) instead of stdout")(
      "hardware", po::value<std::vector<std::string>>(&common.hardware_files)->composing(),
      "extra catalog TOML file with [[chip]]/[[system]]/[[cluster]] entries (repeatable)");
}

void check_format(const std::string& format, bool with_csv, const std::string& command) {
  if (format == "table" || format == "json" || (with_csv && format == "csv")) return;
  throw UsageError("--format " + format + ": must be " +
                       std::string(with_csv ? "table, json or csv" : "table or json"),
                   command);
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc,
                        const po::positional_options_description& positional,
                        const std::string& command) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what(), command);
  }
  return vm;
}

std::string help_text(const std::string& usage, const po::options_description& desc,
                      const std::string& example) {
  std::ostringstream text;
  text << usage << "\n\n" << desc << "\nexample:\n  " << example << "\n";
  return text.str();
}

// Formats `result` with the reporter for `format` and writes it to stdout or
// the --output file.
template <typename Result>
int write_result(const CommonOptions& common, const Result& result, std::ostream& out,
                 void (*json)(const Result&, std::ostream&), void (*csv)(const Result&, std::ostream&),
                 void (*table)(const Result&, std::ostream&)) {
  std::ostringstream text;
  if (common.format == "json") {
    json(result, text);
  } else if (common.format == "csv") {
    csv(result, text);
  } else {
    table(result, text);
  }
  emit(text.str(), common.output, out);
  return kExitOk;
}

int run_estimate(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::string scenario_path;
  po::options_description desc("estimate options");
  add_common(desc, common, true);
  desc.add_options()("scenario", po::value<std::string>(&scenario_path), "scenario TOML file");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const auto vm = parse(args, desc, positional, "estimate");
  if (vm.count("help")) {
    out << help_text(
        "usage: clustercap estimate [SCENARIO.toml] [--format table|json|csv] [--output FILE] "
        "[--hardware EXTRA.toml]\n\n"
        "Estimates, for each actor in the scenario, the largest single training cluster it can\n"
        "assemble, which limit binds (chips, power, network, budget), its sustained FLOP/s, the\n"
        "training compute over the run and the largest compute-optimal model. Without a file it\n"
        "runs the embedded configs/default.toml.",
        desc, "clustercap estimate configs/default.toml --format json --output estimate.json");
    return kExitOk;
  }
  check_format(common.format, true, "estimate");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const Scenario scenario = scenario_path.empty() ? load_default_scenario(catalog)
                                                  : load_scenario_file(scenario_path, catalog);
  const EstimateResult result = estimate(scenario, catalog);
  return write_result(common, result, out, report::write_estimate_json, report::write_estimate_csv,
                      report::write_estimate_table);
}

int run_hardware(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::string action, id, kind_text = "all";
  po::options_description desc("hardware options");
  add_common(desc, common, false);
  desc.add_options()("kind", po::value<std::string>(&kind_text)->default_value("all"),
                     "list only: chip, system, cluster or all")(
      "action", po::value<std::string>(&action), "list or show")(
      "id", po::value<std::string>(&id), "catalog id for show");
  po::positional_options_description positional;
  positional.add("action", 1).add("id", 1);
  const auto vm = parse(args, desc, positional, "hardware");
  if (vm.count("help") || action.empty()) {
    if (!vm.count("help")) throw UsageError("missing action: list or show", "hardware");
    out << help_text("usage: clustercap hardware list [--kind chip|system|cluster] [--format "
                     "table|json]\n       clustercap hardware show ID [--format table|json]\n\n"
                     "Prints the catalog: every figure with its unit, estimates marked, sources.",
                     desc, "clustercap hardware show huawei_cloudmatrix_384");
    return kExitOk;
  }
  check_format(common.format, false, "hardware");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  std::ostringstream text;
  if (action == "list") {
    if (!id.empty()) throw UsageError("list takes no id (did you mean show?)", "hardware");
    report::HardwareKind kind = report::HardwareKind::all;
    if (kind_text == "chip") {
      kind = report::HardwareKind::chip;
    } else if (kind_text == "system") {
      kind = report::HardwareKind::system;
    } else if (kind_text == "cluster") {
      kind = report::HardwareKind::cluster;
    } else if (kind_text != "all") {
      throw UsageError("--kind " + kind_text + ": must be chip, system, cluster or all",
                       "hardware");
    }
    if (common.format == "json") {
      report::write_hardware_list_json(catalog, kind, text);
    } else {
      report::write_hardware_list_table(catalog, kind, text);
    }
  } else if (action == "show") {
    if (id.empty()) throw UsageError("show needs an ID", "hardware");
    const bool found = common.format == "json"
                           ? report::write_hardware_show_json(catalog, id, text)
                           : report::write_hardware_show_table(catalog, id, text);
    if (!found) {
      throw InputErrors({{"command line", 0, 0, "hardware show", "\"" + id + "\"",
                          "unknown catalog id" + did_you_mean(id, catalog.all_ids())}});
    }
  } else {
    throw UsageError("unknown action \"" + action + "\": use list or show", "hardware");
  }
  emit(text.str(), common.output, out);
  return kExitOk;
}

int run_timeline_command(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::string scenario_path;
  po::options_description desc("timeline options");
  add_common(desc, common, true);
  desc.add_options()("scenario", po::value<std::string>(&scenario_path), "scenario TOML file");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const auto vm = parse(args, desc, positional, "timeline");
  if (vm.count("help")) {
    out << help_text(
        "usage: clustercap timeline SCENARIO.toml [--format table|json|csv] [--output FILE]\n\n"
        "Runs the scenario's [[supply]] lines month by month over its [timeline]: production\n"
        "(wafers, yield, HBM, packaging; the binding stage), imports gated by the export rule,\n"
        "smuggling, attrition and yearly budgets. Each month: inventory, the largest cluster it\n"
        "can assemble, its sustained FLOP/s, the ratio to each reference and the first month\n"
        "each reference is overtaken.",
        desc, "clustercap timeline configs/china-2026-pooled.toml");
    return kExitOk;
  }
  check_format(common.format, true, "timeline");
  if (scenario_path.empty()) throw UsageError("timeline needs a scenario file", "timeline");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const Scenario scenario = load_scenario_file(scenario_path, catalog);
  if (!scenario.timeline) {
    throw InputErrors({{scenario_path, 0, 0, "timeline", "",
                        "missing: timeline needs a [timeline] section with start and end"}});
  }
  const TimelineResult result = run_timeline(scenario, catalog);
  return write_result(common, result, out, report::write_timeline_json,
                      report::write_timeline_csv, report::write_timeline_table);
}

int run_validate_command(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::string cases_path;
  int threads = 1;
  po::options_description desc("validate options");
  add_common(desc, common, true);
  desc.add_options()("cases", po::value<std::string>(&cases_path), "cases TOML file")(
      "threads,t", po::value<int>(&threads)->default_value(1), "threads for the layout search");
  po::positional_options_description positional;
  positional.add("cases", 1);
  const auto vm = parse(args, desc, positional, "validate");
  if (vm.count("help")) {
    out << help_text("usage: clustercap validate [CASES.toml] [--threads T] [--format table|json|csv]\n\n"
                     "Runs the step-time model on published training runs (embedded\n"
                     "configs/validation/published-runs.toml by default) with their published TP/PP and\n"
                     "with the layout left to the search; prints predicted vs reported throughput, the\n"
                     "error, and the median and worst absolute error.",
                     desc, "clustercap validate --threads 2");
    return kExitOk;
  }
  check_format(common.format, true, "validate");
  if (threads < 1 || threads > 1024) throw UsageError("--threads must be in [1, 1024]", "validate");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  std::vector<training::ValidationCase> cases;
  if (cases_path.empty()) {
    cases = training::load_validation_cases("configs/validation/published-runs.toml",
                                            training::default_validation_text(), catalog);
  } else {
    Diagnostics diagnostics;
    const auto text = read_text_file(cases_path, diagnostics);
    diagnostics.throw_if_any();
    cases = training::load_validation_cases(cases_path, *text, catalog);
  }
  const training::ValidationResult result = training::run_validation(cases, threads);
  return write_result(common, result, out, report::write_validate_json, report::write_validate_csv,
                      report::write_validate_table);
}

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

int run_sweep_command(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::string scenario_path, samples_out, plan_out;
  std::uint64_t samples = 100000, seed = 1;
  int threads = 1;
  po::options_description desc("sweep options");
  add_common(desc, common, true);
  desc.add_options()("scenario", po::value<std::string>(&scenario_path), "scenario TOML file")(
      "samples,n", po::value<std::uint64_t>(&samples)->default_value(100000), "samples per grid point")(
      "seed", po::value<std::uint64_t>(&seed)->default_value(1), "random seed")(
      "threads,t", po::value<int>(&threads)->default_value(1), "OpenMP threads (results do not depend on it)")(
      "samples-out", po::value<std::string>(&samples_out),
      "write per-sample rows (inputs and outputs) to this CSV; at most 1,000,000 samples")(
      "plan-out", po::value<std::string>(&plan_out),
      "write the evaluation plan (candidates, inputs, bindings) as JSON for an independent "
      "re-implementation, e.g. bench/reference_numpy.py");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  const auto vm = parse(args, desc, positional, "sweep");
  if (vm.count("help")) {
    out << help_text(
        "usage: clustercap sweep SCENARIO.toml [--samples N] [--seed S] [--threads T]\n"
        "       [--format table|json|csv] [--output FILE] [--samples-out FILE.csv]\n\n"
        "Draws every number written as a distribution (uniform, triangular, pert, normal,\n"
        "lognormal, choice; [[sweep.correlation]] for rank correlation) and evaluates the estimate\n"
        "model per sample; [sweep.grid] runs the sweep at each combination of listed values.\n"
        "Reports mean, sd and p5..p95 of each output, binding-constraint shares, the probability\n"
        "of exceeding each reference, a tornado and standardised rank-regression coefficients.\n"
        "Output is identical for any --threads.",
        desc, "clustercap sweep configs/default.toml --samples 1000000 --threads 2");
    return kExitOk;
  }
  check_format(common.format, true, "sweep");
  if (scenario_path.empty()) throw UsageError("sweep needs a scenario file", "sweep");
  if (threads < 1 || threads > 1024) throw UsageError("--threads must be in [1, 1024]", "sweep");
  if (samples < 1 || samples > 100000000000ULL) throw UsageError("--samples must be in [1, 1e11]", "sweep");
  constexpr std::uint64_t kMaxRows = 1000000;
  if (!samples_out.empty() && samples > kMaxRows) {
    throw UsageError("--samples-out keeps every row: use --samples <= 1000000 with it", "sweep");
  }
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const Scenario scenario = load_scenario_file(scenario_path, catalog);
  if (!scenario.supply.empty()) {
    throw InputErrors({{scenario_path, 0, 0, "supply", "",
                        "sweep does not run [[supply]] timelines yet; use timeline or estimate"}});
  }
  if (!plan_out.empty()) write_file_atomically(plan_out, sweep::sweep_plan_json(scenario, catalog, seed));
  sweep::SweepOptions options;
  options.samples = samples;
  options.seed = seed;
  options.threads = threads;
  options.keep_rows = samples_out.empty() ? 0 : samples;
  options.cancel = &g_interrupted;
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  const auto started = std::chrono::steady_clock::now();
  auto last = started;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!terminal) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - started < std::chrono::seconds(2) || now - last < std::chrono::milliseconds(500)) return;
    last = now;
    std::fprintf(stderr, "\rsweep: %5.1f%% (%llu of %llu samples)", 100.0 * static_cast<double>(done) / static_cast<double>(total),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  };
  g_interrupted.store(false);
  auto previous_int = std::signal(SIGINT, on_interrupt);
  auto previous_term = std::signal(SIGTERM, on_interrupt);
  sweep::SweepResult result;
  try {
    result = sweep::run_sweep(scenario, catalog, options);
  } catch (...) {
    std::signal(SIGINT, previous_int);
    std::signal(SIGTERM, previous_term);
    throw;
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  if (terminal && std::chrono::steady_clock::now() - started >= std::chrono::seconds(2)) std::fputs("\n", stderr);
  if (result.interrupted) throw RuntimeFailure("interrupted; nothing was written");
  if (!samples_out.empty()) {
    std::ostringstream rows;
    report::write_sweep_rows_csv(result, rows);
    write_file_atomically(samples_out, rows.str());
  }
  return write_result(common, result, out, report::write_sweep_json, report::write_sweep_csv,
                      report::write_sweep_table);
}

void check_ids_exist(const std::vector<std::string>& ids, const Catalog& catalog, bool chips_only,
                     const std::string& command) {
  std::vector<InputError> errors;
  const auto known = chips_only ? catalog.chip_ids() : [&] {
    auto k = catalog.chip_ids();
    for (auto& id : catalog.system_ids()) k.push_back(std::move(id));
    return k;
  }();
  for (const auto& id : ids) {
    if (std::find(known.begin(), known.end(), id) != known.end()) continue;
    std::string rule = std::string("unknown ") + (chips_only ? "chip id" : "chip or system id") +
                       did_you_mean(id, known);
    if (catalog.find_cluster(id) != nullptr) rule = "is a reference cluster; " + command + " takes " +
                                                    (chips_only ? "chips" : "chips and systems");
    if (const System* system = catalog.find_system(id); system != nullptr && chips_only) {
      rule = "is a system; " + command + " takes chips" +
             (system->chip_id.empty() ? std::string() : " (its chip: \"" + system->chip_id + "\")");
    }
    errors.push_back({"command line", 0, 0, command, "\"" + id + "\"", rule});
  }
  if (!errors.empty()) throw InputErrors(errors);
}

int run_compare(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::vector<std::string> ids;
  po::options_description desc("compare options");
  add_common(desc, common, true);
  desc.add_options()("id", po::value<std::vector<std::string>>(&ids), "chip or system ids");
  po::positional_options_description positional;
  positional.add("id", -1);
  const auto vm = parse(args, desc, positional, "compare");
  if (vm.count("help")) {
    out << help_text(
        "usage: clustercap compare ID ID... [--format table|json|csv] [--output FILE]\n\n"
        "Chips or systems side by side: count, dense PFLOPS per precision, HBM TB and TB/s,\n"
        "bidirectional scale-up, scale-out, power with its scope, price, H100e and efficiency\n"
        "(W per TFLOP, W per TB/s, W per TB, USD per PFLOP). Ratios are the first ID / each.",
        desc, "clustercap compare huawei_cloudmatrix_384 nvidia_gb200_nvl72");
    return kExitOk;
  }
  check_format(common.format, true, "compare");
  if (ids.size() < 2) throw UsageError("compare needs at least two ids", "compare");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  check_ids_exist(ids, catalog, false, "compare");
  const ComparisonResult result = compare_hardware(catalog, ids);
  return write_result(common, result, out, report::write_compare_json, report::write_compare_csv,
                      report::write_compare_table);
}

// A chip described on the command line, for testing a hypothetical design.
struct HypotheticalChip {
  std::string name = "hypothetical";
  std::vector<std::pair<Precision, double>> rates;  // dense TFLOPS / TOPS
  std::optional<double> die_area_mm2, io_bidir_gbs, hbm_bw_tbs;
  std::optional<std::string> datacenter;
  bool given() const {
    return !rates.empty() || die_area_mm2 || io_bidir_gbs || hbm_bw_tbs || datacenter;
  }
};

Chip build_hypothetical(const HypotheticalChip& h) {
  std::vector<InputError> errors;
  auto missing = [&](const std::string& flag, const std::string& why) {
    errors.push_back({"command line", 0, 0, flag, "", why});
  };
  Chip chip;
  chip.id = h.name;
  chip.name = "hypothetical chip from the command line";
  chip.provenance.sources = {"command line"};
  chip.provenance.defined_in = "command line";
  for (const auto& [p, tera] : h.rates) {
    if (!(tera > 0) || !std::isfinite(tera)) {
      errors.push_back({"command line", 0, 0, "--tflops-" + std::string(to_string(p)), format_number(tera), "must be > 0"});
    }
    chip.dense_peak_flops[static_cast<std::size_t>(p)] = tera * 1e12;
  }
  if (h.rates.empty()) {
    missing("--tflops-bf16", "missing: give at least one dense rate (--tflops-bf16, --tflops-fp16, "
                             "--tflops-fp8, --tops-int8, --tflops-fp4, --tflops-tf32, --tflops-fp32) "
                             "so TPP can be computed");
  }
  if (!h.die_area_mm2) {
    missing("--die-area-mm2", "missing: applicable logic-die area is needed for PD");
  } else if (!(*h.die_area_mm2 > 0)) {
    errors.push_back({"command line", 0, 0, "--die-area-mm2", format_number(*h.die_area_mm2), "must be > 0"});
  }
  chip.die_area_mm2 = h.die_area_mm2;
  if (!h.datacenter) {
    missing("--datacenter", "missing: say true or false (designed or marketed for datacenters; "
                            "decides Note 2 and NAC)");
  } else if (*h.datacenter != "true" && *h.datacenter != "false") {
    errors.push_back({"command line", 0, 0, "--datacenter", *h.datacenter, "must be true or false"});
  } else {
    chip.datacenter = *h.datacenter == "true";
  }
  if (h.io_bidir_gbs) chip.scaleup_bidirectional_bytes_per_s = *h.io_bidir_gbs * 1e9;
  if (h.hbm_bw_tbs) chip.hbm_bandwidth_bytes_per_s = *h.hbm_bw_tbs * 1e12;
  if (!errors.empty()) throw InputErrors(errors);
  return chip;
}

const char* flag_for(const std::string& metric) {
  if (metric == "io_bidir_gbs") return "--io-bidir-gbs";
  if (metric == "total_dram_bw_gbs") return "--hbm-bw-tbs";
  if (metric == "pd") return "--die-area-mm2";
  if (metric == "datacenter") return "--datacenter";
  return "--tflops-bf16";
}

int run_classify(const std::vector<std::string>& args, std::ostream& out) {
  CommonOptions common;
  std::vector<std::string> ids;
  std::string rule = "all";
  bool show_headroom = false;
  HypotheticalChip h;
  std::map<Precision, double> rate_values;
  po::options_description desc("classify options");
  add_common(desc, common, true);
  desc.add_options()("id", po::value<std::vector<std::string>>(&ids), "chip ids")(
      "rule", po::value<std::string>(&rule)->default_value("all"),
      "rule vintage: 2022-10, 2023-10, 2024-12, 2026-01 or all")(
      "headroom", po::bool_switch(&show_headroom),
      "also show how far each metric is from every threshold of the rule (latest with --rule all)")(
      "name", po::value<std::string>(&h.name), "hypothetical chip: label")(
      "die-area-mm2", po::value<double>()->notifier([&](double v) { h.die_area_mm2 = v; }),
      "hypothetical chip: applicable logic-die area, mm2")(
      "io-bidir-gbs", po::value<double>()->notifier([&](double v) { h.io_bidir_gbs = v; }),
      "hypothetical chip: aggregate bidirectional I/O, GB/s (2022-10 rule)")(
      "hbm-bw-tbs", po::value<double>()->notifier([&](double v) { h.hbm_bw_tbs = v; }),
      "hypothetical chip: DRAM bandwidth, TB/s (2026-01 licence review)")(
      "datacenter", po::value<std::string>()->notifier([&](const std::string& v) { h.datacenter = v; }),
      "hypothetical chip: designed or marketed for datacenters, true or false");
  for (Precision p : kAllPrecisions) {
    if (p == Precision::fp64) continue;
    const std::string flag = p == Precision::int8 ? "tops-int8" : "tflops-" + std::string(to_string(p));
    desc.add_options()(flag.c_str(), po::value<double>()->notifier([&, p](double v) {
      h.rates.emplace_back(p, v);
    }), ("hypothetical chip: dense " + std::string(to_string(p)) + " rate").c_str());
  }
  po::positional_options_description positional;
  positional.add("id", -1);
  const auto vm = parse(args, desc, positional, "classify");
  if (vm.count("help")) {
    out << help_text(
        "usage: clustercap classify ID... [--rule 2022-10|2023-10|2024-12|2026-01|all] [--headroom]\n"
        "       clustercap classify --tflops-fp8 X --die-area-mm2 A --datacenter true [...]\n\n"
        "Total Processing Performance (max over formats of dense TOPS x bits), performance\n"
        "density (TPP / logic-die area) and the verdict of each rule vintage, with every\n"
        "threshold checked. Rules are data: hardware/rules/export_control.toml.",
        desc, "clustercap classify nvidia_h20 nvidia_a800_sxm_80gb --rule all --headroom");
    return kExitOk;
  }
  check_format(common.format, true, "classify");
  Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const export_control::RuleBook book = export_control::load_builtin_rule_book(catalog);
  std::vector<const export_control::Vintage*> vintages;
  if (rule == "all") {
    for (const auto& v : book.vintages) vintages.push_back(&v);
  } else if (const auto* v = book.find(rule)) {
    vintages.push_back(v);
  } else {
    throw UsageError("--rule " + rule + ": must be one of " + [&] {
      std::string list;
      for (const auto& id : book.ids()) list += id + ", ";
      return list + "all";
    }() + did_you_mean(rule, book.ids()), "classify");
  }
  const bool hypothetical = h.given();
  if (ids.empty() && !hypothetical) throw UsageError("classify needs a chip id or a hypothetical chip", "classify");
  check_ids_exist(ids, catalog, true, "classify");
  std::vector<Chip> chips;
  for (const auto& id : ids) chips.push_back(*catalog.find_chip(id));
  if (hypothetical) chips.push_back(build_hypothetical(h));

  std::vector<report::ClassifiedChip> classified;
  for (const auto& chip : chips) {
    report::ClassifiedChip c{chip.id, chip.name, {}};
    for (auto& metrics : export_control::chip_metrics(chip)) {
      report::ClassifiedReading reading{metrics, {}, {}, ""};
      for (const auto* v : vintages) reading.verdicts.push_back(export_control::classify(metrics, *v));
      if (show_headroom) {
        reading.headroom_rule = vintages.back()->id;
        reading.headroom = export_control::headroom(metrics, *vintages.back());
      }
      c.readings.push_back(std::move(reading));
    }
    classified.push_back(std::move(c));
  }
  if (hypothetical) {
    // A verdict left undecided by a missing input would look like an answer.
    std::vector<InputError> errors;
    for (const auto& v : classified.back().readings.front().verdicts) {
      for (const auto& m : v.missing) {
        errors.push_back({"command line", 0, 0, flag_for(m), "",
                          "missing: rule " + v.vintage_id + " needs " + m + " to decide"});
      }
    }
    if (!errors.empty()) throw InputErrors(errors);
  }
  return write_result(common, classified, out, report::write_classify_json, report::write_classify_csv,
                      report::write_classify_table);
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty()) {
      err << kTopUsage;
      return kExitInput;
    }
    const std::string& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "--help" || command == "-h" || command == "help") {
      out << kTopUsage;
      return kExitOk;
    }
    if (command == "--version") {
      out << "clustercap " << kVersion << "\n";
      return kExitOk;
    }
    if (command == "estimate") return run_estimate(rest, out);
    if (command == "hardware") return run_hardware(rest, out);
    if (command == "compare") return run_compare(rest, out);
    if (command == "timeline") return run_timeline_command(rest, out);
    if (command == "sweep") return run_sweep_command(rest, out);
    if (command == "validate") return run_validate_command(rest, out);
    if (command == "classify") return run_classify(rest, out);
    throw UsageError("unknown command \"" + command + "\"" +
                         did_you_mean(command, {"estimate", "hardware", "compare", "classify",
                                                "timeline", "sweep", "validate"}),
                     "");
  } catch (const UsageError& e) {
    err << "clustercap: " << e.what() << "\n"
        << "see: clustercap " << (e.command().empty() ? "" : e.command() + " ") << "--help\n";
    return kExitInput;
  } catch (const InputErrors& e) {
    for (const auto& error : e.errors()) err << error.to_string() << "\n";
    err << "clustercap: " << e.errors().size() << " input error"
        << (e.errors().size() == 1 ? "" : "s") << "; nothing was written\n";
    return kExitInput;
  } catch (const RuntimeFailure& e) {
    err << "clustercap: " << e.what() << "\n";
    return kExitRuntime;
  } catch (const std::exception& e) {
    err << "clustercap: internal error: " << e.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace clustercap::cli
