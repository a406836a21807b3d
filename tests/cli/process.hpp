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

// What the child's standard output is.
enum class StdoutMode {
  capture,      // a temp file, returned in ProcessResult::out
  closed,       // descriptor 1 closed (`>&-`)
  full_device,  // /dev/full: every write fails with ENOSPC
  broken_pipe,  // a pipe whose read end is closed (SIGPIPE at its default)
};

// Runs `binary args...` with working directory `cwd` (empty: current).
// Arguments are passed verbatim (no shell).
ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& cwd = "", StdoutMode mode = StdoutMode::capture);

std::string read_file(const std::string& path);

}  // namespace clustercap::test
