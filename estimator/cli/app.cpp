#include "estimator/cli/app.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>

#include "estimator/cli/output.hpp"
#include "estimator/estimate.hpp"
#include "estimator/report/classify_report.hpp"
#include "estimator/report/compare_report.hpp"
#include "estimator/report/estimate_report.hpp"
#include "estimator/report/hardware_report.hpp"
#include "estimator/report/sweep_report.hpp"
#include "estimator/report/timeline_report.hpp"
#include "estimator/report/timeline_sweep_report.hpp"
#include "estimator/report/validate_report.hpp"
#include "estimator/report/version.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/ranks.hpp"
#include "estimator/sweep/sweep.hpp"
#include "estimator/sweep/timeline_sweep.hpp"
#include "estimator/timeline.hpp"
#include "estimator/validate.hpp"
#include "hardware/aliases.hpp"
#include "hardware/catalog_loader.hpp"
#include "hardware/common/input_error.hpp"
#include "hardware/common/printable.hpp"
#include "hardware/common/text_match.hpp"
#include "hardware/common/toml_reader.hpp"
#include "hardware/compare.hpp"
#include "hardware/export_control.hpp"

namespace po = boost::program_options;

namespace clustercap::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitInput = 2;

// Usage errors (bad flags, missing arguments): exit 2 with a hint. Carries
// every problem found, one message each.
class UsageError : public std::runtime_error {
 public:
  UsageError(const std::string& message, std::string command)
      : UsageError(std::vector<std::string>{message}, std::move(command)) {}
  UsageError(std::vector<std::string> messages, std::string command)
      : std::runtime_error(messages.front()),
        messages_(std::move(messages)),
        command_(std::move(command)) {}
  const std::vector<std::string>& messages() const { return messages_; }
  const std::string& command() const { return command_; }

 private:
  std::vector<std::string> messages_;
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
    "  validate [CASES.toml...]    step-time model vs published training runs\n"
    "  compare ID ID...            chips or systems side by side, with ratios\n"
    "  classify ID... [--rule R]   export-control TPP, PD and verdict per rule vintage\n"
    "  hardware list               chips, systems and reference clusters in the catalog\n"
    "  hardware show ID            one catalog entry with its sources\n"
    "  plot RESULT.json -o FIG.png a figure of any command's --format json output (matplotlib)\n"
    "\n"
    "options:\n"
    "  --help       this text\n"
    "  --version    print the version\n"
    "\n"
    "exit codes: 0 success, 1 runtime failure, 2 bad input or usage\n"
    "example: clustercap estimate configs/default.toml --format json\n"
    "scripts: SCENARIO.toml may be - (standard input); --set KEY=VALUE changes one of its\n"
    "         values (estimate --help); ids may be short names such as h20, gb200 or cm384\n";

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
      "write to FILE instead of stdout: a regular file is replaced atomically (temp + rename), "
      "a device or FIFO is written in place, a symlink's target is replaced")(
      "hardware", po::value<std::vector<std::string>>(&common.hardware_files)->composing(),
      "extra catalog TOML file with [[chip]]/[[system]]/[[cluster]] entries (repeatable)");
}

// A value as typed, quoted when blanks would hide in the message.
std::string shown(const std::string& text) {
  const bool blank = text.empty() || std::any_of(text.begin(), text.end(), [](char c) {
                       return c == ' ' || c == '\t' || c == '\n' || c == '\r';
                     });
  return blank ? "\"" + text + "\"" : text;
}

void check_format(const std::string& format, bool with_csv, const std::string& command) {
  if (format == "table" || format == "json" || (with_csv && format == "csv")) return;
  throw UsageError("--format " + shown(format) + ": must be " +
                       std::string(with_csv ? "table, json or csv" : "table or json"),
                   command);
}

// How a positional option is shown in messages.
std::string display_name(const std::string& option) {
  if (option == "scenario") return "SCENARIO.toml";
  if (option == "cases") return "CASES.toml";
  if (option == "id") return "ID";
  if (option == "action") return "ACTION";
  return "--" + option;
}

// An empty string is never a file name, an id or a format: `estimate ""`
// must not run the default scenario, nor `--output ""` write to stdout.
void reject_empty(const po::variables_map& vm, const po::options_description& desc,
                  const std::string& command) {
  std::vector<std::string> problems;
  for (const auto& [option, value] : vm) {
    const auto* described = desc.find_nothrow(option, false);
    if (described == nullptr || described->semantic()->max_tokens() == 0) continue;  // --help
    bool empty = false;
    if (const auto* text = boost::any_cast<std::string>(&value.value())) {
      empty = text->empty();
    } else if (const auto* list = boost::any_cast<std::vector<std::string>>(&value.value())) {
      empty =
          std::any_of(list->begin(), list->end(), [](const std::string& x) { return x.empty(); });
    }
    if (empty) problems.push_back(display_name(option) + " \"\": must not be empty");
  }
  if (!problems.empty()) throw UsageError(problems, command);
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& shown,
                        const po::options_description& hidden,
                        const po::positional_options_description& positional,
                        const std::string& command) {
  // Positional arguments are options to program_options; --help lists only
  // `shown`, the options a user types.
  po::options_description desc;
  desc.add(shown).add(hidden);
  po::variables_map vm;
  try {
    // No abbreviations: `--out` must not silently mean `--output` (nor change
    // meaning when an option is added).
    const int style =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(desc).positional(positional).style(style).run(),
              vm);
    reject_empty(vm, desc, command);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what(), command);
  }
  return vm;
}

// parse() for a command whose one positional argument `name` (at most
// `count` values; -1: any number) is stored in `value`.
template <class T>
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& shown,
                        const char* name, T& value, int count, const std::string& command) {
  po::options_description hidden;
  hidden.add_options()(name, po::value<T>(&value));
  po::positional_options_description positional;
  positional.add(name, count);
  return parse(args, shown, hidden, positional, command);
}

