// clustercap as a C++ library: the public, stable interface.
//
// Everything here is plain standard C++17 (no Eigen, toml++, Boost or JSON
// types), so a program that includes this header and links the CMake target
// clustercap::clustercap needs nothing else on its include path:
//
//   find_package(clustercap 0.1 REQUIRED)
//   target_link_libraries(my_planner PRIVATE clustercap::clustercap)
//
// Every call runs one clustercap command in-process with the binary's own
// parsing, checks, error messages and exit codes; results are the same bytes
// the command-line tool prints. JSON outputs name their schema in a "schema"
// field (for example "clustercap.estimate.v1") and carry "clustercap_version".
//
// Threads: each call captures its output for the calling thread
// (cli::run_captured), so calls on different threads do not mix their
// output; running them concurrently is not tested yet. Files named by
// --output and the other side-output flags are still written (atomically),
// as by the binary.
//
// Stability: within one 0.x minor version the functions and structs below keep
// their signatures and meaning (the CMake package's version file accepts a
// request for the same major.minor only).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace clustercap {

// The library's version, "MAJOR.MINOR.PATCH" (as `clustercap --version` prints
// after the word "clustercap", and as JSON outputs' "clustercap_version").
std::string version();

// Exit codes, as the binary's: 0 success, 1 runtime failure, 2 bad input or usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitInput = 2;

// What one command produced.
struct Result {
  int exit_code = kExitOk;  // kExitOk, kExitRuntime or kExitInput
  std::string out;          // what the binary would write to standard output
  std::string err;          // messages, one per line, as the binary writes them to stderr
                            // (FILE:LINE:COL: KEY = VALUE: RULE for input errors)
};

// Runs one command, `args` being what follows `clustercap` on a command line,
// e.g. {"estimate", "configs/default.toml", "--format", "json"}. A scenario
// named "-" reads `stdin_text` (where the command-line tool reads standard
// input). Never throws for bad input: errors come back in `err` with a
// non-zero exit code.
Result run(const std::vector<std::string>& args, const std::string& stdin_text = "");

// Thrown by the typed calls below when the command fails: what() is the
// messages (Result::err), exit_code() says which kind of failure.
class Error : public std::runtime_error {
 public:
  Error(int exit_code, const std::string& messages);
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// A scenario for the typed calls: TOML text (the format of configs/*.toml),
// passed to the command as "-" with the text as its standard input, so errors
// in it are reported as the command-line tool reports them for standard
// input. Empty: no scenario argument (estimate then runs the built-in default
// scenario, configs/default.toml carried inside the library; timeline and
// sweep refuse, as the command-line tool does).
//
// `sets` are KEY=VALUE overrides applied to the scenario, each passed to the
// command as `--set KEY=VALUE` (same key paths and checks as TOML).

// `clustercap estimate --format json`: the largest cluster per actor, with
// every figure's source. Returns the JSON text (schema clustercap.estimate.v1).
// Throws Error when the command fails.
std::string estimate_json(const std::string& scenario_toml = "",
                          const std::vector<std::string>& sets = {});

// `clustercap timeline --format json` on the scenario (which must hold a
// [timeline] section; the default scenario has none). Returns the JSON text
// (schema clustercap.timeline.v1). Throws Error when the command fails.
std::string timeline_json(const std::string& scenario_toml,
                          const std::vector<std::string>& sets = {});

// Settings of a sweep, as the command-line flags of the same names.
struct SweepSettings {
  std::uint64_t samples = 100000;  // samples per grid point, 1 to 1e11
  std::uint64_t seed = 1;          // same seed, same samples: output is reproducible
  int threads = 1;                 // output is byte-identical for any thread count
};

// `clustercap sweep --format json`: the distributions of every output under
// the scenario's uncertain inputs. Returns the JSON text (schema
// clustercap.sweep.v1). Throws Error when the command fails.
std::string sweep_json(const std::string& scenario_toml, const SweepSettings& settings = {},
                       const std::vector<std::string>& sets = {});

}  // namespace clustercap
