// Runs the clustercap binary for CLI tests and captures what it prints.
#pragma once

#include <string>
#include <vector>

namespace clustercap::test {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `binary args...` with working directory `cwd` (empty: current).
// Arguments are passed verbatim (no shell).
ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& cwd = "");

std::string read_file(const std::string& path);

}  // namespace clustercap::test