// A whole number in decimal digits only: program_options would wrap "-1" to
// 2^64-1 and accept "+5" or " 5". Adds a message to `problems` and returns
// nullopt when `text` is not one.
std::optional<std::uint64_t> parse_whole(const std::string& flag, const std::string& text,
                                         std::vector<std::string>& problems) {
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!digits) {
    problems.push_back(flag + " " + shown(text) +
                       ": must be a whole number written with the digits 0-9 only");
  } else if (error != std::errc() || end != text.data() + text.size()) {
    problems.push_back(flag + " " + text + ": must be at most " +
                       std::to_string(std::numeric_limits<std::uint64_t>::max()));
  } else {
    return value;
  }
  return std::nullopt;
}

// --threads for commands that run OpenMP regions (same range as SweepOptions).
int parse_threads(const std::string& text, std::vector<std::string>& problems) {
  constexpr int kMax = sweep::SweepOptions::kMaxThreads;
  const auto value = parse_whole("--threads", text, problems);
  if (!value) return 1;
  if (*value < 1 || *value > static_cast<std::uint64_t>(kMax)) {
    problems.push_back("--threads " + text + ": must be in [1, " + std::to_string(kMax) + "]");
    return 1;
  }
  return static_cast<int>(*value);
}

// Writes `text` to stdout, every write checked.
int emit_stdout(const std::string& text) {
  write_outputs({{plan_output("", ""), text}});
  return 0;
}

std::string help_text(const std::string& usage, const po::options_description& desc,
                      const std::string& example) {
  std::ostringstream text;
  text << usage << "\n\n" << desc << "\nexample:\n  " << example << "\n";
  return text.str();
}

// Checks --format and decides how --output will be written, before any work
// (a directory or a missing folder fails now, not after a long run).
OutputTarget check_common(const CommonOptions& common, bool with_csv, const std::string& command) {
  check_format(common.format, with_csv, command);
  return plan_output("--output", common.output);
}

// Formats `result` with the reporter for `format`.
template <typename Result>
std::string render(const std::string& format, const Result& result,
                   void (*json)(const Result&, std::ostream&),
                   void (*csv)(const Result&, std::ostream&),
                   void (*table)(const Result&, std::ostream&)) {
  std::ostringstream text;
  if (format == "json") {
    json(result, text);
  } else if (format == "csv") {
    csv(result, text);
  } else {
    table(result, text);
  }
  return text.str();
}

// Formats `result` and writes it to stdout or the --output file.
template <typename Result>
int write_result(const CommonOptions& common, const OutputTarget& target, const Result& result,
                 void (*json)(const Result&, std::ostream&),
                 void (*csv)(const Result&, std::ostream&),
                 void (*table)(const Result&, std::ostream&)) {
  write_outputs({{target, render(common.format, result, json, csv, table)}});
  return kExitOk;
}

// The scenario a command reads, as text: a file, "-" for standard input (the
// capture's text inside run_captured), or the embedded configs/default.toml.
struct ScenarioInput {
  std::string name;  // for messages: the path, "<stdin>" or configs/default.toml
  std::string text;
};

const char* const kStdinName = "<stdin>";

// Reads standard input (descriptor 0) whole, up to the input-file cap.
std::string read_stdin() {
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      throw InputErrors({{kStdinName, 0, 0, "", "",
                          std::string("cannot read standard input: ") + std::strerror(errno)}});
    }
    if (got == 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > kMaxInputFileBytes) {
      throw InputErrors({{kStdinName, 0, 0, "", "",
                          "larger than 64 MiB, the cap for input files (is it the right input?)"}});
    }
  }
}

ScenarioInput read_scenario_input(const std::string& path) {
  if (path.empty()) return {"configs/default.toml", default_scenario_text()};
  if (path == "-") {
    const Capture* capture = active_capture();
    return {kStdinName, capture != nullptr ? capture->stdin_text : read_stdin()};
  }
  Diagnostics diagnostics;
  auto text = read_text_file(path, diagnostics);
  diagnostics.throw_if_any();
  return {path, std::move(*text)};
}

Scenario load_scenario_input(const ScenarioInput& input, const Catalog& catalog,
                             const std::vector<std::string>& sources,
                             const std::vector<std::string>& sets) {
  return load_scenario_text(input.name, input.text, catalog, sources, sets);
}

const char* const kScenarioHelp =
    "\nSCENARIO.toml may be \"-\" to read the scenario from standard input.\n"
    "--set KEY=VALUE (repeatable, applied in order) changes one scenario value as if the file\n"
    "said it: KEY is the TOML key path with a 0-based index after each array of tables\n"
    "(actor[0].site[0].power_mw, training.mfu); an index equal to the array's length, or [+],\n"
    "appends a table. VALUE is a TOML value (300, \"a name\", true, [1, 2],\n"
    "{ dist = \"lognormal\", p5 = 1, p95 = 3 }); a word that is not TOML (nvidia_h100) is taken\n"
    "as a string. Values are checked like the file's; errors name the set as --set #N:1:COL,\n"
    "N its place on the command line and COL the column of the value in KEY=VALUE.";

void add_set_option(po::options_description& desc, std::vector<std::string>& sets) {
  desc.add_options()("set", po::value<std::vector<std::string>>(&sets)->composing(),
                     "KEY=VALUE: set one scenario value (repeatable; see above)");
}

// One note on `err` per alias used: `"h20" is nvidia_h20 (NAME)`.
void note_aliases(const std::vector<AliasUse>& uses, const Catalog& catalog, std::ostream& err) {
  std::vector<std::pair<std::string, std::string>> noted;
  for (const auto& use : uses) {
    const auto key = std::make_pair(use.alias, use.id);
    if (std::find(noted.begin(), noted.end(), key) != noted.end()) continue;
    noted.push_back(key);
    const std::string name = catalog_name(use.id, catalog);
    err << "clustercap: note: \"" << printable_text(use.alias) << "\" is " << use.id
        << (name.empty() ? "" : " (" + name + ")") << "\n";
  }
}

