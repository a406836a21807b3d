// The command-line application: parses arguments, runs one command, maps
// errors to exit codes (0 success, 1 runtime failure, 2 bad input or usage).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clustercap::cli {

// Results go to standard output (descriptor 1, every write checked) or the
// files named by --output and the side-output flags; messages go to `err`.
// Call prepare_process() (output.hpp) first.
int run(const std::vector<std::string>& args, std::ostream& err);

}  // namespace clustercap::cli
