// The command-line application: parses arguments, runs one command, maps
// errors to exit codes (0 success, 1 runtime failure, 2 bad input or usage).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace clustercap::cli {

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace clustercap::cli