// Ids typed on the command line with each alias replaced by its id (noted on
// `err`); an ambiguous alias is an input error naming the candidates.
std::vector<std::string> resolve_ids(const std::vector<std::string>& ids, const Catalog& catalog,
                                     unsigned kinds, const std::string& command,
                                     std::ostream& err) {
  std::vector<std::string> resolved;
  std::vector<AliasUse> uses;
  std::vector<InputError> errors;
  for (const auto& id : ids) {
    const IdLookup lookup = look_up_id(id, catalog, kinds);
    if (lookup.result == IdLookup::Result::alias) {
      uses.push_back({id, lookup.id});
      resolved.push_back(lookup.id);
      continue;
    }
    if (lookup.result == IdLookup::Result::ambiguous) {
      errors.push_back(
          {"command line", 0, 0, command, "\"" + id + "\"", ambiguous_rule(lookup.candidates)});
    }
    resolved.push_back(id);
  }
  if (!errors.empty()) throw InputErrors(errors);
  note_aliases(uses, catalog, err);
  return resolved;
}

// --sources A,B --sources C -> {A, B, C}; an empty item is a usage problem.
std::vector<std::string> source_list(const std::vector<std::string>& raw,
                                     const std::string& command) {
  std::vector<std::string> ids;
  for (const auto& text : raw) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text.find(',', start);
      const std::string id = text.substr(start, comma == std::string::npos ? comma : comma - start);
      if (id.empty()) {
        throw UsageError(
            "--sources \"" + text + "\": give source ids or a reading name, separated by commas",
            command);
      }
      ids.push_back(id);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return ids;
}

void add_sources_option(po::options_description& desc, std::vector<std::string>& raw) {
  desc.add_options()("sources", po::value<std::vector<std::string>>(&raw)->composing(),
                     "source ids (or a [sources.readings] name) preferred, in order, for inputs "
                     "written as competing estimates; \"mix\" weights them");
}

int run_estimate(const std::vector<std::string>& args, std::ostream& err) {
  CommonOptions common;
  std::string scenario_path;
  std::vector<std::string> sources_raw, sets;
  po::options_description desc("estimate options");
  add_common(desc, common, true);
  add_sources_option(desc, sources_raw);
  add_set_option(desc, sets);
  const auto vm = parse(args, desc, "scenario", scenario_path, 1, "estimate");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap estimate [SCENARIO.toml] [--format table|json|csv] [--output FILE] "
        "[--hardware EXTRA.toml] [--sources ID,...] [--set KEY=VALUE]\n\n"
        "Estimates, for each actor in the scenario, the largest single training cluster it can\n"
        "assemble, which limit binds (chips, power, network, budget), its sustained FLOP/s, the\n"
        "training compute over the run and the largest compute-optimal model. Without a file it\n"
        "runs the embedded configs/default.toml." +
            std::string(kScenarioHelp),
        desc, "clustercap estimate --set actor[0].site[0].power_mw=300 --format json"));
  }
  const OutputTarget target = check_common(common, true, "estimate");
  const std::vector<std::string> sources = source_list(sources_raw, "estimate");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const Scenario scenario =
      load_scenario_input(read_scenario_input(scenario_path), catalog, sources, sets);
  note_aliases(scenario.aliases_used, catalog, err);
  const EstimateResult result = estimate(scenario, catalog);
  return write_result(common, target, result, report::write_estimate_json,
                      report::write_estimate_csv, report::write_estimate_table);
}

int run_hardware(const std::vector<std::string>& args, std::ostream& err) {
  CommonOptions common;
  std::string action, id, kind_text = "all";
  po::options_description desc("hardware options");
  add_common(desc, common, true);
  desc.add_options()("kind", po::value<std::string>(&kind_text)->default_value("all"),
                     "list only: chip, system, cluster or all");
  po::options_description hidden;
  hidden.add_options()("action", po::value<std::string>(&action))("id",
                                                                  po::value<std::string>(&id));
  po::positional_options_description positional;
  positional.add("action", 1).add("id", 1);
  const auto vm = parse(args, desc, hidden, positional, "hardware");
  if (vm.count("help") || action.empty()) {
    if (!vm.count("help")) throw UsageError("missing action: list or show", "hardware");
    return emit_stdout(
        help_text("usage: clustercap hardware list [--kind chip|system|cluster] [--format "
                  "table|json|csv]\n       clustercap hardware show ID [--format table|json]\n\n"
                  "Prints the catalog: every figure with its unit, estimates marked, sources.",
                  desc, "clustercap hardware show huawei_cloudmatrix_384"));
  }
  const OutputTarget target = check_common(common, true, "hardware");
  if (common.format == "csv" && action != "list")
    throw UsageError("--format csv applies to hardware list only", "hardware");
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
    } else if (common.format == "csv") {
      report::write_hardware_list_csv(catalog, kind, text);
    } else {
      report::write_hardware_list_table(catalog, kind, text);
    }
  } else if (action == "show") {
    if (id.empty()) throw UsageError("show needs an ID", "hardware");
    if (!vm["kind"].defaulted())
      throw UsageError("--kind applies to hardware list only", "hardware");
    id = resolve_ids({id}, catalog, kAnyIds, "hardware show", err).front();
    const bool found = common.format == "json"
                           ? report::write_hardware_show_json(catalog, id, text)
                           : report::write_hardware_show_table(catalog, id, text);
    if (!found) {
      throw InputErrors(
          {{"command line", 0, 0, "hardware show", "\"" + id + "\"",
            "unknown catalog id" + did_you_mean(id, id_candidates(catalog, kAnyIds))}});
    }
  } else {
    throw UsageError("unknown action \"" + action + "\": use list or show", "hardware");
  }
  write_outputs({{target, text.str()}});
  return kExitOk;
}

