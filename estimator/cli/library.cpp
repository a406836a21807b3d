// The public C++ interface (include/clustercap/clustercap.hpp) over the
// command-line application: each call is one cli::run_captured.
#include <string>
#include <vector>

#include "clustercap/clustercap.hpp"
#include "estimator/cli/app.hpp"
#include "estimator/report/version.hpp"

namespace clustercap {

namespace {

// args + the scenario ("-" when given as text) + --set KEY=VALUE per override.
std::string checked_output(std::vector<std::string> args, const std::string& scenario_toml,
                           const std::vector<std::string>& sets) {
  if (!scenario_toml.empty()) args.insert(args.begin() + 1, "-");
  for (const std::string& set : sets) {
    args.push_back("--set");
    args.push_back(set);
  }
  Result result = run(args, scenario_toml);
  if (result.exit_code != kExitOk) throw Error(result.exit_code, result.err);
  return std::move(result.out);
}

}  // namespace

std::string version() { return kVersion; }

Result run(const std::vector<std::string>& args, const std::string& stdin_text) {
  cli::CapturedRun captured = cli::run_captured(args, stdin_text);
  return {captured.exit_code, std::move(captured.out), std::move(captured.err)};
}

Error::Error(int exit_code, const std::string& messages)
    : std::runtime_error(messages), exit_code_(exit_code) {}

std::string estimate_json(const std::string& scenario_toml, const std::vector<std::string>& sets) {
  return checked_output({"estimate", "--format", "json"}, scenario_toml, sets);
}

std::string timeline_json(const std::string& scenario_toml, const std::vector<std::string>& sets) {
  return checked_output({"timeline", "--format", "json"}, scenario_toml, sets);
}

std::string sweep_json(const std::string& scenario_toml, const SweepSettings& settings,
                       const std::vector<std::string>& sets) {
  return checked_output(
      {"sweep", "--format", "json", "--samples", std::to_string(settings.samples), "--seed",
       std::to_string(settings.seed), "--threads", std::to_string(settings.threads)},
      scenario_toml, sets);
}

}  // namespace clustercap
