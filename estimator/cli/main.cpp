#include <iostream>
#include <string>
#include <vector>

#include "estimator/cli/app.hpp"
#include "estimator/cli/output.hpp"

int main(int argc, char** argv) {
  clustercap::cli::prepare_process();
  std::vector<std::string> args(argv + 1, argv + argc);
  return clustercap::cli::run(args, std::cerr);
}