int run_timeline_command(const std::vector<std::string>& args, std::ostream& err) {
  CommonOptions common;
  std::string scenario_path;
  std::vector<std::string> sources_raw, sets;
  po::options_description desc("timeline options");
  add_common(desc, common, true);
  add_sources_option(desc, sources_raw);
  add_set_option(desc, sets);
  const auto vm = parse(args, desc, "scenario", scenario_path, 1, "timeline");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap timeline SCENARIO.toml [--format table|json|csv] [--output FILE]\n"
        "       [--sources ID,...] [--set KEY=VALUE]\n\n"
        "Runs the scenario's [[supply]] lines month by month over its [timeline]: production\n"
        "(wafers, yield, HBM, packaging; the binding stage), imports gated by the export rule,\n"
        "smuggling, attrition and yearly budgets. Each month: inventory, the largest cluster it\n"
        "can assemble, its sustained FLOP/s, the ratio to each reference and the first month\n"
        "each reference is overtaken." +
            std::string(kScenarioHelp),
        desc, "clustercap timeline configs/china-2026-pooled.toml"));
  }
  const OutputTarget target = check_common(common, true, "timeline");
  if (scenario_path.empty()) throw UsageError("timeline needs a scenario file", "timeline");
  const std::vector<std::string> sources = source_list(sources_raw, "timeline");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const ScenarioInput input = read_scenario_input(scenario_path);
  const Scenario scenario = load_scenario_input(input, catalog, sources, sets);
  note_aliases(scenario.aliases_used, catalog, err);
  if (!scenario.timeline) {
    throw InputErrors({{input.name, 0, 0, "timeline", "",
                        "missing: timeline needs a [timeline] section with start and end"}});
  }
  const TimelineResult result = run_timeline(scenario, catalog);
  return write_result(common, target, result, report::write_timeline_json,
                      report::write_timeline_csv, report::write_timeline_table);
}

int run_validate_command(const std::vector<std::string>& args) {
  CommonOptions common;
  std::vector<std::string> case_paths;
  std::string threads_text;
  po::options_description desc("validate options");
  add_common(desc, common, true);
  desc.add_options()("threads,t", po::value<std::string>(&threads_text)->default_value("1"),
                     "threads for the layout search, 1 to 1024");
  const auto vm = parse(args, desc, "cases", case_paths, -1, "validate");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap validate [CASES.toml...] [--threads T] [--format table|json|csv]\n\n"
        "Runs the step-time model on published training runs (every file of\n"
        "configs/validation/, embedded, by default; else the files given, as one set) with\n"
        "their published TP/PP and with the layout left to the search; prints predicted vs\n"
        "reported throughput, the error, each case's group (in-sample when a step-model\n"
        "constant was fitted on it), the constants and what they were fitted on, and the\n"
        "median and worst absolute error overall, per group, per chip family and per precision.",
        desc, "clustercap validate --threads 2"));
  }
  std::vector<std::string> problems;
  const int threads = parse_threads(threads_text, problems);
  if (!problems.empty()) throw UsageError(problems, "validate");
  const OutputTarget target = check_common(common, true, "validate");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  std::vector<std::pair<std::string, std::string>> files;
  if (case_paths.empty()) {
    files = training::default_validation_files();
  } else {
    Diagnostics diagnostics;
    for (const auto& path : case_paths) {
      if (auto text = read_text_file(path, diagnostics)) files.emplace_back(path, *text);
    }
    diagnostics.throw_if_any();
  }
  const std::vector<training::ValidationCase> cases =
      training::load_validation_files(files, catalog);
  const training::ValidationResult result = training::run_validation(cases, threads);
  return write_result(common, target, result, report::write_validate_json,
                      report::write_validate_csv, report::write_validate_table);
}

// Closes the "\r...%" progress line on stderr however the sweep ends.
class ProgressLine {
 public:
  ProgressLine() : terminal_(active_capture() == nullptr && ::isatty(STDERR_FILENO) != 0) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { close(); }
  bool terminal() const { return terminal_; }
  void show(const std::string& text) {
    // Marked open first: a signal from here on starts its message on a new line.
    open_ = true;
    set_progress_line_open(true);
    std::fputs(("\r" + text).c_str(), stderr);
  }
  void close() {
    if (!open_) return;
    std::fputs("\n", stderr);
    set_progress_line_open(false);
    open_ = false;
  }

 private:
  bool terminal_;
  bool open_ = false;
};

