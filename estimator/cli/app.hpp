// The command-line application: parses arguments, runs one command, maps
// errors to exit codes (0 success, 1 runtime failure, 2 bad input or usage).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clustercap::sweep {
class Ranks;
}

namespace clustercap::cli {

// Results go to standard output (descriptor 1, every write checked) or the
// files named by --output and the side-output flags; messages go to `err`.
// Call prepare_process() (output.hpp) first. With `ranks` (an MPI run,
// estimator/cli/mpi.hpp) `sweep` shares its samples over them and only rank 0
// writes; a rank whose own work went well but another's failed returns that
// exit code without a message.
int run(const std::vector<std::string>& args, std::ostream& err, sweep::Ranks* ranks = nullptr);

// run() inside another program (the Python package, the C++ library): the
// same parsing, checks, errors and exit codes, but what would go to stdout is
// returned in `out`, messages in `err`, and a scenario named "-" reads
// `stdin_text`. Files named by --output and the side-output flags are still
// written (atomically). No process-wide setup is done or needed; no progress
// line is drawn.
struct CapturedRun {
  int exit_code = 0;
  std::string out;
  std::string err;
};
CapturedRun run_captured(const std::vector<std::string>& args, const std::string& stdin_text = "");

}  // namespace clustercap::cli
