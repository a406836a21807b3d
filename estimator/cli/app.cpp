#include "estimator/cli/app.hpp"

#include <sstream>

#include <boost/program_options.hpp>

#include "estimator/cli/output.hpp"
#include "estimator/estimate.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/hardware_report.hpp"
#include "estimator/report/version.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "hardware/catalog_loader.hpp"
#include "hardware/input_error.hpp"
#include "hardware/text_match.hpp"

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
  std::ostringstream text;
  if (common.format == "json") {
    report::write_estimate_json(result, text);
  } else if (common.format == "csv") {
    report::write_estimate_csv(result, text);
  } else {
    report::write_estimate_table(result, text);
  }
  emit(text.str(), common.output, out);
  return kExitOk;
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
    throw UsageError("unknown command \"" + command + "\"" +
                         did_you_mean(command, {"estimate", "hardware"}),
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