int run_sweep_command(const std::vector<std::string>& args, std::ostream& err,
                      sweep::Ranks* ranks) {
  CommonOptions common;
  std::string scenario_path, samples_out, plan_out;
  std::string samples_text, seed_text, threads_text, max_points_text;
  std::vector<std::string> sources_raw, sets;
  using sweep::SweepOptions;
  po::options_description desc("sweep options");
  add_common(desc, common, true);
  add_sources_option(desc, sources_raw);
  add_set_option(desc, sets);
  desc.add_options()("by-source",
                     "run the sweep once per [sources.readings] entry (or per source id when the "
                     "file names none) and report them side by side");
  desc.add_options()("samples,n", po::value<std::string>(&samples_text)->default_value("100000"),
                     "samples per grid point, 1 to 1e11")(
      "seed", po::value<std::string>(&seed_text)->default_value("1"),
      "random seed, 0 to 2^64-1 in decimal")(
      "threads,t", po::value<std::string>(&threads_text)->default_value("1"),
      "OpenMP threads, 1 to 1024 (results do not depend on it)")(
      "max-points",
      po::value<std::string>(&max_points_text)
          ->default_value(std::to_string(SweepOptions::kDefaultMaxPoints)),
      "largest [sweep.grid] accepted, in points (each point is a full sweep of --samples)")(
      "samples-out", po::value<std::string>(&samples_out),
      "write per-sample rows (inputs and outputs) to this CSV; at most 1,000,000 samples, "
      "not with a [sweep.grid] of several points")(
      "plan-out", po::value<std::string>(&plan_out),
      "write the evaluation plan (candidates, inputs, bindings) as JSON for an independent "
      "re-implementation, e.g. bench/reference_numpy.py");
  const auto vm = parse(args, desc, "scenario", scenario_path, 1, "sweep");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap sweep SCENARIO.toml [--samples N] [--seed S] [--threads T]\n"
        "       [--format table|json|csv] [--output FILE] [--samples-out FILE.csv]\n"
        "       [--plan-out FILE.json] [--max-points N] [--sources ID,...] [--by-source]\n"
        "       [--set KEY=VALUE]\n\n"
        "Draws every number written as a distribution (uniform, triangular, pert, normal,\n"
        "lognormal, choice; [[sweep.correlation]] for rank correlation) and evaluates the "
        "estimate\n"
        "model per sample; [sweep.grid] runs the sweep at each combination of listed values.\n"
        "Reports mean, sd and p5..p95 of each output, binding-constraint shares, the probability\n"
        "of exceeding each reference, a tornado and standardised rank-regression coefficients.\n"
        "A grid of more than 10000 points is refused unless --max-points raises the cap.\n"
        "Output is identical for any --threads; every output is written only when the whole\n"
        "run succeeded." +
            std::string(kScenarioHelp),
        desc, "clustercap sweep configs/default.toml --samples 1000000 --threads 2"));
  }
  check_format(common.format, true, "sweep");
  if (scenario_path.empty()) throw UsageError("sweep needs a scenario file", "sweep");
  // Parse failures keep the (valid) default, so each flag is reported once.
  SweepOptions options;
  std::vector<std::string> problems;
  options.samples = parse_whole("--samples", samples_text, problems).value_or(options.samples);
  options.seed = parse_whole("--seed", seed_text, problems).value_or(options.seed);
  if (const auto threads = parse_whole("--threads", threads_text, problems)) {
    options.threads =
        static_cast<int>(std::min<std::uint64_t>(*threads, SweepOptions::kMaxThreads + 1));
  }
  options.max_points =
      parse_whole("--max-points", max_points_text, problems).value_or(options.max_points);
  options.keep_rows = samples_out.empty() ? 0 : options.samples;
  // The library checks its own options; this only names the flags.
  for (const auto& p : options.problems()) {
    if (p.option == "samples") {
      problems.push_back("--samples " + samples_text + ": " + p.rule);
    } else if (p.option == "threads") {
      problems.push_back("--threads " + threads_text + ": " + p.rule);
    } else if (p.option == "max_points") {
      problems.push_back("--max-points " + max_points_text + ": " + p.rule);
    } else if (p.option == "keep_rows") {
      problems.push_back("--samples-out keeps every row: use --samples <= " +
                         std::to_string(SweepOptions::kMaxKeptRows) + " with it");
    } else {
      problems.push_back(p.option + " = " + p.value + ": " + p.rule);
    }
  }
  const bool by_source = vm.count("by-source") > 0;
  if (by_source && !sources_raw.empty()) {
    problems.push_back("--by-source runs every reading: give it without --sources");
  }
  if (by_source && !samples_out.empty()) {
    problems.push_back("--samples-out writes one run's samples: not with --by-source");
  }
  if (by_source && !plan_out.empty()) {
    problems.push_back("--plan-out writes one run's plan: not with --by-source");
  }
  // Under MPI every rank reads the scenario itself; only rank 0 has stdin.
  if (ranks != nullptr && ranks->size() > 1 && scenario_path == "-") {
    problems.push_back(
        "sweep on several MPI ranks reads the scenario file on every rank: "
        "give its path, not -");
  }
  if (!problems.empty()) throw UsageError(problems, "sweep");
  const std::vector<std::string> sources = source_list(sources_raw, "sweep");
  std::vector<std::pair<std::string, std::string>> requests = {{"--output", common.output}};
  if (!samples_out.empty()) requests.emplace_back("--samples-out", samples_out);
  if (!plan_out.empty()) requests.emplace_back("--plan-out", plan_out);
  // Only rank 0 writes (or checks where it will write); the others discard.
  const bool root = ranks == nullptr || ranks->rank() == 0;
  std::vector<OutputTarget> targets = root ? plan_outputs(requests) : std::vector<OutputTarget>{};
  for (const auto& [flag, path] : requests) {
    if (!root) targets.push_back({OutputTarget::Kind::descriptor, flag, path, -1, ""});
  }
  options.ranks = ranks;

  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const ScenarioInput input = read_scenario_input(scenario_path);
  const Scenario scenario = load_scenario_input(input, catalog, sources, sets);
  note_aliases(scenario.aliases_used, catalog, err);
  if (scenario.timeline && (by_source || !samples_out.empty() || !plan_out.empty())) {
    throw UsageError(input.name +
                         " has a [timeline]: its sweep runs month by month and takes neither "
                         "--by-source, --samples-out nor --plan-out",
                     "sweep");
  }
  // --by-source: one scenario per reading, each loaded with that preference.
  std::vector<std::string> readings;
  if (by_source) {
    for (const auto& [name, ids] : scenario.sweep.readings) readings.push_back(name);
    if (readings.empty()) readings = sweep::source_ids(scenario.sweep);
    if (readings.empty()) {
      throw InputErrors({{input.name, 0, 0, "sources", "",
                          "--by-source needs inputs written as competing estimates "
                          "(estimates = [...]); this file has none"}});
    }
  }
  const std::uint64_t points =
      sweep::grid_point_count(scenario) * std::max<std::uint64_t>(1, readings.size());
  if (!samples_out.empty() && points > 1) {
    // The rows carry no grid point: they would silently be the first point's.
    throw UsageError(
        "--samples-out writes the samples of one run, not of each grid point: " + input.name +
            " has a [sweep.grid] of " + std::to_string(points) + " points",
        "sweep");
  }
  ProgressLine line;
  const auto started = std::chrono::steady_clock::now();
  auto last = started;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!line.terminal() || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - started < std::chrono::seconds(2) || now - last < std::chrono::milliseconds(500))
      return;
    last = now;
    char text[160];
    const double percent = 100.0 * static_cast<double>(done) / static_cast<double>(total);
    if (points > 1) {
      // total = samples per point x points
      const std::uint64_t point =
          std::min(points, done / std::max<std::uint64_t>(1, total / points) + 1);
      std::snprintf(text, sizeof text,
                    "sweep: %5.1f%% (grid point %llu of %llu, %llu of %llu samples)", percent,
                    static_cast<unsigned long long>(point), static_cast<unsigned long long>(points),
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    } else {
      std::snprintf(text, sizeof text, "sweep: %5.1f%% (%llu of %llu samples)", percent,
                    static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    }
    line.show(text);
  };
  if (scenario.timeline) {  // supply month by month: sweep/timeline_sweep.hpp
    const sweep::TimelineSweepResult result = sweep::run_timeline_sweep(scenario, catalog, options);
    line.close();
    // Only rank 0 writes (the other ranks' targets are placeholders).
    if (root) {
      write_outputs({{targets[0], render(common.format, result, report::write_timeline_sweep_json,
                                         report::write_timeline_sweep_csv,
                                         report::write_timeline_sweep_table)}});
    }
    return kExitOk;
  }
  sweep::SweepResult result;
  if (readings.empty()) {
    result = sweep::run_sweep(scenario, catalog, options);
  } else {
    // Progress counts across the readings' runs.
    const auto progress = options.progress;
    for (std::size_t k = 0; k < readings.size(); ++k) {
      const Scenario reading = load_scenario_input(input, catalog, {readings[k]}, sets);
      const std::uint64_t offset = k * options.samples * sweep::grid_point_count(reading);
      options.progress = [&, offset](std::uint64_t done, std::uint64_t total) {
        progress(offset + done, total * readings.size());
      };
      sweep::SweepResult part = sweep::run_sweep(reading, catalog, options);
      for (auto& point : part.points) point.sources = readings[k];
      const bool stopped = part.interrupted;
      if (k == 0) {
        result = std::move(part);
      } else {
        for (auto& point : part.points) result.points.push_back(std::move(point));
        result.interrupted = result.interrupted || part.interrupted;
      }
      if (stopped) break;
    }
  }
  line.close();

  // Everything rendered first; then written all together or not at all.
  std::vector<Output> outputs;
  outputs.push_back({targets[0], render(common.format, result, report::write_sweep_json,
                                        report::write_sweep_csv, report::write_sweep_table)});
  for (std::size_t i = 1; i < targets.size(); ++i) {
    std::ostringstream text;
    if (targets[i].flag == "--samples-out") {
      report::write_sweep_rows_csv(result, text);
    } else {
      text << sweep::sweep_plan_json(scenario, catalog, options.seed);
    }
    outputs.push_back({targets[i], text.str()});
  }
  if (root) write_outputs(outputs);
  return kExitOk;
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
    std::string rule =
        std::string("unknown ") + (chips_only ? "chip id" : "chip or system id") +
        did_you_mean(id, id_candidates(catalog, chips_only ? kChipIds : kChipIds | kSystemIds));
    if (catalog.find_cluster(id) != nullptr)
      rule = "is a reference cluster; " + command + " takes " +
             (chips_only ? "chips" : "chips and systems");
    if (const System* system = catalog.find_system(id); system != nullptr && chips_only) {
      rule = "is a system; " + command + " takes chips" +
             (system->chip_id.empty() ? std::string() : " (its chip: \"" + system->chip_id + "\")");
    }
    errors.push_back({"command line", 0, 0, command, "\"" + id + "\"", rule});
  }
  if (!errors.empty()) throw InputErrors(errors);
}

int run_compare(const std::vector<std::string>& args, std::ostream& err) {
  CommonOptions common;
  std::vector<std::string> ids;
  po::options_description desc("compare options");
  add_common(desc, common, true);
  const auto vm = parse(args, desc, "id", ids, -1, "compare");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap compare ID ID... [--format table|json|csv] [--output FILE]\n\n"
        "Chips or systems side by side: count, dense PFLOPS per precision, HBM TB and TB/s,\n"
        "bidirectional scale-up, scale-out, power with its scope, price, H100e and efficiency\n"
        "(W per TFLOP, W per TB/s, W per TB, USD per PFLOP). Ratios are the first ID / each.",
        desc, "clustercap compare huawei_cloudmatrix_384 nvidia_gb200_nvl72"));
  }
  const OutputTarget target = check_common(common, true, "compare");
  if (ids.size() < 2) throw UsageError("compare needs at least two ids", "compare");
  const Catalog catalog = load_catalog_with_extra(common.hardware_files);
  ids = resolve_ids(ids, catalog, kChipIds | kSystemIds, "compare", err);
  check_ids_exist(ids, catalog, false, "compare");
  const ComparisonResult result = compare_hardware(catalog, ids);
  return write_result(common, target, result, report::write_compare_json, report::write_compare_csv,
                      report::write_compare_table);
}

// A chip described on the command line, for testing a hypothetical design.
// Values are kept as typed and checked like TOML values (build_hypothetical).
struct HypotheticalChip {
  std::string name = "hypothetical";
  std::vector<std::pair<Precision, std::string>> rates;  // dense TFLOPS / TOPS
  std::optional<std::string> die_area_mm2, io_bidir_gbs, hbm_bw_tbs, datacenter;
  bool given() const {
    return !rates.empty() || die_area_mm2 || io_bidir_gbs || hbm_bw_tbs || datacenter;
  }
};

// A number typed on the command line, checked like a catalog value: the whole
// text must parse, and the value must be finite and inside `range` ("inf"
// and "nan" parse, then fail the range).
std::optional<double> command_line_number(const std::string& flag, const std::string& text,
                                          const Range& range, std::vector<InputError>& errors) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (stop != end || (error != std::errc() && error != std::errc::result_out_of_range)) {
    errors.push_back({"command line", 0, 0, flag, text, "must be a number"});
    return std::nullopt;
  }
  if (error == std::errc::result_out_of_range || !range.contains(value)) {
    errors.push_back({"command line", 0, 0, flag, text, range.rule()});
    return std::nullopt;
  }
  return value;
}

// The catalog's chip-key bounds (hardware/catalog_loader.hpp), except that
// zero I/O or DRAM bandwidth is a real design here (no scale-up links, SRAM
// only).
const Range kIoRange = Range::non_negative(kBandwidthRange.max);           // GB/s
const Range kDramRange = Range::non_negative(kChipHbmBandwidthRange.max);  // TB/s

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
  for (const auto& [p, text] : h.rates) {
    const std::string flag =
        p == Precision::int8 ? "--tops-int8" : "--tflops-" + std::string(to_string(p));
    if (const auto tera = command_line_number(flag, text, kTflopsRange, errors)) {
      chip.dense_peak_flops[static_cast<std::size_t>(p)] = *tera * 1e12;
    }
  }
  if (h.rates.empty()) {
    missing("--tflops-bf16",
            "missing: give at least one dense rate (--tflops-bf16, --tflops-fp16, "
            "--tflops-fp8, --tops-int8, --tflops-fp4, --tflops-tf32, --tflops-fp32) "
            "so TPP can be computed");
  }
  if (!h.die_area_mm2) {
    missing("--die-area-mm2", "missing: applicable logic-die area is needed for PD");
  } else {
    chip.die_area_mm2 =
        command_line_number("--die-area-mm2", *h.die_area_mm2, kDieAreaRange, errors);
  }
  if (!h.datacenter) {
    missing("--datacenter",
            "missing: say true or false (designed or marketed for datacenters; "
            "decides Note 2 and NAC)");
  } else if (*h.datacenter != "true" && *h.datacenter != "false") {
    errors.push_back(
        {"command line", 0, 0, "--datacenter", *h.datacenter, "must be true or false"});
  } else {
    chip.datacenter = *h.datacenter == "true";
  }
  if (h.io_bidir_gbs) {
    if (const auto gbs = command_line_number("--io-bidir-gbs", *h.io_bidir_gbs, kIoRange, errors)) {
      chip.scaleup_bidirectional_bytes_per_s = *gbs * 1e9;
    }
  }
  if (h.hbm_bw_tbs) {
    if (const auto tbs = command_line_number("--hbm-bw-tbs", *h.hbm_bw_tbs, kDramRange, errors)) {
      chip.hbm_bandwidth_bytes_per_s = *tbs * 1e12;
    }
  }
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

int run_classify(const std::vector<std::string>& args, std::ostream& err) {
  CommonOptions common;
  std::vector<std::string> ids;
  std::string rule = "all";
  bool show_headroom = false;
  HypotheticalChip h;
  po::options_description desc("classify options");
  add_common(desc, common, true);
  desc.add_options()("rule", po::value<std::string>(&rule)->default_value("all"),
                     "rule vintage: 2022-10, 2023-10, 2024-12, 2026-01 or all")(
      "headroom", po::bool_switch(&show_headroom),
      "also show how far each metric is from every threshold of the rule (latest with --rule all)")(
      "name", po::value<std::string>(&h.name), "hypothetical chip: label")(
      "die-area-mm2",
      po::value<std::string>()->notifier([&](const std::string& v) { h.die_area_mm2 = v; }),
      "hypothetical chip: applicable logic-die area, mm2")(
      "io-bidir-gbs",
      po::value<std::string>()->notifier([&](const std::string& v) { h.io_bidir_gbs = v; }),
      "hypothetical chip: aggregate bidirectional I/O, GB/s (2022-10 rule)")(
      "hbm-bw-tbs",
      po::value<std::string>()->notifier([&](const std::string& v) { h.hbm_bw_tbs = v; }),
      "hypothetical chip: DRAM bandwidth, TB/s (2026-01 licence review)")(
      "datacenter",
      po::value<std::string>()->notifier([&](const std::string& v) { h.datacenter = v; }),
      "hypothetical chip: designed or marketed for datacenters, true or false");
  for (Precision p : kAllPrecisions) {
    if (p == Precision::fp64) continue;
    const std::string flag =
        p == Precision::int8 ? "tops-int8" : "tflops-" + std::string(to_string(p));
    desc.add_options()(flag.c_str(),
                       po::value<std::string>()->notifier(
                           [&, p](const std::string& v) { h.rates.emplace_back(p, v); }),
                       ("hypothetical chip: dense " + std::string(to_string(p)) + " rate").c_str());
  }
  const auto vm = parse(args, desc, "id", ids, -1, "classify");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap classify ID... [--rule 2022-10|2023-10|2024-12|2026-01|all] "
        "[--headroom]\n"
        "       clustercap classify --tflops-fp8 X --die-area-mm2 A --datacenter true [...]\n\n"
        "Total Processing Performance (max over formats of dense TOPS x bits), performance\n"
        "density (TPP / logic-die area) and the verdict of each rule vintage, with every\n"
        "threshold checked. Rules are data: hardware/rules/export_control.toml.",
        desc, "clustercap classify nvidia_h20 nvidia_a800_sxm_80gb --rule all --headroom"));
  }
  const OutputTarget target = check_common(common, true, "classify");
  Catalog catalog = load_catalog_with_extra(common.hardware_files);
  const export_control::RuleBook book = export_control::load_builtin_rule_book(catalog);
  std::vector<const export_control::Vintage*> vintages;
  if (rule == "all") {
    for (const auto& v : book.vintages) vintages.push_back(&v);
  } else if (const auto* v = book.find(rule)) {
    vintages.push_back(v);
  } else {
    throw UsageError(
        "--rule " + rule + ": must be one of " +
            [&] {
              std::string list;
              for (const auto& id : book.ids()) list += id + ", ";
              return list + "all";
            }() +
            did_you_mean(rule, book.ids()),
        "classify");
  }
  const bool hypothetical = h.given();
  if (ids.empty() && !hypothetical)
    throw UsageError("classify needs a chip id or a hypothetical chip", "classify");
  ids = resolve_ids(ids, catalog, kChipIds, "classify", err);
  check_ids_exist(ids, catalog, true, "classify");
  std::vector<Chip> chips;
  for (const auto& id : ids) chips.push_back(*catalog.find_chip(id));
  if (hypothetical) chips.push_back(build_hypothetical(h));

  std::vector<report::ClassifiedChip> classified;
  for (const auto& chip : chips) {
    report::ClassifiedChip c{chip.id, chip.name, {}};
    for (auto& metrics : export_control::chip_metrics(chip)) {
      report::ClassifiedReading reading{metrics, {}, {}, ""};
      for (const auto* v : vintages)
        reading.verdicts.push_back(export_control::classify(metrics, *v));
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
  return write_result(common, target, classified, report::write_classify_json,
                      report::write_classify_csv, report::write_classify_table);
}

// `plot` hands the JSON to the Python package (python/clustercap/plot.py) run
// by Debian's python3, so the shell and Python draw the same figures. The
// package is looked for beside the binary: build/python in the build tree,
// PREFIX/lib/python3/dist-packages when installed (python/CMakeLists.txt).
constexpr const char* kPlotPython = "/usr/bin/python3";

std::string executable_dir() {
  std::string path(4096, '\0');
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (n <= 0) throw RuntimeFailure("plot: cannot find the clustercap binary's directory");
  path.resize(static_cast<std::size_t>(n));
  return path.substr(0, path.find_last_of('/'));
}

std::string plot_package_dir() {
  const std::string dir = executable_dir();
  const std::vector<std::string> candidates = {dir + "/python",
                                               dir + "/../lib/python3/dist-packages"};
  for (const auto& candidate : candidates) {
    if (access((candidate + "/clustercap/plot.py").c_str(), R_OK) == 0) return candidate;
  }
  throw RuntimeFailure("plot needs the Python package clustercap: it is in neither " +
                       candidates[0] + " nor " + candidates[1] +
                       " (build with -DCLUSTERCAP_PYTHON=ON)");
}

int run_plot(const std::vector<std::string>& args) {
  std::string result_path, output;
  po::options_description desc("plot options");
  desc.add_options()("help,h", "show this help")(
      "output,o", po::value<std::string>(&output),
      "the figure to write: FILE.png, FILE.svg or FILE.pdf (the suffix picks the format)");
  const auto vm = parse(args, desc, "result", result_path, 1, "plot");
  if (vm.count("help")) {
    return emit_stdout(help_text(
        "usage: clustercap plot RESULT.json --output FIG.png|FIG.svg\n\n"
        "Draws the JSON output (--format json) of estimate, timeline, sweep, compare, classify,\n"
        "validate or hardware list; the kind is read from its \"schema\" field. Runs the Python\n"
        "package clustercap.plot with Debian's python3 and matplotlib (python3-matplotlib).",
        desc,
        "clustercap timeline configs/china-2026-pooled.toml --format json -o t.json && "
        "clustercap plot t.json -o t.png"));
  }
  std::vector<std::string> problems;
  if (result_path.empty()) problems.push_back("plot needs a RESULT.json file");
  if (output.empty()) problems.push_back("plot needs --output FIG.png or FIG.svg");
  if (!problems.empty()) throw UsageError(problems, "plot");
  if (access(kPlotPython, X_OK) != 0) {
    throw RuntimeFailure(std::string("plot needs Debian's python3 (") + kPlotPython +
                         ") with matplotlib: apt-get install python3 python3-matplotlib");
  }
  const std::string package_dir = plot_package_dir();

  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.rfind("PYTHONPATH=", 0) == 0 || entry.rfind("MPLBACKEND=", 0) == 0) continue;
    environment.push_back(entry);
  }
  const char* old_path = std::getenv("PYTHONPATH");
  environment.push_back("PYTHONPATH=" + package_dir +
                        (old_path != nullptr && *old_path ? ":" + std::string(old_path) : ""));
  environment.push_back("MPLBACKEND=Agg");  // no display needed
  const std::vector<std::string> argv_text = {kPlotPython, "-m",       "clustercap.plot",
                                              result_path, "--output", output};
  std::vector<char*> argv_ptrs, env_ptrs;
  for (const auto& a : argv_text) argv_ptrs.push_back(const_cast<char*>(a.c_str()));
  argv_ptrs.push_back(nullptr);
  for (const auto& e : environment) env_ptrs.push_back(const_cast<char*>(e.c_str()));
  env_ptrs.push_back(nullptr);

  pid_t child = 0;
  const int spawned =
      posix_spawn(&child, kPlotPython, nullptr, nullptr, argv_ptrs.data(), env_ptrs.data());
  if (spawned != 0) {
    throw RuntimeFailure(std::string("plot: cannot run ") + kPlotPython + ": " +
                         std::strerror(spawned));
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw RuntimeFailure("plot: lost the python3 process");
  }
  // The package prints its own messages and uses the same exit codes.
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    return code == kExitOk || code == kExitInput ? code : kExitRuntime;
  }
  throw RuntimeFailure(std::string("plot: python3 stopped by signal ") +
                       std::to_string(WTERMSIG(status)));
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& err, sweep::Ranks* ranks) {
  try {
    if (args.empty()) {
      err << kTopUsage;
      return kExitInput;
    }
    const std::string& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "--help" || command == "-h" || command == "help") {
      return emit_stdout(kTopUsage);
    }
    if (command == "--version") {
      return emit_stdout("clustercap " + std::string(kVersion) + "\n");
    }
    if (command == "estimate") return run_estimate(rest, err);
    if (command == "hardware") return run_hardware(rest, err);
    if (command == "compare") return run_compare(rest, err);
    if (command == "timeline") return run_timeline_command(rest, err);
    if (command == "sweep") return run_sweep_command(rest, err, ranks);
    if (command == "validate") return run_validate_command(rest);
    if (command == "classify") return run_classify(rest, err);
    if (command == "plot") return run_plot(rest);
    throw UsageError("unknown command \"" + command + "\"" +
                         did_you_mean(command, {"estimate", "hardware", "compare", "classify",
                                                "timeline", "sweep", "validate", "plot"}),
                     "");
  } catch (const UsageError& e) {
    for (const auto& message : e.messages())
      err << "clustercap: " << printable_text(message) << "\n";
    err << "see: clustercap " << (e.command().empty() ? "" : e.command() + " ") << "--help\n";
    return kExitInput;
  } catch (const InputErrors& e) {
    for (const auto& error : e.errors()) err << error.to_string() << "\n";
    err << "clustercap: " << e.errors().size() << " input error"
        << (e.errors().size() == 1 ? "" : "s") << "; nothing was written\n";
    return kExitInput;
  } catch (const RuntimeFailure& e) {
    err << "clustercap: " << printable_text(e.what()) << "\n";
    return kExitRuntime;
  } catch (const sweep::PeerFailure& e) {
    return e.code();  // the failing rank's message is printed (estimator/cli/mpi.cpp)
  } catch (const std::exception& e) {
    err << "clustercap: internal error: " << printable_text(e.what()) << "\n";
    return kExitRuntime;
  }
}

CapturedRun run_captured(const std::vector<std::string>& args, const std::string& stdin_text) {
  Capture capture{stdin_text, {}};
  std::ostringstream err;
  CapturedRun result;
  {
    CaptureScope scope(capture);
    result.exit_code = run(args, err);
  }
  result.out = std::move(capture.out);
  result.err = err.str();
  return result;
}

}  // namespace clustercap::cli
